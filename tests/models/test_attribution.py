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


def _close(a: list, b: list) -> None:
    for x, y in zip(a, b, strict=True):
        assert (x is None) == (y is None)
        if x is not None and y is not None:
            assert x.n_firing == y.n_firing and x.clean == pytest.approx(y.clean, rel=1e-5)
            for layer, row in x.scores.items():
                assert row == pytest.approx(y.scores[layer], abs=1e-5)


def test_passes_packed_by_length_score_as_one_target_a_pass() -> None:
    model = planted_model(n_layers=3)
    rng = np.random.default_rng(3)
    jobs = [(u, [rng.integers(32, 127, size=int(n)) for n in rng.integers(4, 30, size=3)])
            for u in (3, B, 11, 20, 31)]  # fmt: skip
    packed = attribution_scores(model, 2, jobs, [0, 1], rows_per_pass=7)
    assert sum(found is not None for found in packed) >= 3
    _close(packed, attribution_scores(model, 2, jobs, [0, 1], targets_per_pass=1))


def test_only_the_target_columns_score_as_the_whole_mlp(llama_folder) -> None:
    from n2g.models import load_model

    model = load_model(str(llama_folder))  # a gated MLP (Llama), as SmolLM2's
    jobs = [(u, _windows(3, seed=u)) for u in (0, 5, 9)]
    columns = attribution_scores(model, 1, jobs, [0])
    assert type(model.model.blocks[1].mlp).__name__ == "GatedMLP"
    assert any(found is not None for found in columns)
    _close(columns, attribution_scores(model, 1, jobs, [0], columns=False))
    plain = attribution_scores(planted_model(), 1, [(B, _windows())], [0], columns=False)
    _close(attribution_scores(planted_model(), 1, [(B, _windows())], [0]), plain)
