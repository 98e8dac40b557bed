"""One malformed line per rule of the graph-file format, each refused with its line named.

The standing malformed-file part of the fuzz and fault suite (docs/promises.md): every rule
the format states (n2g/graph/model.py, schema/graph.schema.json) has a line here that breaks
only that rule. Each must be refused by the reader with `file:line: reason`, and the same
file through `n2g ingest`, `n2g report` and `n2g export --graphs` must name the bad lines
one line each, the same way, and never print a traceback; ingest and report keep every
good line, export (a file written whole or not at all) writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.cli.common import MAX_ERRORS_SHOWN
from n2g.db.ingest import database_counts
from n2g.graph.file import GraphFileError, dump_graph_line, iter_graph_file, parse_graph_line
from n2g.graph.model import NeuronGraph, NodeKind, TrieNode

Change = Callable[[dict[str, Any]], Any]


def _good(neuron: int = 3) -> NeuronGraph:
    nodes = [
        TrieNode(id=0, kind=NodeKind.ACTIVATING, depth=0, token="a", token_id=1, activation=0.9),
        TrieNode(id=1, kind=NodeKind.CONTEXT, depth=1, token="b", token_id=2, importance=0.8),
        TrieNode(id=2, kind=NodeKind.END, depth=2, activation=0.9),
    ]
    edges = [(0, 1), (1, 2)]
    return NeuronGraph(model="m", layer=0, neuron=neuron, a_max=2.0, nodes=nodes, edges=edges)


def _evidence(**change: Any) -> dict[str, Any]:
    example = {"split": "train", "rank": 0, "start": 0, "tokens": ["a"]}
    example |= {"activations": [0.9], "predicted": [0.9]}
    return example | change


def _evaluation(**change: Any) -> dict[str, Any]:
    evaluation = {"n_train_examples": 1, "n_test_examples": 1, "n_test_tokens": 1}
    evaluation |= {"n_test_firing": 0, "n2g": {}}
    return evaluation | change


def _delphi(hits: list[int]) -> dict[str, Any]:
    """delphi's scores of one activating and one non-activating context, N2G's `hits`."""
    judged = {"detection": {"decile_hits": hits}, "fuzzing": {"decile_hits": [0]}}
    return {"context_tokens": 32, "decile_sizes": [1], "n_non_activating": 1,
            "n_highlighted": 1, "n2g": judged}  # fmt: skip


def _output(**change: Any) -> dict[str, Any]:
    """Output tokens whose promoted side takes `change` (the suppressed one is good)."""
    good = {"token_ids": [4], "tokens": ["a"], "logits": [1.0]}
    return {"promoted": good | change, "suppressed": good | {"logits": [-1.0]}}


def _set(path: str, value: Any) -> Change:
    """Set a field by dotted path (`nodes.1.depth`)."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


def _drop(path: str) -> Change:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[last]

    return change


def _add_child(parent: int | None, kind: str, depth: int) -> Change:
    """Add node 7 of `kind` at `depth`, under `parent` (None: no edge)."""

    def change(data: dict[str, Any]) -> None:
        node: dict[str, Any] = {"id": 7, "kind": kind, "depth": depth, "token": "c"}
        node |= {"token_id": 3, "activation": 0.5, "importance": 0.5}
        if kind == "activating":
            del node["importance"]
        else:
            del node["activation"]
        data["nodes"].append(node)
        if parent is not None:
            data["edges"].append([parent, 7])

    return change


