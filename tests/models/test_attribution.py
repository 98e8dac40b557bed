"""Activation x gradient on the planted model: the constructed feeder ranks first, many
targets in one pass score as one target a pass, and both as finite differences do."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.models.attribution import attribution_scores, plain_attribution
from tests.circuits.planted import A, B, planted_model


def _windows(n: int = 6, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(32, 127, size=24) for _ in range(n)]


def test_the_planted_feeder_ranks_first() -> None:
    model = planted_model()
    (found,) = attribution_scores(model, 1, [(B, _windows())], [0])
    assert found is not None and found.n_firing > 0
    first = found.top(3)[0]
    assert first[:2] == (0, A) and first[2] > 0
    assert abs(first[2]) > 2 * abs(found.top(3)[1][2])


def test_many_targets_a_pass_score_as_one_a_pass_and_as_finite_differences() -> None:
    model = planted_model(n_layers=3)
    jobs = [(3, _windows()), (B, _windows(4, seed=1)), (11, _windows(5, seed=2))]
    together = attribution_scores(model, 2, jobs, [0, 1], targets_per_pass=3)
    alone = attribution_scores(model, 2, jobs, [0, 1], targets_per_pass=1)
    checked = 0
    for a, b, (unit, windows) in zip(together, alone, jobs, strict=True):
        assert (a is None) == (b is None)
        if a is None or b is None:
            continue
        for layer in (0, 1):
            assert a.scores[layer] == pytest.approx(b.scores[layer], abs=1e-5)
        for layer, neuron, score in a.top(3):
            plain = plain_attribution(model, 2, unit, windows, (layer, neuron))
            assert plain == pytest.approx(score, rel=0.02, abs=1e-5)
            checked += 1
    assert checked >= 3


def test_a_unit_that_never_fires_has_no_scores() -> None:
    model = planted_model()
    (found,) = attribution_scores(model, 1, [(B, [np.array([], dtype=np.int64)] * 2)], [0])
    assert found is None


def test_a_source_layer_at_or_after_the_target_is_refused() -> None:
    with pytest.raises(ValueError, match="before"):
        attribution_scores(planted_model(), 1, [(B, _windows())], [1])
