"""The data source over latents (n2g.models.latent_attribution): neurons only, it is
n2g.models.attribution's; a planted latent's feeder comes first; the transcoder-to-
transcoder score is the direct path's exact contribution, checked against the model's own
forward with the norm's scale frozen; the positions in the residual stream."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from n2g.models import load_model
from n2g.models.attribution import attribution_scores
from n2g.models.latent_attribution import latent_attribution, top_feeders
from n2g.models.virtual_weights import UnitLayer
from tests.circuits.planted_latents import (
    FED,
    FEEDER,
    MODEL,
    A,
    made_sae,
    made_transcoder,
    plant_reading_latent,
    plant_reading_neuron,
    units,
)

TEXT = "def main(): return print('hello world') if x else None. The quick brown fox. " * 2


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(1)
    return load_model(MODEL)


def _windows(model, n: int = 4, width: int = 20) -> list[list[int]]:
    ids = model.encode(TEXT)
    return [ids[i * 8 : i * 8 + width] for i in range(n)]


def test_neurons_alone_score_as_the_neuron_attribution(model) -> None:
    jobs = [(u, _windows(model)) for u in (1, 4, 9)]
    plain = attribution_scores(model, 2, jobs, [0, 1])
    parts = [UnitLayer(model, 0), UnitLayer(model, 1)]
    mine = latent_attribution(model, UnitLayer(model, 2), jobs, parts)
    for reference, result in zip(plain, mine, strict=True):
        assert (reference is None) == (result is None)
        if reference is None or result is None:
            continue
        assert result.n_firing == reference.n_firing
        for layer, row in zip((0, 1), result.scores, strict=True):
            np.testing.assert_allclose(row, reference.scores[layer], rtol=1e-4, atol=1e-6)


def test_a_latent_reading_a_neuron_has_it_first(model) -> None:
    sae = made_sae(model, "blocks.1.hook_resid_pre", seed=1)
    plant_reading_neuron(model, sae)
    target = UnitLayer(model.with_units(units("reads-a", sae)), 1)
    (found,) = latent_attribution(model, target, [(FED, _windows(model))], [UnitLayer(model, 0)])
    assert found is not None
    assert top_feeders([UnitLayer(model, 0)], found, 1)[0][0] == f"{MODEL}/0/{A}"


def test_an_sae_latent_scores_as_finite_differences(model) -> None:
    """Latent i's score (its activation times its decoder row . the hook's gradient) is
    what scaling its decoder output by 1 +- h does to the unit (bench.latent_circuits'
    plain way), to the central difference's error."""
    from bench.latent_circuits import HOOK, plain_latent_score

    sae = units("at-resid", made_sae(model, HOOK, seed=2))
    part = UnitLayer(model.with_units(sae), 1)
    jobs = [(u, _windows(model)) for u in range(8)]
    found = latent_attribution(model, UnitLayer(model, 2), jobs, [part])
    (unit, windows), scores = next((j, f) for j, f in zip(jobs, found, strict=True) if f)
    strongest = sorted(range(sae.n_units), key=lambda i: -abs(float(scores.scores[0][i])))[:3]
    for latent in strongest:
        plain = plain_latent_score(model, sae, unit, windows, latent, 1e-2)
        assert float(scores.scores[0][latent]) == pytest.approx(plain, rel=1e-3, abs=1e-5)


def test_units_feed_only_what_reads_after_they_write(model) -> None:
    """The places in the residual stream (n2g.models.virtual_weights): a transcoder stands
    for its block's MLP, an SAE sits at its hook."""
    neurons = [UnitLayer(model, layer) for layer in range(3)]
    tc1 = UnitLayer(model.with_units(units("tc1", made_transcoder(model, 1, seed=4))), 1)
    pre1 = UnitLayer(
        model.with_units(units("pre", made_sae(model, "blocks.1.hook_resid_pre", 1))), 1
    )
    out1 = UnitLayer(model.with_units(units("out", made_sae(model, "blocks.1.hook_mlp_out", 1))), 1)

    def feeds(a: UnitLayer, b: UnitLayer) -> bool:
        return a.writes_at < b.reads_at

    assert not feeds(neurons[1], tc1) and not feeds(tc1, neurons[1])
    assert feeds(neurons[0], tc1) and feeds(tc1, neurons[2]) and feeds(neurons[0], neurons[1])
    assert feeds(pre1, neurons[1]) and feeds(pre1, tc1) and not feeds(neurons[1], pre1)
    assert feeds(neurons[1], out1) and feeds(tc1, out1) and not feeds(out1, neurons[1])
    assert not feeds(pre1, pre1) and not feeds(neurons[1], neurons[0])


def test_transcoder_to_transcoder_is_the_exact_direct_contribution(model) -> None:
    earlier = units("tc0", made_transcoder(model, 0, seed=3))
    later_tc = made_transcoder(model, 1, seed=4)
    plant_reading_latent(model, earlier.sae, later_tc)
    later = units("tc1", later_tc)
    source, target = UnitLayer(model.with_units(earlier), 0), UnitLayer(model.with_units(later), 1)
    windows = _windows(model, n=1)
    (found,) = latent_attribution(model, target, [(FED, windows)], [source])
    assert found is not None
    # The reference: latent FEEDER's decoder output taken out of block 1's MLP input only (the
    # direct path), ln2's scale frozen at its clean value, FED's pre-activation compared.
    tokens, _ = model._pad(windows)  # with the BOS column the passes add
    at = slice(tokens.shape[1] - len(windows[0]), None)
    with torch.no_grad():
        _, cache = model.model.run_with_cache(tokens, stop_at_layer=2)
        acts = earlier.encode(cache["blocks.0.ln2.hook_normalized"])[0, :, FEEDER]
        pre = lambda x: x @ later_tc.W_enc[:, FED] + later_tc.b_enc[FED]  # noqa: E731
        clean = pre(cache["blocks.1.ln2.hook_normalized"][0])
        resid = cache["blocks.1.hook_resid_mid"][0] - acts[:, None] * earlier.sae.W_dec[FEEDER]
        ln2 = model.model.blocks[1].ln2
        centred = resid - resid.mean(dim=-1, keepdim=True)
        normed = centred / cache["blocks.1.ln2.hook_scale"][0]
        if getattr(ln2, "w", None) is not None:
            normed = normed * ln2.w + ln2.b
        removed, clean = (clean - pre(normed))[at], clean[at]
    firing = clean >= 0.5 * clean.max()  # FIRING_SHARE of n2g.models.ablation
    firing &= clean > 0
    share = float(removed[firing].sum() / clean[firing].sum())
    assert found.scores[0][FEEDER] == pytest.approx(share, rel=1e-4)
    assert top_feeders([source], found, 1)[0][0] == f"{MODEL}/tc:tc0/{FEEDER}"