# rule -> (the change to a good graph's JSON object, a word the reason must hold)
RULES: dict[str, tuple[Change, str]] = {
    "a model is named": (_drop("model"), "model"),
    "a model name is not empty": (_set("model", ""), "model"),
    "layer is a whole number": (_set("layer", 1.0), "layer"),
    "layer is not a boolean": (_set("layer", True), "layer"),
    "layer is not negative": (_set("layer", -1), "layer"),
    "neuron is a number, not text": (_set("neuron", "3"), "neuron"),
    "neuron is not negative": (_set("neuron", -2), "neuron"),
    "a unit set is sae:NAME": (_set("unit_set", "latents"), "unit_set"),
    "a_max is a number": (_set("a_max", "2.0"), "a_max"),
    "a_max is finite": (_set("a_max", float("inf")), "finite"),
    "a_max is a number, not NaN": (_set("a_max", float("nan")), "finite"),
    "a_max is positive in a graph with nodes": (_set("a_max", 0.0), "positive"),
    "a_max is not negative": (_set("a_max", -1.5), "positive"),
    "no unknown field": (_set("surprise", 1), "Extra inputs"),
    "node ids are not negative": (_set("nodes.2.id", -1), "id"),
    "node ids are unique": (_set("nodes.2.id", 1), "unique"),
    "a node kind is known": (_set("nodes.1.kind", "hub"), "kind"),
    "depth is not negative": (_set("nodes.1.depth", -1), "depth"),
    "an activating node has a token": (_drop("nodes.0.token"), "needs token"),
    "an end node has no token": (_set("nodes.2.token", "x"), "must not carry a token"),
    "an activating node has an activation": (_drop("nodes.0.activation"), "activation"),
    "a context node has an importance": (_drop("nodes.1.importance"), "importance"),
    "activations are finite": (_set("nodes.2.activation", float("nan")), "finite"),
    "importance is a number": (_set("nodes.1.importance", "0.8"), "importance"),
    "token ids are whole numbers": (_set("nodes.0.token_id", 1.5), "token_id"),
    "an edge names existing nodes": (_set("edges.1", [1, 9]), "missing node"),
    "a node has one parent": (lambda d: d["edges"].append([0, 2]), "two parents"),
    "an end node has no children": (_add_child(2, "context", 3), "cannot have children"),
    "an activating node is no child": (_add_child(0, "activating", 1), "first level"),
    "edges do not skip a depth": (_set("nodes.2.depth", 3), "skips a depth"),
    "activating nodes have depth 0": (_add_child(None, "activating", 1), "depth 0"),
    "every other node has a parent": (_set("edges", [[0, 1]]), "no parent"),
    "an edge is a pair": (_set("edges.0", [0, 1, 2]), "edges"),
    "a setting is in range": (_set("settings.prune_threshold", 2.0), "prune_threshold"),
    "a setting's value is known": (_set("settings.pivots", "all"), "pivots"),
    "an evidence split is train or test": (
        _set("evidence", [_evidence(split="dev")]),
        "split",
    ),
    "evidence has tokens": (
        _set("evidence", [_evidence(tokens=[], activations=[], predicted=[])]),
        "tokens",
    ),
    "evidence values align with tokens": (
        _set("evidence", [_evidence(activations=[0.9, 0.1])]),
        "same length",
    ),
    "evidence ranks are unique": (_set("evidence", [_evidence(), _evidence()]), "unique"),
    "a baseline is a known scoring method": (
        _set("evaluation", _evaluation(baselines={"oracle": {}})),
        "unknown scoring method",
    ),
    "delphi's hits count within its deciles": (
        _set("evaluation", _evaluation(delphi=_delphi(hits=[2]))),
        "decile_hits",
    ),
    "evidence values are finite": (
        _set("evidence", [_evidence(predicted=[float("inf")])]),
        "finite",
    ),
    "token grades are aligned": (
        _set("token_grades", {"token_ids": [1, 2], "levels": [0.1]}),
        "same length",
    ),
    "token grades name each token once": (
        _set("token_grades", {"token_ids": [1, 1], "levels": [0.1, 0.2]}),
        "distinct",
    ),
    "token grades are finite": (
        _set("token_grades", {"token_ids": [1], "levels": [float("nan")]}),
        "finite",
    ),
    "output tokens are aligned": (
        _set("output_tokens", _output(logits=[1.0, 0.5])),
        "same length",
    ),
    "output tokens name each token once": (
        _set("output_tokens", _output(token_ids=[4, 4], tokens=["a", "b"], logits=[1.0, 0.5])),
        "distinct",
    ),
    "output logits are finite": (
        _set("output_tokens", _output(logits=[float("inf")])),
        "finite",
    ),
    "a histogram's counts add up to its positions": (
        _set("activation_histogram", {"positions": 5, "negative": 1, "zero": 1, "counts": [2]}),
        "sum to 4",
    ),
}
# Lines that break the file's own rules (one JSON object per line, UTF-8) rather than a field's.
RAW_LINES: dict[str, tuple[bytes, str]] = {
    "a line is JSON": (b'{"model": "m", ', "JSON"),
    "a line is an object": (b"[1, 2, 3]", "object"),
    "a line is UTF-8": ('{"model": "\u00e9"}'.encode("latin-1"), "UTF-8"),
}


