"""Group ablation on a set known by construction: the loss rises where the set fires and
nowhere else, more than for any random set of its layer."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.models.group_ablation import bootstrap, estimate_bytes, measure_set, random_sets
from n2g.search.group_ablation import summary
from tests.models.planted_set import SET, planted_set_model, text


@pytest.fixture(scope="module")
def model():
    return planted_set_model()


def _texts(model, with_z: bool, seed: int) -> list[list[int]]:
    return [model.encode(text(with_z, 32, seed + i)) for i in range(6)]


@pytest.mark.parametrize("mode", ["zero", "mean"])
def test_the_planted_set_matters_where_it_fires_and_nowhere_else(model, mode) -> None:
    z = model.encode("z")[0]
    firing = _texts(model, True, 0)
    positions = [[i for i, t in enumerate(w) if t == z] for w in firing]
    control = _texts(model, False, 100)
    result = measure_set(
        model, [(0, u) for u in SET], firing, positions, control, mode=mode, n_random=5
    )
    assert result.firing.low > 0.1  # the whole interval above: worse on every resample
    assert result.at_firing is not None and result.at_firing.mean > 1.0  # the 'q' after 'z'
    assert result.at_firing.mean > result.firing.mean  # sharpest where they act
    assert result.control.mean == pytest.approx(0.0, abs=1e-5)  # never fire there
    assert result.above_random == 1.0  # above every random set of layer 0
    assert result.random_firing is not None and result.random_firing.high < result.firing.low
    assert result.units == [f"planted-zq/0/{u}" for u in SET] and result.layers == [0]
    assert "firing texts" in summary(result)


def test_random_sets_match_the_layers_and_avoid_the_members() -> None:
    units = [(0, 1), (0, 2), (1, 5)]
    for drawn in random_sets(units, 16, 20, seed=3):
        assert [layer for layer, _ in drawn] == [0, 0, 1]
        assert not set(drawn) & set(units) and len(set(drawn)) == 3
    assert random_sets(units, 16, 4, seed=3) == random_sets(units, 16, 4, seed=3)
    with pytest.raises(ValueError, match="too few"):
        random_sets([(0, u) for u in range(9)], 16, 1, seed=0)


def test_bootstrap_interval_holds_the_mean_and_narrows_with_data() -> None:
    rng = np.random.default_rng(0)
    small = bootstrap(list(rng.normal(1.0, 1.0, 10)), seed=0)
    large = bootstrap(list(rng.normal(1.0, 1.0, 1000)), seed=0)
    assert small is not None and large is not None
    assert small.low < small.mean < small.high and large.low < 1.0 < large.high
    assert large.high - large.low < small.high - small.low
    assert bootstrap([float("nan")], seed=0) is None


def test_the_memory_estimate_grows_with_the_pass(model) -> None:
    assert estimate_bytes(model, 64, batch=8) > estimate_bytes(model, 64, batch=1)
    assert estimate_bytes(model, 256, batch=1) > estimate_bytes(model, 64, batch=1)


def test_refused_before_running(model) -> None:
    with pytest.raises(ValueError, match="mode"):
        measure_set(model, [(0, 1)], [[1, 2]], [[0]], [[1, 2]], mode="half")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="units"):
        measure_set(model, [(0, 999)], [[1, 2]], [[0]], [[1, 2]])
    with pytest.raises(ValueError, match="out of range"):
        measure_set(model, [(5, 1)], [[1, 2]], [[0]], [[1, 2]])
