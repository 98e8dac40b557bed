"""Shared passes give the plain way's numbers: every set's per-token loss, on windows of
different lengths (padding), sets of one layer and of several, the clean model, zero and
mean ablation, on a tiny model whose layer-0 set changes the loss by construction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from n2g.models.set_passes import plain_losses, set_losses
from n2g.models.tiny import tiny_model
from tests.models.planted_set import SET, planted_set_model, text


def _windows(model, lengths: list[int]) -> list[list[int]]:
    return [model.encode(text(True, n, seed))[:n] for seed, n in enumerate(lengths)]


def _same(shared: list[np.ndarray], plain: list[np.ndarray]) -> None:
    assert len(shared) == len(plain)
    for a, b in zip(shared, plain, strict=True):
        assert np.array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=0, atol=2e-5)


@pytest.mark.parametrize("mode", ["zero", "mean"])
@pytest.mark.parametrize("batch", [1, 3])
def test_every_set_matches_its_own_plain_pass(mode: str, batch: int) -> None:
    model = planted_set_model()
    windows = _windows(model, [20, 13, 20, 7, 16])
    sets = [[], [(0, u) for u in SET], [(0, 1), (1, 5)], [(1, 2), (1, 9), (1, 30)]]
    means = None
    if mode == "mean":
        gen = torch.Generator().manual_seed(0)
        means = {layer: torch.rand(model.n_units, generator=gen) for layer in (0, 1)}
    shared = set_losses(model, windows, sets, means, batch)
    for chosen, losses in zip(sets, shared, strict=True):
        _same(losses, plain_losses(model, windows, chosen, means, batch))
    planted = np.nanmean(np.concatenate(shared[1])) - np.nanmean(np.concatenate(shared[0]))
    assert planted > 0.1  # the planted set does change the loss: the comparison has teeth


def test_a_set_above_layer_zero_starts_later_and_still_matches() -> None:
    model = tiny_model(n_layers=3, seed=1, name="tiny-3")
    windows = [model.encode("the cat sat on the mat and ran"), model.encode("a dog barked")]
    sets = [[], [(2, 4), (2, 7)], [(1, 0), (2, 1)]]
    shared = set_losses(model, windows, sets, None, 2)
    for chosen, losses in zip(sets, shared, strict=True):
        _same(losses, plain_losses(model, windows, chosen, None, 2))
    assert not np.allclose(np.nan_to_num(shared[1][0]), np.nan_to_num(shared[0][0]))
