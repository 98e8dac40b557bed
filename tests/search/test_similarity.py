"""The prefix-filtered similarity join equals the brute-force definition."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from n2g.search.similarity import (
    NeuronTokenSets,
    Relation,
    SimilarityConfig,
    containment,
    overlap,
    prefix_length,
    similarity_join,
)
from n2g.testing.brute_force import brute_force_pairs


def _random_neurons(n: int, seed: int) -> list[NeuronTokenSets]:
    """Zipf-like token sets with planted near-copies and subsets (so every relation occurs)."""
    rng = random.Random(seed)
    vocab = [f"t{i}" for i in range(60)]
    weights = [1.0 / (i + 1) for i in range(len(vocab))]

    def draw(k: int) -> frozenset[str]:
        return frozenset(rng.choices(vocab, weights, k=k)) if k else frozenset()

    neurons: list[NeuronTokenSets] = []
    for i in range(n):
        kind = rng.random()
        if neurons and kind < 0.3:  # a near copy or a superset of an earlier neuron
            base = rng.choice(neurons)
            act = set(base.activating) | (draw(1) if rng.random() < 0.5 else set())
            ctx = set(base.context) | (draw(1) if rng.random() < 0.3 else set())
            if rng.random() < 0.3 and len(act) > 1:
                act.discard(rng.choice(sorted(act)))
        else:
            act, ctx = draw(rng.randint(0, 12)), draw(rng.choice([0, 0, 1, 3, 8, 20]))
        neurons.append(NeuronTokenSets(f"m/{i % 4}/{i}", i % 4, frozenset(act), frozenset(ctx)))
    return neurons


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.75, 0.9, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_join_equals_brute_force(threshold: float, seed: int) -> None:
    neurons = _random_neurons(250, seed)
    config = SimilarityConfig(threshold=threshold)
    expected = brute_force_pairs(neurons, config)
    assert similarity_join(neurons, config) == expected
    if threshold >= 0.5:
        assert {p.relation for p in expected} == {Relation.SIMILAR_TO, Relation.SUBSET_OF}


def test_without_subsets_only_similar_pairs() -> None:
    neurons = _random_neurons(200, 5)
    config = SimilarityConfig(threshold=0.8, subsets=False)
    pairs = similarity_join(neurons, config)
    assert pairs == brute_force_pairs(neurons, config)
    assert pairs and all(p.relation == Relation.SIMILAR_TO for p in pairs)


def _sets(key: str, act: str, ctx: str) -> NeuronTokenSets:
    return NeuronTokenSets(key, 0, frozenset(act.split()), frozenset(ctx.split()))


def test_known_answers_and_empty_set_rules() -> None:
    neurons = [
        _sets("m/0/0", "a b c d e f g h i j", "x y"),
        _sets("m/0/1", "a b c d e f g h i", "x y"),  # 9/10 of m/0/0: similar at 0.9
        _sets("m/0/2", "a b", "x"),  # inside m/0/0 on both sets: subset
        _sets("m/0/3", "", "x y"),  # no activating tokens: never related
        _sets("m/0/4", "q", ""),  # empty contexts match each other only
        _sets("m/0/5", "q", ""),
        _sets("m/0/6", "q", "x"),
    ]
    pairs = similarity_join(neurons, SimilarityConfig(threshold=0.9))
    assert pairs == brute_force_pairs(neurons, SimilarityConfig(threshold=0.9))
    found = {(p.relation.value, p.source, p.target): p for p in pairs}
    assert set(found) == {
        ("SIMILAR_TO", "m/0/0", "m/0/1"),
        ("SIMILAR_TO", "m/0/4", "m/0/5"),
        ("SUBSET_OF", "m/0/2", "m/0/0"),
        ("SUBSET_OF", "m/0/2", "m/0/1"),
    }
    assert found[("SIMILAR_TO", "m/0/0", "m/0/1")].activating_overlap == pytest.approx(0.9)
    assert found[("SUBSET_OF", "m/0/2", "m/0/0")].context_overlap == 1.0


def test_overlap_definitions() -> None:
    a, b = frozenset("abcd"), frozenset("abx")
    assert overlap(a, b) == 2 / 4
    assert containment(b, a) == 2 / 3
    assert overlap(frozenset(), frozenset()) == 1.0
    assert overlap(a, frozenset()) == 0.0
    assert containment(frozenset(), a) == 0.0


@pytest.mark.parametrize("size", range(1, 40))
@pytest.mark.parametrize("threshold", [0.1, 0.5, 0.7, 0.9, 1.0])
def test_prefix_length_is_safe(size: int, threshold: float) -> None:
    # The smallest intersection meeting the threshold must still hit the prefix.
    needed = next(k for k in range(size + 1) if k / size >= threshold)
    assert prefix_length(size, threshold) == size - needed + 1


def test_threshold_outside_unit_interval_is_refused() -> None:
    with pytest.raises(ValidationError):
        SimilarityConfig(threshold=1.5)
