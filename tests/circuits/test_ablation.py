"""Ablation on the planted model: taking A away drops B most, batched as one at a time."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.circuits.check import UnitCheck, spearman, summary
from n2g.models.ablation import ablation_effects
from tests.circuits.planted import A, B, planted_model


def _windows() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(32, 127, size=24) for _ in range(6)]


def test_ablating_the_planted_feeder_drops_the_unit_most() -> None:
    model = planted_model()
    candidates = [(0, u) for u in range(model.n_units)]
    effects = ablation_effects(model, 1, B, _windows(), candidates)
    assert effects is not None and effects.n_firing > 0
    for drops in (effects.zero, effects.mean):
        strongest = int(np.argmax(np.abs(drops)))
        assert strongest == A and drops[A] > 0


def test_batched_passes_measure_what_one_pass_a_candidate_does() -> None:
    model = planted_model(n_layers=3)
    candidates = [(0, 1), (1, 2), (0, A), (1, 9), (0, 40)]
    batched = ablation_effects(model, 2, 3, _windows(), candidates, candidates_per_pass=4)
    plain = ablation_effects(model, 2, 3, _windows(), candidates, candidates_per_pass=1)
    assert batched is not None and plain is not None
    assert batched.zero == pytest.approx(plain.zero, abs=1e-5)
    assert batched.mean == pytest.approx(plain.mean, abs=1e-5)


def test_a_candidate_of_a_later_layer_is_refused() -> None:
    with pytest.raises(ValueError, match="before"):
        ablation_effects(planted_model(), 1, B, _windows(), [(1, 0)])


def test_the_check_figures() -> None:
    assert spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1], [1, 2]) is None
    check = UnitCheck("m/1/0", weights=[3.0, -2.0, 0.1, 0.2], effects=[0.5, -0.4, 0.0, 0.1], k=2)
    assert check.precision == 1.0 and check.chance == 0.5
    assert check.lift == pytest.approx(0.45 / 0.05)
    assert summary([check])["precision_at_k"] == 1.0


def test_a_mode_left_out_is_not_run() -> None:
    model = planted_model()
    candidates = [(0, A), (0, 3)]
    both = ablation_effects(model, 1, B, _windows(), candidates)
    zero = ablation_effects(model, 1, B, _windows(), candidates, modes=("zero",))
    assert both is not None and zero is not None
    assert zero.zero == pytest.approx(both.zero)
    assert all(np.isnan(m) for m in zero.mean)
