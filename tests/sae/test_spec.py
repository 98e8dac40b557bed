"""SAE spec strings: the three forms, their names, and one-line errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from n2g.errors import N2GError
from n2g.sae.spec import PathSAESpec, ReleaseSAESpec, TrainedSAESpec, parse_sae_spec


@pytest.mark.parametrize(
    ("text", "layer", "site", "expansion", "topk", "hook", "name"),
    [
        ("L3-mlp-8x", 3, "mlp", 8, None, "blocks.3.hook_mlp_out", "sae:L3-mlp-8x"),
        ("L5-resid-4x", 5, "resid", 4, None, "blocks.5.hook_resid_post", "sae:L5-resid-4x"),
        ("L0-mlp-16x-topk32", 0, "mlp", 16, 32, "blocks.0.hook_mlp_out", "sae:L0-mlp-16x-topk32"),
        # Case and leading zeros are forgiven; the name is canonical.
        (" l03-MLP-8X ", 3, "mlp", 8, None, "blocks.3.hook_mlp_out", "sae:L3-mlp-8x"),
    ],
)
def test_trained_specs(text, layer, site, expansion, topk, hook, name) -> None:
    spec = parse_sae_spec(text)
    assert isinstance(spec, TrainedSAESpec)
    assert (spec.layer, spec.site, spec.expansion, spec.topk) == (layer, site, expansion, topk)
    assert spec.hook_name == hook
    assert spec.name == name
    assert spec.architecture == ("standard" if topk is None else "topk")
    assert parse_sae_spec(spec.text) == spec  # the canonical text parses back


def test_path_spec_is_named_after_its_folder(tmp_path: Path) -> None:
    spec = parse_sae_spec(f"path:{tmp_path / 'my-sae'}")
    assert isinstance(spec, PathSAESpec)
    assert spec.folder == tmp_path / "my-sae"
    assert spec.name == "sae:my-sae"
    assert parse_sae_spec(str(spec)) == spec


def test_path_spec_name_of_a_relative_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse_sae_spec("path:.").name == f"sae:{tmp_path.name}"


@pytest.mark.parametrize(
    ("text", "release", "sae_id", "name"),
    [
        (
            "release:gpt2-small-res-jb/blocks.8.hook_resid_pre",
            "gpt2-small-res-jb",
            "blocks.8.hook_resid_pre",
            "sae:gpt2-small-res-jb:blocks.8.hook_resid_pre",
        ),
        (  # ids may hold slashes: the name must not (keys use / as separator)
            "release:gemma-scope-2b-pt-res/layer_20/width_16k/average_l0_71",
            "gemma-scope-2b-pt-res",
            "layer_20/width_16k/average_l0_71",
            "sae:gemma-scope-2b-pt-res:layer_20~width_16k~average_l0_71",
        ),
    ],
)
def test_release_specs(text, release, sae_id, name) -> None:
    spec = parse_sae_spec(text)
    assert isinstance(spec, ReleaseSAESpec)
    assert (spec.release, spec.sae_id, spec.name) == (release, sae_id, name)
    assert "/" not in spec.name
    assert parse_sae_spec(spec.text) == spec


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "banana",
        "L3-attn-8x",  # unknown site
        "L3-mlp-0x",  # no latents
        "L3-mlp-8",  # no x
        "L-mlp-8x",
        "L3-mlp-8x-topk0",
        "L3-mlp-8x-topk",
        "L3-mlp-8x-extra",
        "L3-mlp-2000x",  # absurd expansion
        "path:",
        "path:/",  # a folder without a name
        "release:gpt2-small-res-jb",  # no id
        "release:/blocks.8.hook_resid_pre",
        "release:gpt2-small-res-jb/",
        "release:a b/c",
    ],
)
def test_bad_specs_are_one_line_errors(text: str) -> None:
    with pytest.raises(N2GError) as caught:
        parse_sae_spec(text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("bad SAE spec")
    assert "path:<folder>" in message  # it says what to write instead


def test_parsed_specs_pass_through() -> None:
    spec = parse_sae_spec("L1-mlp-2x")
    assert parse_sae_spec(spec) is spec
