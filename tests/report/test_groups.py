"""The report's similarity section: counts per threshold equal brute force; groups shown."""

from __future__ import annotations

import random

from n2g.report.groups import groups_markdown, threshold_rows
from n2g.search.similarity import NeuronTokenSets, Relation, SimilarityConfig
from n2g.testing.brute_force import brute_force_pairs


def _sets(seed: int = 0, n: int = 60) -> list[NeuronTokenSets]:
    rng = random.Random(seed)
    vocab = [f"t{i}" for i in range(12)]
    return [
        NeuronTokenSets(
            key=f"m/{i % 3}/{i}",
            layer=i % 3,
            activating=frozenset(rng.sample(vocab[:5], rng.randint(1, 3))),
            context=frozenset(rng.sample(vocab[5:], rng.randint(0, 3))),
        )
        for i in range(n)
    ]


def test_counts_at_each_threshold_equal_brute_force():
    sets = _sets()
    rows = threshold_rows(sets, "m", thresholds=(0.9, 0.6))
    for row in rows:
        pairs = brute_force_pairs(sets, SimilarityConfig(threshold=row.threshold))
        similar = [p for p in pairs if p.relation == Relation.SIMILAR_TO]
        assert row.similar_pairs == len(similar) > 0
        assert row.subset_pairs == len(pairs) - len(similar)
        assert sum(row.pairs_by_layer.values()) == row.similar_pairs
        assert row.grouped_neurons == len({k for p in similar for k in (p.source, p.target)})
    assert rows[1].similar_pairs >= rows[0].similar_pairs


def test_markdown_falls_back_to_the_highest_threshold_with_groups():
    # Two neurons similar only at 0.5: the paper's 0.9 finds nothing.
    sets = [
        NeuronTokenSets("m/0/1", 0, frozenset({"a", "b"}), frozenset({"x", "[y]"})),
        NeuronTokenSets("m/1/2", 1, frozenset({"a", "b"}), frozenset({"x"})),
        NeuronTokenSets("m/1/3", 1, frozenset({"q"}), frozenset()),
    ]
    rows = threshold_rows(sets, "m")
    assert [r.similar_pairs for r in rows] == [0, 0, 0, 0, 1]
    text = "\n".join(groups_markdown(sets, rows))
    assert "The paper's t = 0.9 finds no group" in text and "t = 0.5" in text
    assert "2 neurons, layers [0, 1]" in text
    assert "Shared activating tokens: 'a', 'b'; shared context tokens: 'x'" in text
    assert "| 0.5 | 1 | across: 1 |" in text


def test_markdown_compares_with_every_level_of_the_tokens():
    firing = [
        NeuronTokenSets("m/0/1", 0, frozenset({"a"}), frozenset({"x"})),
        NeuronTokenSets("m/1/2", 1, frozenset({"a"}), frozenset({"x"})),
    ]
    # with every token: m/1/2 also has a weak path on "b", enough to part them at 0.9
    every = [firing[0], NeuronTokenSets("m/1/2", 1, frozenset({"a", "b"}), frozenset({"x"}))]
    [every_level] = threshold_rows(every, "m", (0.9,))
    text = "\n".join(groups_markdown(firing, threshold_rows(firing, "m"), every_level))
    assert "| 0.9 | 1 |" in text
    assert "t = 0.9 finds 0 similar pairs, 1 subset pairs and 0 groups (largest 0)" in text
