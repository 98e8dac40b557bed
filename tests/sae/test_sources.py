"""SAEs from elsewhere: a SAELens folder (`path:`) and a SAELens release (`release:`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from sae_lens import SAE, StandardSAE, StandardSAEConfig, TopKSAE, TopKSAEConfig
from sae_lens.saes.sae import SAEMetadata

from n2g.errors import N2GError
from n2g.sae import load_units
from n2g.sae.acts import hook_activations


def _save(folder: Path, sae) -> Path:
    """Save with SAELens' own writer, as a SAELens user would."""
    with torch.no_grad():  # random non-zero biases, so that encode is not trivial
        for parameter in sae.parameters():
            parameter.normal_(generator=torch.Generator().manual_seed(parameter.numel()))
    sae.save_model(str(folder))
    return folder


def _standard(d_in: int, hook: str | None = "blocks.1.hook_resid_post") -> StandardSAE:
    metadata = SAEMetadata(hook_name=hook) if hook else SAEMetadata()
    return StandardSAE(StandardSAEConfig(d_in=d_in, d_sae=3 * d_in, metadata=metadata))


def _windows(model) -> list[list[int]]:
    ids = model.encode("All that glitters is not gold; actions speak louder than words.")
    return [ids[:24], ids[24:48]]


def test_path_goes_through_saelens(sae_model, tmp_path) -> None:
    d_model = sae_model.model.cfg.d_model
    folder = _save(tmp_path / "my-resid-sae", _standard(d_model))
    units = load_units(f"path:{folder}", sae_model, cache_dir=tmp_path / "cache")
    assert units.name == "sae:my-resid-sae"
    assert (units.hook_name, units.layer) == ("blocks.1.hook_resid_post", 1)
    assert (units.d_in, units.n_units) == (d_model, 3 * d_model)
    assert units.folder == folder and units.quality is None
    x = hook_activations(sae_model, units.hook_name, _windows(sae_model))
    expected = SAE.load_from_disk(str(folder)).encode(x)
    assert torch.equal(units.encode(x), expected)
    assert not (tmp_path / "cache").exists()  # a path: SAE is used in place


def test_path_topk_mlp_out(sae_model, tmp_path) -> None:
    d_model = sae_model.model.cfg.d_model
    metadata = SAEMetadata(hook_name="blocks.0.hook_mlp_out")
    sae = TopKSAE(TopKSAEConfig(d_in=d_model, d_sae=2 * d_model, k=2, metadata=metadata))
    folder = _save(tmp_path / "topk", sae)
    units = load_units(f"path:{folder}", sae_model)
    x = hook_activations(sae_model, units.hook_name, _windows(sae_model))
    latents = units.encode(x)
    assert torch.equal(latents, SAE.load_from_disk(str(folder)).encode(x))
    assert int((latents > 0).sum(-1).max()) <= 2


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda d, folder: _save(folder, _standard(d + 1)), "wide"),  # another model's SAE
        (lambda d, folder: _save(folder, _standard(d, "blocks.7.hook_resid_post")), "range"),
        (lambda d, folder: _save(folder, _standard(d, "blocks.0.no_such_hook")), "no hook"),
        (lambda d, folder: _save(folder, _standard(d, "hook_embed")), "not inside a block"),
        (lambda d, folder: _save(folder, _standard(d, None)), "no hook_name"),
        (lambda d, folder: folder.mkdir(), "cfg.json"),
        (lambda d, folder: None, "not found"),
    ],
)
def test_bad_path_sae_is_one_line_error(sae_model, tmp_path, make, match) -> None:
    folder = tmp_path / "sae"
    make(sae_model.model.cfg.d_model, folder)
    with pytest.raises(N2GError, match=match) as caught:
        load_units(f"path:{folder}", sae_model)
    assert "\n" not in str(caught.value)


def test_broken_weights_are_one_line_error(sae_model, tmp_path) -> None:
    folder = _save(tmp_path / "sae", _standard(sae_model.model.cfg.d_model))
    (folder / "sae_weights.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(N2GError, match="cannot load the SAE") as caught:
        load_units(f"path:{folder}", sae_model)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "spec",
    [
        "release:gpt2-small-res-jb/blocks.8.hook_resid_pre",  # a real release: needs the hub
        "release:no-such-release/blocks.0.hook_resid_pre",
    ],
)
def test_release_offline_is_one_line_error(sae_model, tmp_path, monkeypatch, spec) -> None:
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads the variable once, at import: set its constant too.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(N2GError, match="through SAELens") as caught:
        load_units(spec, sae_model, cache_dir=tmp_path)
    assert "\n" not in str(caught.value)
