"""Transcoders: trained here (MLP input -> MLP output), cached in SAELens' format, measured
against the real MLP output; loaded from a SAELens folder; their bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from sae_lens import (
    SAE,
    JumpReLUTranscoder,
    JumpReLUTranscoderConfig,
    SkipTranscoder,
    SkipTranscoderConfig,
    Transcoder,
    TranscoderConfig,
)
from sae_lens.saes.sae import SAEMetadata

from n2g.cluster.dispatch import Placement
from n2g.errors import N2GError
from n2g.record.corpus import CorpusConfig, open_corpus, windows
from n2g.run.config import RunConfig
from n2g.sae import load_units
from n2g.sae.acts import hooks_activations
from n2g.sae.cache import MANIFEST, sae_folder
from n2g.sae.spec import TrainedTranscoderSpec, parse_sae_spec
from n2g.stages import Units, add_unit_set

IN, OUT = "blocks.{}.ln2.hook_normalized", "blocks.{}.hook_mlp_out"


def _windows(model) -> list[list[int]]:
    ids = model.encode("All that glitters is not gold; actions speak louder than words.")
    return [ids[:24], ids[24:48]]


def test_transcoder_specs() -> None:
    spec = parse_sae_spec(" l3-TC-8x ")
    assert isinstance(spec, TrainedTranscoderSpec)
    assert (spec.layer, spec.expansion, spec.text, spec.name) == (3, 8, "L3-tc-8x", "tc:L3-tc-8x")
    assert (spec.hook_name, spec.hook_name_out) == (IN.format(3), OUT.format(3))
    assert spec.known_layer == 3 and parse_sae_spec(spec.text) == spec
    for bad, why in (("L3-tc-8x-topk4", "no TopK transcoder"), ("L3-tc-0x", "expansion")):
        with pytest.raises(N2GError, match=why) as caught:
            parse_sae_spec(bad)
        assert "\n" not in str(caught.value) and "L<layer>-tc-<expansion>x" in str(caught.value)


def test_units_read_the_mlp_input_and_predict_its_output(tc_units, sae_model) -> None:
    d_model = sae_model.model.cfg.d_model
    assert tc_units.name == "tc:L0-tc-4x" and tc_units.spec == "L0-tc-4x"
    assert tc_units.transcoder and tc_units.kind == "transcoder"
    assert (tc_units.hook_name, tc_units.hook_name_out) == (IN.format(0), OUT.format(0))
    assert (tc_units.layer, tc_units.d_in, tc_units.n_units, tc_units.d_out) == (
        0, d_model, 4 * d_model, d_model,
    )  # fmt: skip


def test_cached_in_saelens_transcoder_format(tc_units, sae_model, sae_cache) -> None:
    folder = sae_folder(sae_model.name, "tc:L0-tc-4x", sae_cache)
    assert tc_units.folder == folder
    cfg = json.loads((folder / "cfg.json").read_text())
    assert cfg["architecture"] == "transcoder" and cfg["normalize_activations"] == "none"
    assert cfg["metadata"]["hook_name"] == IN.format(0)
    assert cfg["metadata"]["hook_name_out"] == OUT.format(0)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert (manifest["spec"], manifest["hook_name_out"]) == ("L0-tc-4x", OUT.format(0))
    plain = SAE.load_from_disk(str(folder))  # as any SAELens user loads it
    assert isinstance(plain, Transcoder)
    x = hooks_activations(sae_model, [tc_units.hook_name], _windows(sae_model))[0]
    assert torch.equal(tc_units.encode(x), plain.encode(x))
    # decoder rows are unit-norm once the scales and norms are folded in
    norms = plain.W_dec.detach().norm(dim=1)
    assert torch.allclose(norms[norms > 0], torch.ones_like(norms[norms > 0]), atol=1e-5)


def test_quality_is_the_explained_variance_of_the_mlp_output(
    tc_units, sae_model, corpus_file, tc_config
) -> None:
    """Recomputed by hand on the held-out windows (the first ones of the corpus): the
    transcoder's prediction against the MLP's real output, not against its input."""
    corpus = open_corpus(CorpusConfig(spec=str(corpus_file)))
    held = [ids for _, ids in windows(corpus, sae_model, 32, max_windows=tc_config.eval_windows)]
    x, y = hooks_activations(sae_model, [tc_units.hook_name, OUT.format(0)], held)
    x, y = x.reshape(-1, x.shape[-1]).double(), y.reshape(-1, y.shape[-1]).double()
    latents = tc_units.encode(x.float())
    predicted = tc_units.decode(latents).double()
    explained = 1 - (y - predicted).var(0, unbiased=False).sum() / y.var(0, unbiased=False).sum()
    quality = tc_units.quality
    assert quality is not None and quality.n_tokens == len(y)
    assert quality.explained_variance == pytest.approx(float(explained), abs=1e-5)
    assert quality.explained_variance > 0.5  # it learned the MLP
    assert quality.mean_l0 == pytest.approx(float((latents > 0).sum(-1).double().mean()))
    assert quality.mean_l0 < tc_units.n_units / 2


def test_training_is_deterministic(sae_model, corpus_file, tc_config, tmp_path) -> None:
    def train(cache: Path):
        return load_units(
            "L1-tc-2x",
            sae_model,
            cache_dir=cache,
            corpus=str(corpus_file),
            train_config=tc_config.model_copy(update={"training_tokens": 512}),
            progress=True,
        )

    first, second = train(tmp_path / "a"), train(tmp_path / "b")
    for a, b in zip(first.sae.parameters(), second.sae.parameters(), strict=True):
        assert torch.equal(a, b)
    assert first.quality == second.quality


def _saved(folder: Path, cls, cfg_cls, d: int, hook_in: str, hook_out: str | None) -> Path:
    """A transcoder saved with SAELens' own writer, as a SAELens user would."""
    metadata = SAEMetadata(hook_name=hook_in, **({"hook_name_out": hook_out} if hook_out else {}))
    sae = cls(cfg_cls(d_in=d, d_sae=3 * d, d_out=d, apply_b_dec_to_input=False, metadata=metadata))
    with torch.no_grad():
        for parameter in sae.parameters():
            parameter.normal_(generator=torch.Generator().manual_seed(parameter.numel()))
    sae.save_model(str(folder))
    return folder


