"""`n2g record --sae` and `n2g build` on its records, through the CLI (CliRunner)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.graph.file import iter_graph_file
from n2g.models import load_model
from n2g.record.corpus import open_corpus
from n2g.record.store import load_manifest
from n2g.sae import load_units

MODEL = "tiny-gelu-2l-s0"
runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory, corpus_file, tiny_config):
    """A tiny SAE of the named model, trained beforehand into the cache the CLI reads."""
    cache = tmp_path_factory.mktemp("cli-sae-cache")
    model = load_model(MODEL)
    corpus = open_corpus(str(corpus_file))
    units = load_units("L1-mlp-2x", model, cache_dir=cache, corpus=corpus, train_config=tiny_config)
    return cache, units


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sae", "L3-mlp"], "bad SAE spec"),
        (["--sae", "L1-tc-2x-topk3"], "no TopK transcoder"),
        (["--sae", "L1-tc-2x", "--layers", "0"], "reads layer 1"),
        (["--sae", "L1-mlp-2x", "--layers", "0"], "reads layer 1"),
        (["--sae", "path:/no/such/folder"], "not found"),
    ],
)
def test_bad_sae_options_are_one_line(tmp_path, corpus_file, args, message):
    result = runner.invoke(
        app,
        ["record", "--model", MODEL, "--corpus", str(corpus_file), "--out", str(tmp_path), *args],
    )
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]


def test_record_then_build_latents(tmp_path, corpus_file, trained, monkeypatch):
    cache, units = trained
    monkeypatch.setenv("N2G_CACHE_DIR", str(cache))
    records = tmp_path / "records-sae"
    result = runner.invoke(
        app,
        ["record", "--model", MODEL, "--sae", "L1-mlp-2x", "--corpus", str(corpus_file),
         "--window", "16", "--k", "6", "--max-tokens", "0", "--out", str(records), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"x {units.n_units} latents" in result.output
    manifest = load_manifest(records)
    assert manifest.unit_set_spec == units.spec and manifest.layers == [1]
    out = tmp_path / "latents.jsonl"
    result = runner.invoke(
        app,
        ["build", "--records", str(records), "--out", str(out), "--neurons", "0:4",
         "--random-windows", "0", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    graphs = [g for _, g in iter_graph_file(out)]
    assert [g.key for g in graphs] == [f"{MODEL}/{units.name}/{i}" for i in range(4)]
    assert all(g.hook_name == "blocks.1.hook_mlp_out" for g in graphs)
