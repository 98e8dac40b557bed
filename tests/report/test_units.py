"""Neurons vs SAE latents in the report: the numbers recomputed from hand-made graphs."""

from __future__ import annotations

import random

import numpy as np

from n2g.graph.evaluation import Correlation
from n2g.report.units import compare_units, comparison_markdown, write_comparison_plot
from tests.report.test_tables import graph, prf


def _units(seed: int, sae: str | None, n: int, layer: int = 3):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        p, r = rng.random(), rng.random()
        g = graph(layer, i, rng.choice([0, 3, 5]), prf(p, r), prf(r, p), prf(0.1, 0.1))
        g.unit_set = sae
        if g.unit_set is not None:
            g.hook_name = f"blocks.{layer}.hook_mlp_out"
        assert g.evaluation is not None
        g.evaluation.correlation = Correlation(
            n2g=rng.uniform(-1, 1), baselines={"token_lookup": 0.1}, n_top_windows=5,
            n_random_windows=2,
        )  # fmt: skip
        out.append(g)
    return out


def test_rows_per_kind_equal_a_direct_count(tmp_path):
    neurons = _units(1, None, 40) + _units(9, None, 7, layer=2)
    latents = _units(2, "sae:L3-mlp-8x", 30)
    rows = compare_units(neurons + latents)
    assert [(r.kind, r.layer) for r in rows] == [("MLP neurons", 3), ("sae:L3-mlp-8x", 3)]
    for row, units in zip(rows, [neurons[:40], latents], strict=True):
        scored = [g.evaluation for g in units if g.evaluation.n_test_firing > 0]
        f1 = [e.n2g.f1 for e in scored]
        r = [g.evaluation.correlation.n2g for g in units]
        assert (row.n_units, row.n_scored) == (len(units), len(scored))
        assert np.isclose(row.f1.mean, np.mean(f1)) and row.f1.low <= row.f1.mean <= row.f1.high
        assert row.n_f1_well == sum(v >= 0.8 for v in f1)
        assert np.isclose(row.f1_quartiles[1], np.median(f1))
        assert np.isclose(
            row.lookup_f1.mean, np.mean([e.baselines["token_lookup"].f1 for e in scored])
        )
        assert row.correlation is not None and np.isclose(row.correlation.mean, np.mean(r))
        assert row.n_r_well == sum(v >= 0.8 for v in r)
    text = "\n".join(comparison_markdown(rows))
    assert "| 3 | MLP neurons |" in text and "| 3 | sae:L3-mlp-8x |" in text
    write_comparison_plot(neurons + latents, rows, tmp_path / "units.png")
    assert (tmp_path / "units.png").stat().st_size > 1000


def test_no_latents_no_section():
    assert compare_units(_units(1, None, 5)) == [] and comparison_markdown([]) == []


def test_neurons_sae_and_transcoder_latents_of_one_layer(tmp_path):
    """All three kinds on layer 3: neurons first, then the SAE, then the transcoder; the
    section and the plot are titled after the kinds present."""
    neurons, sae = _units(1, None, 20), _units(2, "sae:L3-mlp-8x", 20)
    transcoder = _units(3, "tc:L3-tc-8x", 25)
    for g in transcoder:
        g.hook_name = "blocks.3.ln2.hook_normalized"
    rows = compare_units(neurons + sae + transcoder)
    assert [r.kind for r in rows] == ["MLP neurons", "sae:L3-mlp-8x", "tc:L3-tc-8x"]
    f1 = [g.evaluation.n2g.f1 for g in transcoder if g.evaluation.n_test_firing > 0]
    assert rows[2].n_units == 25 and np.isclose(rows[2].f1.mean, np.mean(f1))
    text = "\n".join(comparison_markdown(rows, ["transcoder tc:L3-tc-8x on ...", ""]))
    assert text.startswith("## Neurons, SAE latents and transcoder latents\n")
    assert "transcoder tc:L3-tc-8x on ..." in text and "| 3 | tc:L3-tc-8x |" in text
    only_tc = compare_units(neurons + transcoder)
    assert comparison_markdown(only_tc)[0] == "## Neurons and transcoder latents"
    write_comparison_plot(neurons + sae + transcoder, rows, tmp_path / "units.png")
    assert (tmp_path / "units.png").stat().st_size > 1000


def test_delphis_scores_per_kind_are_the_means_of_the_scored_units():
    from tests.report.test_tables import _delphi

    neurons, latents = _units(1, None, 3), _units(2, "sae:L3-mlp-8x", 2)
    cases = [  # (decile sizes, N2G's (hits, TNR, fuzzing)); the third neuron has no context
        ([2, 0], ([1, 0], 0.5, 0.6)), ([1, 1], ([1, 1], 1.0, 0.8)), ([0, 0], ([0, 0], 1.0, 0.0)),
        ([1, 0], ([1, 0], 1.0, 1.0)), ([4, 0], ([0, 0], 1.0, 0.5)),
    ]  # fmt: skip
    for g, (sizes, n2g) in zip(neurons + latents, cases, strict=True):
        assert g.evaluation is not None
        g.evaluation.delphi = _delphi(sizes, n2g, ([0] * len(sizes), 1.0, 0.5))
    neuron_row, latent_row = compare_units(neurons + latents)
    # neurons: (1/2 + 0.5) / 2 = 0.5 and (1 + 1) / 2 = 1.0; latents: 1.0 and (0 + 1) / 2
    assert neuron_row.detection is not None and np.isclose(neuron_row.detection.mean, 0.75)
    assert neuron_row.fuzzing is not None and np.isclose(neuron_row.fuzzing.mean, 0.7)
    assert latent_row.detection is not None and np.isclose(latent_row.detection.mean, 0.75)
    assert (neuron_row.detection_median, latent_row.fuzzing_median) == (0.75, 0.75)
    text = "\n".join(comparison_markdown([neuron_row, latent_row]))
    assert "; median 0.75 |" in text and "N2G detection | N2G fuzzing |" in text
    assert compare_units(_units(1, None, 1) + _units(2, "sae:x", 1))[0].detection is None