def _broken_line(rule: str) -> bytes:
    if rule in RAW_LINES:
        return RAW_LINES[rule][0]
    data = json.loads(dump_graph_line(_good()))
    RULES[rule][0](data)
    return json.dumps(data).encode("utf-8")


ALL_RULES = sorted([*RULES, *RAW_LINES])


def test_there_is_a_case_for_every_rule_the_model_states() -> None:
    """Each `raise ValueError` in the graph model (and its scores) has a case here
    (counted, so a new rule without a case fails this test)."""
    from pathlib import Path

    import n2g.graph.evaluation as evaluation
    import n2g.graph.histogram as histogram
    import n2g.graph.model as model

    raised = sum(
        Path(m.__file__).read_text(encoding="utf-8").count("raise ValueError(")
        for m in (model, evaluation, histogram)
    )
    assert raised == 27  # update RULES when a rule is added or removed, then this number
    assert len(ALL_RULES) >= 40


@pytest.mark.parametrize("rule", ALL_RULES)
def test_the_reader_refuses_each_broken_rule_naming_the_line(rule, tmp_path) -> None:
    word = RAW_LINES[rule][1] if rule in RAW_LINES else RULES[rule][1]
    good = dump_graph_line(_good()).encode("utf-8")
    path = tmp_path / "g.jsonl"
    path.write_bytes(good + b"\n" + _broken_line(rule) + b"\n" + good + b"\n")
    errors: list[GraphFileError] = []
    read = list(iter_graph_file(path, errors=errors))
    assert len(read) == 2 and len(errors) == 1
    message = str(errors[0])
    assert message.startswith(f"{path}:2: ") and "\n" not in message
    assert word in message, message


def test_a_silent_units_empty_graph_may_have_no_positive_a_max() -> None:
    """The builder writes a unit that never fired as an empty graph with its a_max."""
    silent = json.loads(dump_graph_line(_good()))
    silent.update(a_max=-0.02, nodes=[], edges=[])
    assert parse_graph_line(json.dumps(silent)).a_max == -0.02


def test_ingest_and_report_name_every_bad_line_and_keep_the_good_ones(db, db_config, tmp_path):
    lines = [dump_graph_line(_good(100)).encode("utf-8")]
    lines += [_broken_line(rule) for rule in ALL_RULES]
    lines += [dump_graph_line(_good(101)).encode("utf-8")]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    flags = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    flags += ["--database", db_config.database] if db_config.database else []
    runner = CliRunner()
    ingest = runner.invoke(app, ["ingest", str(path), *flags])
    report = runner.invoke(app, ["report", str(path)])
    for result in (ingest, report):
        assert "Traceback" not in result.output, result.output
        assert f"{path}:2: " in result.stderr
    for result in (ingest, report):  # one way of naming them: n2g.cli.common.echo_bad_lines
        shown = [line for line in result.stderr.splitlines() if line.startswith("bad line: ")]
        assert len(shown) == MAX_ERRORS_SHOWN
        assert f"... and {len(ALL_RULES) - MAX_ERRORS_SHOWN} more bad line(s)" in result.stderr
    assert f"{len(ALL_RULES)} bad line(s) skipped" in report.stderr and report.exit_code == 0
    assert database_counts(db)["neurons"] == 2


def test_export_names_the_bad_lines_and_writes_nothing(tmp_path) -> None:
    """`n2g export --graphs` reads through the same reader: each bad line named on one
    line (as ingest does, up to MAX_ERRORS_SHOWN), and, as a partial export would look
    complete, no file at all."""
    lines = [dump_graph_line(_good(100)).encode("utf-8")]
    lines += [_broken_line(rule) for rule in ALL_RULES]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "units.parquet"
    result = CliRunner().invoke(app, ["export", str(out), "--graphs", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    shown = [line for line in result.stderr.splitlines() if line.startswith("bad line: ")]
    assert len(shown) == MAX_ERRORS_SHOWN and shown[0].startswith(f"bad line: {path}:2: ")
    assert f"... and {len(ALL_RULES) - MAX_ERRORS_SHOWN} more bad line(s)" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mixed.jsonl"]
