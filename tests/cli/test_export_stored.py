"""n2g.export_stored: stored lines read by Arrow give the table the graph model gives, row
for row, column for column; a batch the model must read (a line of an older format, a unit
without its label, a line Arrow cannot read) goes through the model, and `n2g export`
from the database writes what an export of the same graphs from their file writes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.export import row_schema, unit_row
from n2g.export_stored import lines_table
from n2g.graph.file import dump_graph_line, parse_graph_line
from n2g.graph.label import unit_label
from n2g.graph.model import NeuronGraph
from n2g.testing.synthetic import synthetic_graphs
from tests.serve.graphs import serve_graphs

DATA = Path(__file__).resolve().parents[1] / "data"
runner = CliRunner()


def _sample(name: str) -> list[str]:
    with gzip.open(DATA / name, "rt", encoding="utf-8") as file:
        return [line for line in file.read().splitlines() if line.strip()]


MAIN_JOB = [parse_graph_line(line) for line in _sample("main-job-sample.jsonl.gz")]
GRAPH_SETS = {
    "main job": MAIN_JOB,
    "hand-made": serve_graphs(),  # hostile tokens, latents, a unit without evidence
    "synthetic": list(synthetic_graphs(40, seed=5)),
}


def _stored(graphs: list[NeuronGraph]) -> list[dict[str, str]]:
    """What queries/unit_graphs.cypher returns of each unit."""
    return [{"key": g.key, "graph": dump_graph_line(g), "label": unit_label(g)} for g in graphs]


def _by_the_model(graphs: list[NeuronGraph]) -> pa.Table:
    return pa.Table.from_pylist([unit_row(g) for g in graphs], schema=row_schema())


@pytest.mark.parametrize("name", list(GRAPH_SETS))
def test_the_lines_give_the_table_the_model_gives(name: str) -> None:
    graphs = GRAPH_SETS[name]
    table = lines_table(_stored(graphs))
    assert table is not None
    assert table.schema.equals(row_schema())
    assert table.equals(_by_the_model(graphs))


def test_a_unit_without_evidence_has_an_empty_list_as_the_model_gives() -> None:
    graphs = GRAPH_SETS["hand-made"]
    bare = [i for i, g in enumerate(graphs) if not g.evidence]
    assert bare and len(bare) < len(graphs)
    evidence = lines_table(_stored(graphs))["evidence"].to_pylist()  # type: ignore[index]
    assert all(evidence[i] == [] for i in bare)


def test_batches_the_model_must_read_are_refused() -> None:
    rows = _stored(MAIN_JOB[:5])
    older = _sample("format-3-main-job-sample.jsonl.gz")[0]
    assert json.loads(older)["format_version"] == 3
    assert lines_table([]) is None
    assert lines_table([*rows, {**rows[0], "graph": None}]) is None  # an older ingest's unit
    assert lines_table([*rows, {**rows[0], "label": None}]) is None  # stored before labels
    assert lines_table([*rows, {**rows[0], "graph": older}]) is None  # the model upgrades it
    unknown = rows[0]["graph"][:-1] + ', "not_a_field": 1}'
    assert lines_table([*rows, {**rows[0], "graph": unknown}]) is None
    assert lines_table([*rows, {**rows[0], "graph": "{not json"}]) is None


@pytest.fixture(scope="module")
def stored(db_config) -> tuple[list[str], Database]:
    graphs = MAIN_JOB + GRAPH_SETS["hand-made"]
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, graphs)
    flags = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    return flags + (["--database", db_config.database] if db_config.database else []), graphs


def _export(tmp_path: Path, name: str, *args: str) -> tuple[pa.Table, dict]:
    out, labels = tmp_path / f"{name}.parquet", tmp_path / f"{name}.json"
    result = runner.invoke(app, ["export", str(out), "--labels", str(labels), *args])
    assert result.exit_code == 0, result.output
    return pq.read_table(out), json.loads(labels.read_text(encoding="utf-8"))


def test_the_database_export_is_the_graph_files(stored, db_config, tmp_path) -> None:
    flags, graphs = stored
    path = tmp_path / "graphs.jsonl"
    path.write_text("".join(dump_graph_line(g) + "\n" for g in graphs), encoding="utf-8")
    from_file, file_labels = _export(tmp_path, "file", "--graphs", str(path))
    from_db, db_labels = _export(tmp_path, "db", *flags)
    assert from_db.num_rows == len(graphs)
    assert from_db.equals(from_file.sort_by("key"))  # the database's rows come in key order
    assert db_labels == file_labels

    # a unit stored before labels were: its batch is read through the model, alike
    with Database.connect(db_config) as db:
        db.execute("MATCH (n:Neuron) WHERE n.key = $key SET n.label = null", {"key": graphs[3].key})
    again, again_labels = _export(tmp_path, "again", *flags)
    assert again.equals(from_db) and again_labels == db_labels
