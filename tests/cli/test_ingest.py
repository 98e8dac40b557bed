"""`n2g-ingest` (and `n2g ingest`) through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from n2g.cli import app as n2g_app
from n2g.cli.ingest import app
from n2g.db.ingest import database_counts
from n2g.graph.file import dump_graph_line
from n2g.testing.synthetic import synthetic_graphs

runner = CliRunner()


@pytest.fixture
def args(db, db_config) -> list[str]:
    """Flags naming the (emptied) test database."""
    out = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    return out + (["--database", db_config.database] if db_config.database else [])


def _file(tmp_path, lines: list[str]) -> Path:
    path = tmp_path / "graphs.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _lines(n: int) -> list[str]:
    return [dump_graph_line(g) for g in synthetic_graphs(n, seed=5)]


def test_loads_and_summarises_then_skips_unchanged(db, args, tmp_path):
    path = _file(tmp_path, _lines(12))
    first = runner.invoke(app, [str(path), *args, "--batch-size", "5"])
    assert first.exit_code == 0, first.output
    assert "12 neuron graph(s) read" in first.output and "wrote 12 neuron(s)" in first.output
    assert "nodes +" in first.output and "/s)" in first.output
    counts = database_counts(db)
    second = runner.invoke(app, [str(path), *args, "--quiet"])
    assert second.exit_code == 0 and "12 unchanged" in second.output
    assert database_counts(db) == counts and counts["neurons"] == 12


def test_bad_lines_are_named_and_the_rest_load(db, args, tmp_path):
    good = _lines(3)
    path = _file(tmp_path, [good[0], '{"model": "m"', good[1], '{"layer": []}', good[2]])
    result = runner.invoke(app, [str(path), *args, "--quiet"])
    assert result.exit_code == 1
    assert f"{path}:2:" in result.stderr and f"{path}:4:" in result.stderr
    assert "2 bad line(s); the other lines were loaded" in result.stderr
    assert "Traceback" not in result.output
    assert database_counts(db)["neurons"] == 3


def test_strict_loads_nothing(db, args, tmp_path):
    path = _file(tmp_path, [*_lines(2), "not json"])
    result = runner.invoke(app, [str(path), *args, "--quiet", "--strict"])
    assert result.exit_code == 1 and "nothing was loaded" in result.stderr
    assert f"{path}:3:" in result.stderr
    assert database_counts(db)["neurons"] == 0


def test_dry_run_needs_no_database(tmp_path):
    path = _file(tmp_path, _lines(3))
    result = runner.invoke(app, [str(path), "--dry-run", "--quiet", "--uri", "bolt://127.0.0.1:9"])
    assert result.exit_code == 0, result.output
    assert "would write 3 neuron(s)" in result.output


def test_missing_file_is_one_clear_line(tmp_path, args):
    result = runner.invoke(app, [str(tmp_path / "absent.jsonl"), *args])
    assert result.exit_code != 0 and "graph file not found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_also_registered_as_n2g_ingest(db, args, tmp_path):
    path = _file(tmp_path, _lines(2))
    result = runner.invoke(n2g_app, ["ingest", str(path), *args, "--quiet"])
    assert result.exit_code == 0, result.output
    assert database_counts(db)["neurons"] == 2


def test_a_line_that_is_not_utf8_is_named_and_every_other_line_loads(db, args, tmp_path):
    good = _lines(4)
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(
        (good[0] + "\n").encode() + b'{"model": "caf\xe9"}\n' + (good[1] + "\n").encode()
    )
    other = tmp_path / "other.jsonl"
    other.write_text(good[2] + "\n" + good[3] + "\n", encoding="utf-8")
    result = runner.invoke(app, [str(broken), str(other), *args, "--quiet"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{broken}:2: " in result.stderr and "UTF-8" in result.stderr
    assert "1 bad line(s); the other lines were loaded" in result.stderr
    assert database_counts(db)["neurons"] == 4
    strict = runner.invoke(app, [str(other), str(broken), *args, "--quiet", "--strict"])
    assert strict.exit_code == 1 and f"{broken}:2: " in strict.stderr


def test_a_file_without_graphs_is_a_warning_and_nothing_read_is_an_error(db, args, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n  \n", encoding="utf-8")
    path = _file(tmp_path, _lines(2))
    result = runner.invoke(app, [str(empty), str(path), str(blank), *args, "--quiet"])
    assert result.exit_code == 0, result.output
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 2 and str(empty) in warnings[0] and str(blank) in warnings[1]
    assert database_counts(db)["neurons"] == 2
    for extra in ([], ["--dry-run"], ["--strict"]):
        nothing = runner.invoke(app, [str(empty), str(blank), *args, "--quiet", *extra])
        assert nothing.exit_code != 0 and "Traceback" not in nothing.output
        errors = [ln for ln in nothing.stderr.splitlines() if ln.startswith("error:")]
        assert len(errors) == 1 and "no neuron graph" in errors[0], nothing.stderr


def test_a_graph_too_large_for_one_message_is_a_bad_line_and_the_rest_load(db, args, tmp_path):
    """ArcadeDB refuses a Bolt message over 16 MiB: a 17 MB graph between two small ones is
    named as a bad line and both others load (it used to end the whole ingest)."""
    from n2g.graph.model import EvidenceExample

    small = list(synthetic_graphs(3, seed=5))
    huge = small[1].model_copy(
        update={
            "evidence": [
                EvidenceExample(
                    split="train",
                    rank=0,
                    start=0,
                    tokens=["x" * (17 * 2**20)],
                    activations=[1.0],
                    predicted=[1.0],
                )
            ]
        }
    )
    lines = [dump_graph_line(small[0]), dump_graph_line(huge), dump_graph_line(small[2])]
    path = _file(tmp_path, lines)
    result = runner.invoke(app, [str(path), *args, "--quiet"])
    assert result.exit_code == 1
    assert f"{path}:2:" in result.stderr and "MiB in one database message" in result.stderr
    assert "1 bad line(s); the other lines were loaded" in result.stderr
    assert database_counts(db)["neurons"] == 2


def test_many_large_graphs_load_at_the_default_batch_size(db, args, tmp_path):
    """600 graphs of 300 nodes each: batches end by size, not count."""
    from n2g.graph.model import NeuronGraph, NodeKind, TrieNode

    graphs = []
    for index in range(600):  # 100 paths of activating token, context token, end
        nodes, edges = [], []
        for path in range(100):
            root, context, end = 3 * path, 3 * path + 1, 3 * path + 2
            nodes += [
                TrieNode(id=root, kind=NodeKind.ACTIVATING, depth=0, token=f"a{path}",
                         token_id=path, activation=0.9),
                TrieNode(id=context, kind=NodeKind.CONTEXT, depth=1, token=f"c{path}",
                         token_id=1000 + path, importance=0.8),
                TrieNode(id=end, kind=NodeKind.END, depth=2, activation=0.9),
            ]  # fmt: skip
            edges += [(root, context), (context, end)]
        graphs.append(NeuronGraph(model="wide", layer=0, neuron=index, a_max=1.0,
                                  nodes=nodes, edges=edges))  # fmt: skip
    path = _file(tmp_path, [dump_graph_line(g) for g in graphs])
    result = runner.invoke(app, [str(path), *args, "--quiet"])
    assert result.exit_code == 0, result.output
    assert database_counts(db)["neurons"] == 600
