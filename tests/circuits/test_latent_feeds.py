"""Latents as FEEDS ends in a real ArcadeDB server, through `n2g feeds --sae/--transcoder`
(CliRunner): on the tiny model with planted latents (tests/circuits/planted_latents.py),
the planted feeder comes first by both sources, `n2g circuit` reads latent keys, and what a
user can get wrong is one error line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.models import load_model
from n2g.record.store import RecordsManifest, save_layer, save_manifest
from n2g.serve import create_app
from n2g.testing.handmade import make_graph
from tests.builder.conftest import TEXT, brute_force_records, write_records
from tests.circuits.planted_latents import (
    FED,
    FEEDER,
    MODEL,
    A,
    made_sae,
    made_transcoder,
    plant_reading_latent,
    plant_reading_neuron,
    save,
    units,
)

runner = CliRunner()
LOCAL = "http://127.0.0.1"  # a Host the service answers to
STORED = range(16)


def _graphs(model: str, layer: int, unit_set: str | None = None) -> list:
    made = [make_graph(model, layer, u, [("a", [" b"], 0.9)]) for u in STORED]
    return [g.model_copy(update={"unit_set": unit_set}) for g in made] if unit_set else made


def _latent_records(folder: Path, model, spec: str, loaded) -> None:
    view = model.with_units(loaded)
    for layer_records in brute_force_records(view, TEXT, [loaded.layer], 20, 24).values():
        save_layer(folder, layer_records)
    save_manifest(
        folder,
        RecordsManifest(
            model=model.name, layers=[loaded.layer], n_units=loaded.n_units, k=20, window=24,
            corpus="file:/unused", n_windows=0, n_tokens=len(model.encode(TEXT)),
            unit_set_spec=spec,
        ),
    )  # fmt: skip


@pytest.fixture(scope="module")
def setup(db_config, tmp_path_factory) -> dict:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("latent-feeds")
    model = load_model(MODEL)
    reads_a = made_sae(model, "blocks.1.hook_resid_pre", seed=1)
    plant_reading_neuron(model, reads_a)
    tc0, tc1 = made_transcoder(model, 0, seed=3), made_transcoder(model, 1, seed=4)
    plant_reading_latent(model, tc0, tc1)
    specs = {
        "sae": save(reads_a, root / "reads-a"),
        "tc0": save(tc0, root / "tc0"),
        "tc1": save(tc1, root / "tc1"),
        "unstored": save(made_sae(model, "blocks.1.hook_resid_pre", seed=9), root / "unstored"),
        "elsewhere": save(made_sae(model, "blocks.1.hook_resid_pre", seed=8), root / "elsewhere"),
    }
    records = {"neurons": root / "records"}
    write_records(records["neurons"], model, [0, 1, 2])
    for name, made in (("sae", reads_a), ("tc0", tc0), ("tc1", tc1)):
        kind = "sae" if name == "sae" else "tc"
        records[name] = root / f"records-{name}"
        _latent_records(records[name], model, specs[name], units(Path(specs[name]).name, made))
        del kind
    graphs = [g for layer in range(3) for g in _graphs(MODEL, layer)]
    graphs += _graphs(MODEL, 1, "sae:reads-a") + _graphs(MODEL, 0, "tc:tc0")
    graphs += _graphs(MODEL, 1, "tc:tc1") + _graphs("planted-2l", 1, "sae:elsewhere")
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, graphs)
    args = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    args += ["--database", db_config.database] if db_config.database else []
    latents = ["--sae", specs["sae"], "--transcoder", specs["tc0"], "--transcoder", specs["tc1"]]
    return {"db": args, "config": db_config, "specs": specs, "records": records, "latents": latents}


def _run(*args: str):
    return runner.invoke(app, list(args))


def _edges(setup: dict, key: str, source: str, direction: str = "up") -> list[dict]:
    result = _run(
        "circuit", key, "--source", source, "--direction", direction, "--json", *setup["db"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["edges"]


def _strongest_out(setup: dict, key: str, source: str) -> str:
    down = _edges(setup, key, source, "down")
    return max(down, key=lambda e: abs(e["weight"]))["target"]


def _feeds(setup: dict, source: str, given: list[str], sets: list[str], layers: str = "0-2") -> str:
    folders = [x for name in ["neurons", *sets] for x in ("--records", str(setup["records"][name]))]
    args = ["feeds", "-m", MODEL, "--layers", layers, "--k", "3", "--source", source]
    result = _run(*args, *given, *folders, *setup["db"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("source", ["weights", "data"])
def test_a_latent_reading_a_neuron_has_it_first(setup, source) -> None:
    shown = _feeds(setup, source, ["--sae", setup["specs"]["sae"]], ["sae"])
    assert "layer 0: 16, layer 1: 16, layer 2: 16, sae:reads-a: 16" in shown
    sae_j = f"{MODEL}/sae:reads-a/{FED}"
    assert _edges(setup, sae_j, source)[0]["source"] == f"{MODEL}/0/{A}"
    assert _strongest_out(setup, f"{MODEL}/0/{A}", source) == sae_j
    later = _edges(setup, f"{MODEL}/2/4", source)  # neurons are fed by latents too
    assert any("/sae:" in e["source"] for e in later)
    table = _run("circuit", sae_j, "--source", source, *setup["db"])
    assert table.exit_code == 0 and f"{MODEL}/0/{A}" in table.output
    with (
        Database.connect(setup["config"]) as db,
        TestClient(create_app(db), base_url=LOCAL) as client,
    ):
        shown = client.get(f"/units/{sae_j}")  # the unit page's circuit section
        assert shown.status_code == 200 and f"/units/{MODEL}/0/{A}" in shown.text
        drawn = client.get(f"/circuit/{sae_j}")  # the latents' column after their block's
        assert drawn.status_code == 200, drawn.text
        headings = re.findall(r'<text class="layer"[^>]*>([^<]*)</text>', drawn.text)
        assert headings == ["layer 0", "layer 1 \u00b7 sae:reads-a"], headings


@pytest.mark.parametrize("source", ["weights", "data"])
def test_a_transcoder_latent_reading_another_has_it_first(setup, source) -> None:
    """Only block 2's neurons take part: each transcoder stands for its block's MLP, so
    block 0's and 1's neurons would be the same outputs counted twice."""
    given = ["--transcoder", setup["specs"]["tc0"], "--transcoder", setup["specs"]["tc1"]]
    shown = _feeds(setup, source, given, ["tc0", "tc1"], layers="2")
    assert "layer 2: 16, tc:tc0: 16, tc:tc1: 16" in shown
    tc1_j = f"{MODEL}/tc:tc1/{FED}"
    assert _edges(setup, tc1_j, source)[0]["source"] == f"{MODEL}/tc:tc0/{FEEDER}"
    assert _strongest_out(setup, f"{MODEL}/tc:tc0/{FEEDER}", source) == tc1_j


def test_bad_latent_input_is_one_error_line(setup) -> None:
    specs, db = setup["specs"], setup["db"]
    base = ["feeds", "-m", MODEL, "--layers", "0-2", "--source", "weights"]
    data = ["--source", "data", "--records", str(setup["records"]["neurons"])]
    sae_records = str(setup["records"]["sae"])
    cases = [
        (["--sae", specs["unstored"]], "no latents of it stored"),
        (["--sae", specs["elsewhere"]], "stored for planted-2l, not"),
        (["--sae", specs["tc0"]], "give it as --transcoder"),
        (["--transcoder", specs["sae"]], "give it as --sae"),
        (["--sae", specs["sae"], *data], "records of sae:reads-a"),
        (["--sae", specs["sae"], "--source", "data", "--records", sae_records], "neurons' records"),
        (["--sae", specs["sae"], "--ablate", "2", *data], "neuron edges only"),
        (["--records", "/nonexistent", "--records", "/n2"], "give one folder"),
        (["--sae", "L1-nope"], "L<layer>"),
    ]
    for extra, words in cases:
        result = _run(*base, *extra, *db)
        lines = result.output.strip().splitlines()
        assert result.exit_code != 0 and len(lines) == 1, (extra, result.output)
        assert lines[0].startswith("error:") and words in lines[0], (extra, result.output)
