"""Many units' activations from one shared pass equal the per-unit activations the builder
reads, and a unit correlates with itself at 1.0."""

from __future__ import annotations

import random

import numpy as np
import pytest

from n2g.models.tiny import tiny_model
from n2g.models.traces import unit_traces
from n2g.report.coactivation import pearson


@pytest.fixture(scope="module")
def model():
    return tiny_model(n_layers=2, seed=5)


def _windows(seed: int = 0) -> list[list[int]]:
    rng = random.Random(seed)  # ragged: the traces hold each window's real tokens only
    return [[rng.randrange(256) for _ in range(rng.randint(3, 20))] for _ in range(7)]


def test_traces_equal_the_per_unit_activations_the_builder_gathers(model) -> None:
    windows = _windows()
    units = [(1, 5), (0, 3), (1, 63), (0, 3), (0, 40)]
    traces = unit_traces(model, windows, units, batch_size=3)
    assert traces.shape == (len(units), sum(len(w) for w in windows))
    for i, (layer, unit) in enumerate(units):
        expected = []
        for row, window in enumerate(windows):
            positions = list(range(len(window)))
            expected.append(
                model.gather_activations(
                    windows, layer, [row] * len(window), positions, [unit] * len(window)
                ).numpy()
            )
        np.testing.assert_allclose(traces[i], np.concatenate(expected), rtol=1e-5, atol=1e-6)


def test_batching_does_not_change_the_traces(model) -> None:
    windows, units = _windows(1), [(0, 1), (1, 2)]
    np.testing.assert_allclose(
        unit_traces(model, windows, units, batch_size=1),
        unit_traces(model, windows, units, batch_size=16),
        rtol=1e-5,
        atol=1e-6,
    )


def test_a_unit_correlates_with_itself_and_not_with_a_constant(model) -> None:
    traces = unit_traces(model, _windows(2), [(1, 7), (1, 7), (0, 9)])
    assert pearson(traces[0], traces[1]) == pytest.approx(1.0)
    assert pearson(traces[0], -traces[0]) == pytest.approx(-1.0)
    assert -1.0 <= pearson(traces[0], traces[2]) <= 1.0
    assert np.isnan(pearson(traces[0], np.full_like(traces[0], 0.25)))


def test_no_windows_or_no_units_give_empty_traces(model) -> None:
    assert unit_traces(model, [], [(0, 1)]).shape == (1, 0)
    assert unit_traces(model, _windows(), []).shape[0] == 0
