"""FEEDS edges in a real ArcadeDB server: `n2g feeds` computes and stores them, `n2g
circuit` reads them (up, down, paths), through CliRunner; the planted circuit reads back."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.errors import N2GError
from n2g.models import load_model
from n2g.models.virtual_weights import UnitLayer, feeds
from n2g.search.circuits import CircuitMissing, circuit, write_feeds
from n2g.testing.handmade import make_graph
from tests.builder.conftest import write_records
from tests.circuits.planted import A, B, planted_model

runner = CliRunner()
MODEL = "tiny-gelu-3l-s0"
STORED = range(16)  # the units of each layer with a stored graph


def _graphs(model: str, layers: range, units: range) -> list:
    return [make_graph(model, layer, u, [("a", [" b"], 0.9)]) for layer in layers for u in units]


@pytest.fixture(scope="module")
def db_args(db_config) -> list[str]:
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(
            db, _graphs(MODEL, range(3), STORED) + _graphs("planted-2l", range(2), range(64))
        )
    args = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    return args + (["--database", db_config.database] if db_config.database else [])


@pytest.fixture(scope="module")
def stored(db_args) -> list[str]:
    result = runner.invoke(app, ["feeds", "-m", MODEL, "--layers", "0-2", "--k", "3", *db_args])
    assert result.exit_code == 0, result.output
    return db_args


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_feeds_stores_k_edges_per_later_unit_and_replaces_them(stored) -> None:
    again = _run("feeds", "-m", MODEL, "--layers", "0-2", "--k", "3", *stored)
    assert again.exit_code == 0, again.output
    assert f"stored {3 * 2 * len(STORED)} FEEDS edges" in again.output  # not doubled
    assert "layer 0: 16, layer 1: 16, layer 2: 16" in again.output


_BY_LAYERS = (
    "MATCH (a:Neuron)-[r:FEEDS]->(b:Neuron) WHERE a.model = $m AND r.source = 'weights' "
    "RETURN a.layer AS source, b.layer AS target, count(*) AS n"
)


def _edges_by_layers(db_config) -> dict[tuple[int, int], int]:
    with Database.connect(db_config) as db:
        rows = db.read(_BY_LAYERS, {"m": MODEL})
    return {(row["source"], row["target"]): row["n"] for row in rows}


def test_feeds_on_some_layers_keeps_the_edges_into_the_others(stored, db_config) -> None:
    """`--layers 1-2` after `--layers 0-2` replaces the feeders of layer 2's units (now
    from layer 1 alone) and keeps those of layer 1's (from layer 0): a run on some layers
    loses nothing another run stored for the rest."""
    before = _edges_by_layers(db_config)
    assert before[(0, 1)] == 3 * len(STORED)
    result = _run("feeds", "-m", MODEL, "--layers", "1-2", "--k", "3", *stored)
    assert result.exit_code == 0, result.output
    assert _edges_by_layers(db_config) == {(0, 1): before[(0, 1)], (1, 2): 3 * len(STORED)}
    again = _run("feeds", "-m", MODEL, "--layers", "0-2", "--k", "3", *stored)
    assert again.exit_code == 0, again.output
    assert _edges_by_layers(db_config) == before


def test_circuit_reads_back_the_computed_feeders(stored) -> None:
    model = load_model(MODEL)
    parts = [UnitLayer(model, layer, STORED) for layer in range(3)]
    expected = [e for e in feeds(parts, k=3) if e.target == f"{MODEL}/2/4"]
    result = _run("circuit", f"{MODEL}/2/4", "--json", *stored)
    assert result.exit_code == 0, result.output
    edges = json.loads(result.stdout)["edges"]
    assert [(e["source"], e["rank"], e["hop"]) for e in edges] == [
        (x.source, x.rank, 1) for x in expected
    ]
    assert [e["virtual_weight"] for e in edges] == pytest.approx(
        [x.virtual_weight for x in expected]
    )
    table = _run("circuit", f"{MODEL}/2/4", *stored)
    assert table.exit_code == 0 and expected[0].source in table.output


def test_depth_two_follows_the_feeders_feeders(stored) -> None:
    body = json.loads(_run("circuit", f"{MODEL}/2/4", "-d", "2", "--json", *stored).stdout)
    first = {e["source"] for e in body["edges"] if e["hop"] == 1}
    second = [e for e in body["edges"] if e["hop"] == 2]
    assert second and all(e["target"] in first for e in second)
    assert all(e["source"].startswith(f"{MODEL}/0/") for e in second)


def test_downstream_and_paths(stored) -> None:
    down = json.loads(_run("circuit", f"{MODEL}/2/4", "--json", *stored).stdout)["edges"]
    feeder = down[0]["source"]
    body = json.loads(_run("circuit", feeder, "--direction", "down", "--json", *stored).stdout)
    assert f"{MODEL}/2/4" in {e["target"] for e in body["edges"]}
    assert all(e["source"] == feeder for e in body["edges"] if e["hop"] == 1)
    paths = _run("circuit", feeder, "--to", f"{MODEL}/2/4", "-d", "2", "--json", *stored)
    units = [p["units"] for p in json.loads(paths.stdout)["paths"]]
    assert [feeder, f"{MODEL}/2/4"] in units
    shown = _run("circuit", feeder, "--to", f"{MODEL}/2/4", *stored)
    assert shown.exit_code == 0 and " -> " in shown.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([f"{MODEL}/1/99"], "no unit"),
        ([f"{MODEL}/0/3"], "layer 0"),
        ([f"{MODEL}/1/3", "--depth", "5"], "depth"),
        ([f"{MODEL}/1/3", "--depth", "0"], "depth"),
        ([f"{MODEL}/1/3", "--direction", "sideways"], "direction"),
        ([f"{MODEL}/1/3", "--source", "guess"], "source"),
        (["not-a-key"], "not MODEL/LAYER/INDEX"),
        (["planted-2l/1/3", "--source", "data"], "n2g feeds"),
    ],
)
def test_bad_input_is_one_error_line(stored, args, words) -> None:
    result = _run("circuit", *args, *stored)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--layers", "1"], "nothing upstream"),
        (["--layers", "0-2", "--ablate", "2"], "--records"),
        (["--layers", "0-2", "--k", "0"], "--k"),
        (["--layers", "5-6"], "no neuron graphs"),
        (["--layers", "2,5"], "nothing upstream"),
        (["--layers", "0-2", "--source", "data"], "--records"),
        (["--layers", "0-2", "--min-effect", "0.1"], "--ablate"),
        (["--layers", "0-2", "--source", "guess"], "--source"),
        (["--layers", "0-2", "--records", "/nonexistent/records"], "no such folder"),
    ],
)
def test_feeds_bad_input_is_one_error_line(stored, args, words) -> None:
    result = _run("feeds", "-m", MODEL, *args, *stored)
    lines = result.output.strip().splitlines()
    assert result.exit_code != 0 and len(lines) == 1 and words in lines[0], result.output


def test_every_source_is_stored_and_checked_by_ablation(stored, db_config, tmp_path) -> None:
    records = tmp_path / "records"
    write_records(records, load_model(MODEL), [1, 2])
    args = ["--layers", "0-2", "--k", "3", "--records", str(records), "--crop", "12"]
    result = _run(
        "feeds", "-m", MODEL, *args, "--source", "all", "--ablate", "2", "--json", *stored
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary["by_source"]) == {"weights", "data", "evidence"}
    assert summary["by_source"]["data"] > 0 and summary["measured"] > 0
    for layer in ("1", "2"):
        for source in ("weights", "data", "evidence"):
            figures = summary["check"][layer][source]["zero"]
            assert figures["units"] > 0 and 0.0 <= figures["precision_at_k"] <= 1.0
    data = json.loads(_run("circuit", f"{MODEL}/2/4", "--source", "data", "--json", *stored).stdout)
    assert data["edges"] and {e["kind"] for e in data["edges"]} == {"data"}
    assert all(e["virtual_weight"] is None for e in data["edges"])
    measured = [e for e in data["edges"] if e["ablation_effect"] is not None]
    weights = json.loads(_run("circuit", f"{MODEL}/2/4", "--json", *stored).stdout)["edges"]
    assert {e["kind"] for e in weights} == {"weights"}  # the other sources left it alone
    assert len(weights) == 3 and measured is not None
    plain = _run("feeds", "-m", MODEL, *args, "--json", *stored)  # records given: data only
    assert list(json.loads(plain.stdout)["by_source"]) == ["data"], plain.output
    again = ["--source", "data", "--ablate", "2", "--json"]
    dropped = _run("feeds", "-m", MODEL, *args, *again, "--min-effect", "1000", *stored)
    assert dropped.exit_code == 0, dropped.output
    body = json.loads(dropped.stdout)
    assert body["dropped"] >= body["measured"] > 0  # every measured edge, of any source
    with Database.connect(db_config) as db:
        left = db.read(
            "MATCH (a:Neuron)-[r:FEEDS]->() WHERE a.model = $m AND r.ablation_effect IS NOT NULL "
            "RETURN count(*) AS n",
            {"m": MODEL},
        )
    assert left[0]["n"] == 0


def test_the_planted_circuit_reads_back_first(db_config, stored) -> None:
    model = planted_model()
    edges = feeds([UnitLayer(model, 0), UnitLayer(model, 1)], k=5)
    with Database.connect(db_config) as db:
        assert write_feeds(db, model.name, [e.as_row() for e in edges]) == len(edges)
        found = circuit(db, f"{model.name}/1/{B}")
        assert found.edges[0].source == f"{model.name}/0/{A}"
        with pytest.raises(CircuitMissing):
            circuit(db, f"{model.name}/1/{B}", source="data")
        with pytest.raises(N2GError, match="layer 0"):
            circuit(db, f"{model.name}/0/{A}")


def test_edges_written_a_few_a_transaction_replace_the_old_ones(db_config, stored) -> None:
    """A model's edges are deleted and written `per_transaction` at a time (one
    transaction of all of layers 0-3's edges ran the local server out of memory): a
    rewrite with fewer edges leaves exactly those."""
    model = planted_model()
    rows = [e.as_row() for e in feeds([UnitLayer(model, 0), UnitLayer(model, 1)], k=5)]
    count = "MATCH (a:Neuron)-[r:FEEDS]->() WHERE a.model = $m RETURN count(*) AS n"
    with Database.connect(db_config) as db:
        assert write_feeds(db, model.name, rows, per_transaction=2) == len(rows) > 4
        assert db.read(count, {"m": model.name})[0]["n"] == len(rows)
        assert write_feeds(db, model.name, rows[:3], per_transaction=2) == 3
        assert db.read(count, {"m": model.name})[0]["n"] == 3
        assert write_feeds(db, model.name, rows) == len(rows)  # as the other tests left it


def test_scoring_in_slices_for_progress_stores_the_same_edges(
    stored, db_config, tmp_path, monkeypatch
) -> None:
    """`n2g run --circuits` scores a layer's targets a slice at a time to report progress:
    the edges are those of one slice a layer, for every source."""
    from n2g import stages
    from n2g.circuits import stage
    from n2g.circuits.sources import SOURCES

    model = load_model(MODEL)
    records = tmp_path / "records"
    write_records(records, model, [1, 2])
    query = (
        "MATCH (a:Neuron)-[r:FEEDS]->(b:Neuron) WHERE a.model = $m "
        "RETURN a.key AS s, b.key AS t, r.source AS kind, r.rank AS rank, r.weight AS w"
    )

    def edges(db: Database) -> list[tuple]:
        rows = db.read(query, {"m": MODEL})
        return sorted((r["kind"], r["t"], r["rank"], r["s"], round(r["w"], 4)) for r in rows)

    settings = {"sources": list(SOURCES), "records": records, "k": 3, "crop": 12}
    seen: list[tuple] = []
    with Database.connect(db_config) as db:
        stages.feeds(db, model, [0, 1, 2], **settings)
        whole = edges(db)
        monkeypatch.setattr(stage, "PROGRESS_UNITS", 5)
        stages.feeds(db, model, [0, 1, 2], **settings, done=lambda *a: seen.append(a))
        assert edges(db) == whole and len(whole) > 3 * 2 * len(STORED)
    assert [units for source, layer, units, _ in seen if (source, layer) == ("data", 1)] == [
        5,
        5,
        5,
        1,
    ]
    assert sum(n for *_, n in seen) == len(whole)