@pytest.mark.parametrize(
    ("cls", "cfg_cls"),
    [
        (Transcoder, TranscoderConfig),
        (SkipTranscoder, SkipTranscoderConfig),
        (JumpReLUTranscoder, JumpReLUTranscoderConfig),
    ],
)
def test_path_transcoder_goes_through_saelens(sae_model, tmp_path, cls, cfg_cls) -> None:
    d = sae_model.model.cfg.d_model
    folder = _saved(tmp_path / "my-transcoder", cls, cfg_cls, d, IN.format(1), OUT.format(1))
    units = load_units(f"path:{folder}", sae_model)
    assert units.name == "tc:my-transcoder" and units.transcoder
    assert (units.hook_name, units.hook_name_out, units.layer) == (IN.format(1), OUT.format(1), 1)
    x = hooks_activations(sae_model, [units.hook_name], _windows(sae_model))[0]
    assert torch.equal(units.encode(x), SAE.load_from_disk(str(folder)).encode(x))
    view = sae_model.with_units(units)
    assert view.unit_set == "tc:my-transcoder" and view.n_units == 3 * d


@pytest.mark.parametrize(
    ("d_out", "hook_out", "match"),
    [
        (1, OUT.format(1), "writes"),  # another model's transcoder
        (0, OUT.format(0), "within one block"),
        (0, "blocks.1.no_such_hook", "no hook"),
    ],
)
def test_bad_path_transcoder_is_one_line_error(sae_model, tmp_path, d_out, hook_out, match):
    d = sae_model.model.cfg.d_model
    metadata = SAEMetadata(hook_name=IN.format(1), hook_name_out=hook_out)
    sae = Transcoder(
        TranscoderConfig(
            d_in=d, d_sae=2 * d, d_out=d + d_out, apply_b_dec_to_input=False, metadata=metadata
        )
    )
    sae.save_model(str(tmp_path / "tc"))
    with pytest.raises(N2GError, match=match) as caught:
        load_units(f"path:{tmp_path / 'tc'}", sae_model)
    assert "\n" not in str(caught.value)


def test_run_options_take_their_own_kind(sae_model, tmp_path, corpus_file) -> None:
    with pytest.raises(N2GError, match="is a transcoder: give it as --transcoder"):
        RunConfig(sae="L3-tc-8x")
    with pytest.raises(N2GError, match="is an SAE"):
        RunConfig(transcoder="L3-mlp-8x")
    config = RunConfig(sae="L3-mlp-8x", transcoder="L3-tc-8x", out=tmp_path)
    [sae, tc] = config.unit_sets
    assert (sae.option, sae.graph_file, sae.records_dir) == (
        "sae", tmp_path / "graphs-sae-L3-mlp-8x.jsonl", tmp_path / "records-sae-L3-mlp-8x",
    )  # fmt: skip
    assert (tc.option, tc.graph_file) == ("transcoder", tmp_path / "graphs-tc-L3-tc-8x.jsonl")
    # a path: folder's kind is known once it is opened: an SAE given as --transcoder
    d = sae_model.model.cfg.d_model
    metadata = SAEMetadata(hook_name=OUT.format(0))
    from sae_lens import StandardSAE, StandardSAEConfig

    StandardSAE(StandardSAEConfig(d_in=d, d_sae=d, metadata=metadata)).save_model(
        str(tmp_path / "an-sae")
    )
    config = RunConfig(transcoder=f"path:{tmp_path / 'an-sae'}", out=tmp_path)
    neurons = Units(sae_model, [0], Placement())
    with pytest.raises(N2GError, match="holds an SAE: give it as --sae"):
        add_unit_set(
            neurons,
            config.unit_sets[0].spec,
            corpus=str(corpus_file),
            progress=False,
            transcoder=True,
        )
