"""SAEs trained here: trained once, cached in SAELens' format, measured, then only loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from n2g.errors import N2GError
from n2g.sae import SAETrainConfig, load_units
from n2g.sae import train as train_module
from n2g.sae.acts import hook_activations
from n2g.sae.cache import MANIFEST, sae_folder
from n2g.sae.quality import QUALITY_FILE


def _windows(model, n: int = 3, width: int = 20) -> list[list[int]]:
    ids = model.encode("Where there is smoke there is fire; better late than never. " * 3)
    return [ids[i * width : (i + 1) * width] for i in range(n)]


def test_units_describe_the_hook(relu_units, topk_units, sae_model) -> None:
    d_model = sae_model.model.cfg.d_model
    assert relu_units.name == "sae:L0-mlp-4x"
    assert (relu_units.hook_name, relu_units.layer) == ("blocks.0.hook_mlp_out", 0)
    assert (relu_units.d_in, relu_units.n_units) == (d_model, 4 * d_model)
    assert (topk_units.hook_name, topk_units.layer) == ("blocks.1.hook_resid_post", 1)
    assert topk_units.n_units == 2 * d_model


def test_cached_in_saelens_format(relu_units, sae_model, sae_cache) -> None:
    folder = sae_folder(sae_model.name, "sae:L0-mlp-4x", sae_cache)
    assert relu_units.folder == folder
    assert folder == sae_cache / "saes" / sae_model.name / "sae:L0-mlp-4x"
    names = {p.name for p in folder.iterdir()}
    assert names == {"cfg.json", "sae_weights.safetensors", QUALITY_FILE, MANIFEST}
    cfg = json.loads((folder / "cfg.json").read_text())
    assert cfg["architecture"] == "standard"
    assert cfg["normalize_activations"] == "none"  # the scale is folded into the weights
    assert cfg["metadata"]["hook_name"] == "blocks.0.hook_mlp_out"
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["spec"] == "L0-mlp-4x" and manifest["corpus"].startswith("file:")
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_second_call_loads_without_training(
    relu_units, sae_model, corpus_file, sae_cache, tiny_config, monkeypatch
) -> None:
    calls = []
    monkeypatch.setattr(train_module, "train_sae", lambda *a, **k: calls.append(a))
    weights = sae_cache / "saes" / sae_model.name / "sae:L0-mlp-4x" / "sae_weights.safetensors"
    before = weights.stat().st_mtime_ns
    again = load_units(
        "L0-mlp-4x",
        sae_model,
        cache_dir=sae_cache,
        corpus=str(corpus_file),
        train_config=tiny_config,
        progress=False,
    )
    plain = load_units("L0-mlp-4x", sae_model, cache_dir=sae_cache, progress=False)
    assert calls == []
    assert weights.stat().st_mtime_ns == before
    x = hook_activations(sae_model, relu_units.hook_name, _windows(sae_model))
    assert torch.equal(again.encode(x), relu_units.encode(x))
    assert torch.equal(plain.encode(x), relu_units.encode(x))
    assert again.quality == relu_units.quality


def test_encode_relu_shape_and_sign(relu_units, sae_model) -> None:
    x = hook_activations(sae_model, relu_units.hook_name, _windows(sae_model))
    assert x.shape == (3, 20, relu_units.d_in)
    latents = relu_units.encode(x)
    assert latents.shape == (3, 20, relu_units.n_units)
    assert latents.dtype == torch.float32
    assert bool((latents >= 0).all())
    assert bool((latents > 0).any())
    assert relu_units.decode(latents).shape == x.shape


def test_encode_topk_keeps_at_most_k(topk_units, sae_model) -> None:
    x = hook_activations(sae_model, topk_units.hook_name, _windows(sae_model))
    latents = topk_units.encode(x)
    assert latents.shape == (3, 20, topk_units.n_units)
    assert bool((latents >= 0).all())
    assert int((latents > 0).sum(-1).max()) <= 3


def test_quality_is_measured_and_in_range(relu_units, topk_units, tiny_config) -> None:
    for units in (relu_units, topk_units):
        quality = units.quality
        assert quality is not None
        assert quality.explained_variance <= 1.0
        assert quality.mean_l0 >= 0.0
        assert 0.0 <= quality.dead_fraction <= 1.0
        assert quality.n_tokens == tiny_config.eval_windows * tiny_config.context
        assert quality.d_sae == units.n_units
    assert topk_units.quality is not None and topk_units.quality.mean_l0 <= 3.0


def test_training_is_deterministic(sae_model, corpus_file, tiny_config, tmp_path) -> None:
    def train(cache: Path):
        return load_units(
            "L1-mlp-2x",
            sae_model,
            cache_dir=cache,
            corpus=str(corpus_file),
            train_config=tiny_config,
            progress=True,  # the progress bar path, once
        )

    first, second = train(tmp_path / "a"), train(tmp_path / "b")
    for a, b in zip(first.sae.parameters(), second.sae.parameters(), strict=True):
        assert torch.equal(a, b)


def test_other_settings_than_the_cached_ones(
    relu_units, sae_model, sae_cache, tiny_config, tmp_path
) -> None:
    other_config = tiny_config.model_copy(update={"seed": 1})
    with pytest.raises(N2GError, match="other settings"):
        load_units("L0-mlp-4x", sae_model, cache_dir=sae_cache, train_config=other_config)
    other_corpus = tmp_path / "other.txt"
    other_corpus.write_text("something else entirely " * 20)
    with pytest.raises(N2GError, match="trained on file:"):
        load_units("L0-mlp-4x", sae_model, cache_dir=sae_cache, corpus=str(other_corpus))


@pytest.mark.parametrize(
    ("spec", "changes", "match"),
    [
        ("L5-mlp-2x", {}, "out of range"),  # the model has 2 layers
        ("L0-mlp-2x", {"context": 64}, "too long"),  # + BOS > n_ctx 64
        ("L0-mlp-2x", {"eval_tokens": 10**6}, "fewer"),
        ("L0-mlp-2x-topk999", {}, "more than"),
    ],
)
def test_training_errors_are_one_line(
    sae_model, corpus_file, tiny_config, tmp_path, spec, changes, match
) -> None:
    with pytest.raises(N2GError, match=match) as caught:
        load_units(
            spec,
            sae_model,
            cache_dir=tmp_path,
            corpus=str(corpus_file),
            train_config=SAETrainConfig(**{**tiny_config.model_dump(), **changes}),
            progress=False,
        )
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "saes" / sae_model.name / f"sae:{spec}").exists()


def test_corpus_with_nothing_left_to_train_on(sae_model, tiny_config, tmp_path) -> None:
    short = tmp_path / "short.txt"
    short.write_text("x" * (tiny_config.eval_windows * tiny_config.context + 5))  # held out only
    with pytest.raises(N2GError, match="no training window"):
        load_units(
            "L0-mlp-2x",
            sae_model,
            cache_dir=tmp_path,
            corpus=str(short),
            train_config=tiny_config,
            progress=False,
        )
