"""The graph-file contract: its JSON Schema is in sync, and bad graphs are refused."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from n2g.graph.file import GraphFileError, dump_graph_line, iter_graph_file, parse_graph_line
from n2g.graph.model import NeuronGraph, NodeKind, TrieNode
from n2g.graph.schema import SCHEMA_FILE, render_json_schema
from n2g.resources import resource_dir


def _graph() -> NeuronGraph:
    nodes = [
        TrieNode(id=0, kind=NodeKind.ACTIVATING, depth=0, token="a", token_id=1, activation=0.9),
        TrieNode(id=1, kind=NodeKind.CONTEXT, depth=1, token="b", token_id=2, importance=0.8),
        TrieNode(id=2, kind=NodeKind.END, depth=2, activation=0.9),
    ]
    return NeuronGraph(model="m", layer=0, neuron=3, a_max=2.0, nodes=nodes, edges=[(0, 1), (1, 2)])


def test_schema_file_matches_the_models():
    stored = (resource_dir("schema") / SCHEMA_FILE).read_text(encoding="utf-8")
    assert stored == render_json_schema(), "run `python -m n2g.graph.schema` to regenerate"


def test_round_trip_and_networkx():
    graph = _graph()
    again = parse_graph_line(dump_graph_line(graph))
    assert again == graph and again.key == "m/0/3"
    nx_graph = graph.to_networkx()
    assert list(nx_graph.edges) == [(0, 1), (1, 2)] and nx_graph.nodes[1]["token"] == "b"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["edges"].append([0, 2]), "two parents"),
        (lambda d: d["nodes"][1].update(depth=3), "skips a depth"),
        (lambda d: d["nodes"][1].pop("token"), "needs token"),
        (lambda d: d["nodes"][2].update(token="x", token_id=5), "must not carry a token"),
        (lambda d: d["edges"].append([2, 1]), "two parents"),
        (lambda d: d.update(a_max=float("inf")), "finite"),
        (lambda d: d.update(layer=-1), "greater than or equal"),
        (lambda d: d.update(surprise=1), "Extra inputs"),
    ],
)
def test_invalid_graphs_are_refused(change, message):
    data = json.loads(dump_graph_line(_graph()))
    change(data)
    with pytest.raises(ValidationError, match=message):
        NeuronGraph.model_validate_json(json.dumps(data))


def test_bad_line_is_named_and_others_stay_readable(tmp_path):
    path = tmp_path / "g.jsonl"
    good = dump_graph_line(_graph())
    path.write_text(good + "\n{not json\n" + good + "\n", encoding="utf-8")
    errors: list[GraphFileError] = []
    assert len(list(iter_graph_file(path, errors=errors))) == 2
    assert len(errors) == 1 and errors[0].line_number == 2 and str(path) in str(errors[0])
    with pytest.raises(GraphFileError, match=":2:"):
        list(iter_graph_file(path))


def test_a_line_that_is_not_utf8_is_a_bad_line_like_any_other(tmp_path):
    path = tmp_path / "g.jsonl"
    good = dump_graph_line(_graph()).encode("utf-8")
    path.write_bytes(good + b"\n" + good[:40] + b"\xff\xfe" + good[40:] + b"\n" + good + b"\n")
    errors: list[GraphFileError] = []
    assert [number for number, _ in iter_graph_file(path, errors=errors)] == [1, 3]
    [error] = errors
    assert (error.path, error.line_number) == (str(path), 2) and "UTF-8" in error.reason
    with pytest.raises(GraphFileError, match=":2: .*UTF-8"):
        list(iter_graph_file(path))


def test_a_byte_order_mark_and_crlf_line_ends_are_read(tmp_path):
    path = tmp_path / "g.jsonl"
    good = dump_graph_line(_graph())
    path.write_bytes(("\ufeff" + good + "\r\n" + good + "\r\n").encode("utf-8"))
    assert [graph for _, graph in iter_graph_file(path)] == [_graph(), _graph()]


def test_nodes_and_edges_have_one_canonical_order():
    """A trie's nodes and edges are sets: in any order in the file, the model holds them
    sorted (nodes by id, edges by child id), so a graph read back from anywhere is equal."""
    graph = _graph()
    data = json.loads(dump_graph_line(graph))
    data["nodes"].reverse()
    data["edges"].reverse()
    shuffled = NeuronGraph.model_validate_json(json.dumps(data))
    assert shuffled == graph and dump_graph_line(shuffled) == dump_graph_line(graph)
    assert [n.id for n in shuffled.nodes] == [0, 1, 2] and shuffled.edges == [(0, 1), (1, 2)]


def test_every_command_reading_graph_files_names_a_non_utf8_line(tmp_path):
    from typer.testing import CliRunner

    from n2g.cli import app

    path = tmp_path / "g.jsonl"
    good = dump_graph_line(_graph()).encode("utf-8")
    path.write_bytes(b"\xc3(\n" + good + b"\n")
    runner = CliRunner()
    shown = runner.invoke(app, ["show", "m/0/3", "--graphs", str(path), "--json"])
    assert shown.exit_code != 0 and "Traceback" not in shown.output
    assert shown.stderr.startswith(f"error: {path}:1: ") and "UTF-8" in shown.stderr
    assert len(shown.stderr.strip().splitlines()) == 1
    reported = runner.invoke(app, ["report", str(path)])
    assert reported.exit_code == 0, reported.output
    assert f"{path}:1: " in reported.stderr and "UTF-8" in reported.stderr


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.update(layer=True), "layer"),
        (lambda d: d.update(layer=1.0), "layer"),
        (lambda d: d.update(neuron="3"), "neuron"),
        (lambda d: d["nodes"][0].update(activation="0.9"), "nodes.0.activation"),
        (lambda d: d["nodes"][0].update(token_id=1.5), "nodes.0.token_id"),
    ],
)
def test_the_file_format_is_strict_about_json_types(change, where):
    data = json.loads(dump_graph_line(_graph()))
    change(data)
    with pytest.raises(GraphFileError, match=f"7: {where}: "):
        parse_graph_line(json.dumps(data), "g.jsonl", 7)
    data = json.loads(dump_graph_line(_graph()))
    data["a_max"] = 2  # an integer is a number, as in JSON
    assert parse_graph_line(json.dumps(data)).a_max == 2.0


def test_a_bad_line_quotes_its_field_names_as_inert_text(tmp_path):
    data = json.loads(dump_graph_line(_graph()))
    data["PWNED\x1b]0;title\x07"] = 1  # an escape sequence that would retitle a terminal
    path = tmp_path / "evil\x1b[2Jname.jsonl"
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    errors: list[GraphFileError] = []
    assert list(iter_graph_file(path, errors=errors)) == []
    message = str(errors[0])
    assert "\x1b" not in message and "\x07" not in message and "\n" not in message
    assert "PWNED\\x1b]0;title\\x07" in message and "evil\\x1b[2Jname" in message
