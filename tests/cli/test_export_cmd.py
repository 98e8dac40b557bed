"""`n2g export`: Parquet and JSON Lines that pandas and Hugging Face datasets read back,
the labels file, from the database or a graph file; bad input is one line and leaves no
file behind."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.graph.file import dump_graph_line
from n2g.graph.label import unit_label
from tests.serve.graphs import HOSTILE_KEY, HOSTILE_TOKENS, SAE_KEY, serve_graphs

runner = CliRunner()
GRAPHS = serve_graphs()
HAND = [g for g in GRAPHS if g.model == "hand"]


@pytest.fixture(scope="module")
def db_args(db_config) -> list[str]:
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, GRAPHS)
    flags = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    return flags + (["--database", db_config.database] if db_config.database else [])


@pytest.fixture
def graph_file(tmp_path):
    path = tmp_path / "graphs.jsonl"
    path.write_text("".join(dump_graph_line(g) + "\n" for g in GRAPHS), encoding="utf-8")
    return path


def _ok(*args: str) -> str:
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_parquet_from_the_database_reads_back_in_pandas_and_datasets(
    db_args, tmp_path, monkeypatch
):
    import pandas as pd

    out, labels = tmp_path / "units.parquet", tmp_path / "labels.json"
    said = _ok(str(out), "-m", "hand", "--labels", str(labels), *db_args)
    assert f"wrote {len(HAND)} unit(s)" in said
    frame = pd.read_parquet(out)
    assert sorted(frame["key"]) == sorted(g.key for g in HAND)
    by_key = frame.set_index("key")
    hostile = by_key.loc[HOSTILE_KEY]
    assert {n["token"] for n in hostile["nodes"] if n["token"] is not None} == set(HOSTILE_TOKENS)
    assert hostile["evaluation"]["n2g"]["f1"] == 0.6  # nested, as the graph nests it
    assert list(hostile["evidence"][0]["tokens"]) == ["a", *HOSTILE_TOKENS, "z"]
    assert hostile["label"] == unit_label(next(g for g in GRAPHS if g.key == HOSTILE_KEY))

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets

    loaded = datasets.load_dataset(
        "parquet", data_files=str(out), split="train", cache_dir=str(tmp_path / "hf")
    )
    assert loaded.num_rows == len(HAND) and set(loaded["key"]) == set(frame["key"])

    names = json.loads(labels.read_text(encoding="utf-8"))
    assert list(names) == ["hand"]  # model -> hook -> index -> label
    sae = next(g for g in GRAPHS if g.key == SAE_KEY)
    assert names["hand"]["blocks.1.hook_mlp_out"][str(sae.neuron)] == unit_label(sae)  # its own
    assert names["hand"]["blocks.2.mlp.hook_post"]["99"] == hostile["label"]  # a neuron: MLP's


def test_models_sharing_a_hook_keep_their_own_labels(graph_file, tmp_path) -> None:
    """hand/0/0 and other/0/0 are both neuron 0 of blocks.0.mlp.hook_post: keyed by hook
    alone, one label would replace the other."""
    labels = tmp_path / "labels.json"
    _ok(str(tmp_path / "units.jsonl"), "--graphs", str(graph_file), "--labels", str(labels))
    names = json.loads(labels.read_text(encoding="utf-8"))
    assert set(names) == {g.model for g in GRAPHS}
    for key in ("hand/0/0", "other/0/0"):
        graph = next(g for g in GRAPHS if g.key == key)
        assert names[graph.model]["blocks.0.mlp.hook_post"]["0"] == unit_label(graph)
    assert sum(len(ids) for hooks in names.values() for ids in hooks.values()) == len(GRAPHS)


def test_jsonl_from_a_graph_file_filtered_by_layer(graph_file, tmp_path) -> None:
    out = tmp_path / "layer2.jsonl"
    _ok(str(out), "--graphs", str(graph_file), "--layer", "2")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["key"] for r in rows) == sorted(g.key for g in GRAPHS if g.layer == 2)
    assert all(r["label"].startswith("fires on") for r in rows)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["units.csv"], "export to .parquet or .jsonl"),
        (["nofolder/units.parquet"], "no folder"),
        (["units.parquet", "-m", "nosuch"], "no neuron graphs for model 'nosuch'"),
        (["units.parquet", "-m", "hand", "--layer", "7"], "no unit to export"),
        (["units.parquet", "--graphs", "missing.jsonl"], "graph file not found"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(db_args, tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["export", *args, *db_args])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and words in result.output
    assert not any(tmp_path.iterdir())  # no file, no temporary file


def test_an_interrupted_export_leaves_no_file(graph_file, tmp_path, monkeypatch) -> None:
    import pyarrow.parquet as pq

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pq.ParquetWriter, "write_table", interrupted)
    out = tmp_path / "units.parquet"
    result = runner.invoke(app, ["export", str(out), "--graphs", str(graph_file)])
    assert result.exit_code == 130 and "interrupted" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graphs.jsonl"]


def test_search_by_label_finds_the_units_whose_label_holds_the_text(db_args) -> None:
    result = runner.invoke(app, ["search", "--label", "EVERYONE", "--json", "-n", "100", *db_args])
    assert result.exit_code == 0, result.output
    found = {row["key"] for row in json.loads(result.stdout)}
    expected = {g.key for g in GRAPHS if "everyone" in unit_label(g).lower()}
    assert found == expected and expected
    both = runner.invoke(app, ["search", "x", "--label", "y", *db_args])
    assert both.exit_code == 2 and "--label searches labels alone" in both.output


def test_the_parquet_schema_has_a_type_for_every_field() -> None:
    """Row groups share one schema, read off a unit with every optional field set: a field
    added to the format but left empty there would have no type (and break a later group
    where it is set)."""
    import pyarrow as pa

    from n2g.export import row_schema

    def untyped(kind, path=""):
        if pa.types.is_null(kind):
            yield path
        elif pa.types.is_struct(kind):
            for field in kind:
                yield from untyped(field.type, f"{path}.{field.name}")
        elif pa.types.is_list(kind):
            yield from untyped(kind.value_type, f"{path}[]")

    schema = row_schema()
    assert [p for field in schema for p in untyped(field.type, field.name)] == []


def test_many_units_are_written_a_row_group_at_a_time(tmp_path, monkeypatch) -> None:
    import pyarrow.parquet as pq

    from n2g import export
    from n2g.testing.synthetic import synthetic_graphs

    monkeypatch.setattr(export, "ROWS_PER_GROUP", 7)
    graphs = list(synthetic_graphs(30, seed=3))
    assert export.write_rows(graphs, tmp_path / "u.parquet") == 30
    parquet = pq.ParquetFile(tmp_path / "u.parquet")
    assert parquet.metadata.num_row_groups == 5 and parquet.metadata.num_rows == 30


def test_a_bad_line_in_the_graph_file_is_one_line_and_nothing_is_written(graph_file, tmp_path):
    """As `n2g ingest --strict`: the bad line named as FILE:LINE, no traceback, no file."""
    lines = graph_file.read_text(encoding="utf-8").splitlines()
    broken = [lines[0], '{"model": "m", ', *lines[1:]]
    graph_file.write_text("\n".join(broken) + "\n", encoding="utf-8")
    for out in (tmp_path / "units.parquet", tmp_path / "units.jsonl"):
        labels = tmp_path / "labels.json"
        args = ["export", str(out), "--graphs", str(graph_file), "--labels", str(labels)]
        result = runner.invoke(app, args)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
        named = [line for line in result.output.splitlines() if f"{graph_file}:2: " in line]
        assert len(named) == 1 and named[0].startswith("bad line: "), result.output
        assert "error: 1 bad line(s) in the graph file(s); nothing was written" in result.output
        assert sorted(p.name for p in tmp_path.iterdir()) == ["graphs.jsonl"]


def test_symlinks_planted_at_the_outputs_are_replaced_never_followed(graph_file, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    for name in ("units.parquet", "units.jsonl"):
        out, labels = tmp_path / name, tmp_path / "labels.json"
        for path in (out, labels):
            path.unlink(missing_ok=True)
            path.symlink_to(victim)
        _ok(str(out), "--graphs", str(graph_file), "--labels", str(labels))
        assert victim.read_text(encoding="utf-8") == "precious\n"
        assert not out.is_symlink() and not labels.is_symlink()
        assert json.loads(labels.read_text(encoding="utf-8"))
    names = ["graphs.jsonl", "labels.json", "units.jsonl", "units.parquet", "victim.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == names
