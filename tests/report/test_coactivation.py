"""The pairs a coactivation check compares, and its summary of their correlations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from n2g.report.coactivation import matched_random_pairs, pearson, related_pairs, summarise
from n2g.search.similarity import NeuronTokenSets, Relation, SimilarityConfig
from n2g.testing.brute_force import brute_force_pairs


def _sets() -> list[NeuronTokenSets]:
    a, c = frozenset({"a", "b"}), frozenset({"x"})
    return [
        NeuronTokenSets("m/0/0", 0, a, c),
        NeuronTokenSets("m/1/1", 1, a, c),  # similar to m/0/0
        NeuronTokenSets("m/1/2", 1, frozenset({"a"}), c),  # a subset of both
        NeuronTokenSets("m/1/3", 1, frozenset({"z"}), frozenset()),
    ]


def test_related_pairs_are_the_joins_pairs_and_capped() -> None:
    sets = _sets()
    pairs = related_pairs(sets, [0.9, 0.5], cap=10)
    for threshold in (0.9, 0.5):
        found = brute_force_pairs(sets, SimilarityConfig(threshold=threshold))
        for relation, name in ((Relation.SIMILAR_TO, "similar"), (Relation.SUBSET_OF, "subset")):
            expected = {(p.source, p.target) for p in found if p.relation == relation}
            assert set(pairs[f"{name}@{threshold:g}"]) == expected
    assert pairs["similar@0.9"] == [("m/0/0", "m/1/1")]
    capped = related_pairs(sets, [0.5], cap=1)
    assert all(len(found) <= 1 for found in capped.values())
    assert capped == related_pairs(sets, [0.5], cap=1)  # seeded


def test_random_pairs_follow_the_layer_pattern() -> None:
    units = {0: [f"m/0/{i}" for i in range(5)], 1: [f"m/1/{i}" for i in range(5)]}
    pairs = matched_random_pairs([(0, 1), (1, 1)], units, 20, seed=3)
    assert len(pairs) == 20 and all(a != b for a, b in pairs)
    for i, (a, b) in enumerate(pairs):
        layers = (int(a.split("/")[1]), int(b.split("/")[1]))
        assert layers == [(0, 1), (1, 1)][i % 2]
    assert pairs == matched_random_pairs([(0, 1), (1, 1)], units, 20, seed=3)


def test_pearson_and_the_summary_count_undefined_pairs() -> None:
    x = np.array([0.0, 1.0, 2.0, 5.0])
    assert pearson(x, 2 * x + 1) == pytest.approx(1.0)
    assert math.isnan(pearson(x, np.ones(4)))
    stats = summarise("similar@0.9", [0.2, math.nan, 0.4, 0.6])
    assert (stats.pairs, stats.undefined) == (4, 1)
    assert stats.median == pytest.approx(0.4) and stats.mean.mean == pytest.approx(0.4)
    assert stats.mean.low <= 0.4 <= stats.mean.high
    with pytest.raises(ValueError):
        pearson(x, x[:2])
