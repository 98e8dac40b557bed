"""`n2g run` and `n2g report` through CliRunner: bad input is one line and a non-zero exit."""

import json

from typer.testing import CliRunner

from n2g.cli import app
from n2g.graph.evaluation import Evaluation, Scores
from n2g.graph.file import dump_graph_line
from n2g.graph.model import NeuronGraph, NodeKind, TrieNode

runner = CliRunner()


def one_line_error(result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    return lines[0]


def test_run_rejects_bad_layers_and_settings(tmp_path):
    out = str(tmp_path / "run")
    assert "--layers" in one_line_error(runner.invoke(app, ["run", "--layers", "x", "--out", out]))
    line = one_line_error(runner.invoke(app, ["run", "--neurons-per-layer", "0", "--out", out]))
    assert "neurons_per_layer" in line
    line = one_line_error(runner.invoke(app, ["run", "--dtype", "half", "--out", out]))
    assert "dtype" in line


def test_run_with_the_database_down_fails_before_any_model_work(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", "--uri", "bolt://127.0.0.1:9", "--out", str(out)])
    assert "no database answers at bolt://127.0.0.1:9" in one_line_error(result)
    assert not (out / "records").exists()


def graph(neuron: int, f1: float | None, firing: int) -> NeuronGraph:
    scores = Scores(precision=f1, recall=f1, f1=f1)
    return NeuronGraph(
        model="m", layer=0, neuron=neuron, a_max=1.0,
        nodes=[TrieNode(id=0, kind=NodeKind.ACTIVATING, depth=0, token="x", token_id=5,
                        activation=1.0),
               TrieNode(id=1, kind=NodeKind.END, depth=1, activation=1.0)],
        edges=[(0, 1)],
        evaluation=Evaluation(n_train_examples=10, n_test_examples=10, n_test_tokens=64,
                              n_test_firing=firing, n2g=scores,
                              baselines={"token_lookup": scores, "ngram": scores}),
    )  # fmt: skip


def test_report_prints_the_table_and_names_bad_lines(tmp_path):
    path = tmp_path / "g.jsonl"
    lines = [dump_graph_line(graph(0, 0.5, 3)), "{not json", dump_graph_line(graph(1, 1.0, 2)),
             dump_graph_line(graph(2, None, 0))]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["report", str(path), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert f"bad line: {path}:2: " in result.stderr
    assert "1 bad line(s) skipped; the report is of the other lines" in result.stderr
    # mean of 0.5 and 1.0, then its bootstrap interval; the best F1 of the layer in bold
    assert "| 0 | 0.75 | 0.75 | **0.75 [0.50, 1.00]** |" in result.output
    assert "1 of 3 (33.3%)" in result.output  # neuron 2 has no firing test token
    assert (tmp_path / "r" / "quality.png").exists()
    as_json = runner.invoke(app, ["report", str(path), "--json"])
    assert json.loads(as_json.stdout[as_json.stdout.index("{") :])["layers"][0]["n_scored"] == 2


def test_report_errors(tmp_path):
    assert "not found" in one_line_error(runner.invoke(app, ["report", str(tmp_path / "x")]))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert "no valid neuron graph" in one_line_error(runner.invoke(app, ["report", str(empty)]))


def test_the_run_ends_with_the_command_that_browses_it_and_no_password() -> None:
    from n2g.cli.db_options import DatabaseFlags
    from n2g.cli.pipeline_cmd import browse_command

    line = browse_command(
        DatabaseFlags(uri="bolt://127.0.0.1:7687", user="neo4j", password="s3cret-pw")
    )
    assert line.startswith("n2g serve --uri bolt://127.0.0.1:7687 --user neo4j")
    assert "s3cret-pw" not in line and "password" not in line
    assert browse_command(DatabaseFlags()).startswith("n2g serve   (then open http://127.0.0.1")


def test_report_replaces_symlinks_planted_at_its_outputs_never_following_them(tmp_path):
    """Somebody else's symlink at report.md, quality.png or units.png (a shared output
    folder) is replaced by the report's own file; the file it points at is left alone."""
    from tests.report.test_units import _units

    path = tmp_path / "g.jsonl"
    graphs = _units(1, None, 12) + _units(2, "sae:L3-mlp-8x", 12)
    path.write_text("".join(dump_graph_line(g) + "\n" for g in graphs), encoding="utf-8")
    out, victim = tmp_path / "r", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("precious\n", encoding="utf-8")
    names = ("report.md", "quality.png", "units.png")
    for name in names:
        (out / name).symlink_to(victim)
    result = runner.invoke(app, ["report", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "precious\n"
    for name in names:
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 100, name
    assert sorted(p.name for p in out.iterdir()) == sorted(names)  # no temporary file left
