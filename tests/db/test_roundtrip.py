"""Graph file -> n2g-ingest -> database -> API and `n2g show --json`: the very same graph.

The mapping between a neuron graph and the database is written once (n2g/db/mapping.py)
and used both ways; these tests hold it to that: every field survives, the evaluation's
out-of-distribution part with both baselines included, and odd tokens come back exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_files
from n2g.db.mapping import graphs_from_records
from n2g.db.score_properties import EVALUATION_PROPERTIES
from n2g.errors import N2GError
from n2g.graph.evaluation import (
    BaselineOutOfDistribution,
    Classification,
    Correlation,
    Delphi,
    DelphiMethod,
    Evaluation,
    OutOfDistribution,
    Scores,
)
from n2g.graph.file import dump_graph_line, parse_graph_line
from n2g.graph.model import BuildSettings, EvidenceExample, NeuronGraph, NodeKind, TrieNode
from n2g.scoring import baseline_names
from n2g.search import NeuronSearch, store

ODD_TOKENS = ['"quoted"', "it's", "ü日本語", "\\", "$rows", "\n", "\x00", "emoji 🧠", ""]
runner = CliRunner()


def _trie(tokens: list[str]) -> tuple[list[TrieNode], list[tuple[int, int]]]:
    """activating token -> context token -> ignore -> end, per token; plus a short path."""
    nodes: list[TrieNode] = []
    edges: list[tuple[int, int]] = []

    def add(parent: int | None, **fields) -> int:
        nodes.append(TrieNode(id=len(nodes), **fields))
        if parent is not None:
            edges.append((parent, len(nodes) - 1))
        return len(nodes) - 1

    for i, token in enumerate(tokens):
        root = add(
            None,
            kind=NodeKind.ACTIVATING,
            depth=0,
            token=token,
            token_id=i,
            activation=0.25 + i / 64,
        )
        context = add(
            root,
            kind=NodeKind.CONTEXT,
            depth=1,
            token=tokens[-1 - i],
            token_id=1000 + i,
            importance=0.123456789 + i / 100,
        )
        ignore = add(context, kind=NodeKind.IGNORE, depth=2)
        add(ignore, kind=NodeKind.END, depth=3, activation=0.25 + i / 64)
        add(root, kind=NodeKind.END, depth=1, activation=0.1)  # fmt: skip
    return nodes, edges


def _scores(f1: float | None) -> Scores:
    return Scores(precision=None if f1 is None else 0.9, recall=0.5 if f1 else None, f1=f1)


def _judged(tpr: float | None, tnr: float, hits: list[int]) -> Classification:
    return Classification(
        balanced_accuracy=None if tpr is None else (tpr + tnr) / 2,
        true_positive_rate=tpr,
        true_negative_rate=tnr,
        decile_hits=hits,
    )


def _delphi(sizes: list[int]) -> Delphi:
    """delphi's scores of N2G and two baselines; no activating context (all sizes 0): every
    TPR and balanced accuracy undefined."""
    some = any(sizes)
    hits = [min(size, 1) for size in sizes]
    return Delphi(
        context_tokens=32, decile_sizes=sizes, n_non_activating=71, n_highlighted=2,
        n2g=DelphiMethod(detection=_judged(0.7 if some else None, 0.985915492957, hits),
                         fuzzing=_judged(0.65 if some else None, 1.0, hits)),
        baselines={
            "token_lookup": DelphiMethod(detection=_judged(0.95 if some else None, 0.5, sizes),
                                         fuzzing=_judged(0.0 if some else None, 1.0, [0] * 10)),
            "bigram": DelphiMethod(detection=_judged(0.0 if some else None, 1.0, [0] * 10),
                                   fuzzing=_judged(0.0 if some else None, 1.0, [0] * 10)),
        },
    )  # fmt: skip


def _graphs() -> list[NeuronGraph]:
    nodes, edges = _trie(ODD_TOKENS)
    evaluation = Evaluation(
        firing_threshold=0.4,
        n_train_examples=10,
        n_test_examples=10,
        n_test_tokens=640,
        n_test_firing=7,
        n2g=_scores(0.642857142857),
        baselines={"token_lookup": _scores(0.5), "ngram": _scores(None), "bigram": _scores(0.3)},
        out_of_distribution=OutOfDistribution(
            corpus="stdlib",
            n_tokens=65_536,
            n_true_firing=3,
            false_positive_rate=0.000152587890625,
            scores=_scores(0.25),
            baselines={
                "token_lookup": BaselineOutOfDistribution(
                    false_positive_rate=0.0031, scores=_scores(0.1)
                ),
                "ngram": BaselineOutOfDistribution(false_positive_rate=0.0, scores=Scores()),
            },
        ),
        correlation=Correlation(
            n_top_windows=10, n_random_windows=32, n2g=0.61, baselines={"ngram": -0.05}
        ),
        delphi=_delphi([3, 2, 2, 2, 2, 2, 2, 2, 2, 0]),
    )
    undefined = Evaluation(
        n_train_examples=10,
        n_test_examples=10,
        n_test_tokens=640,
        n_test_firing=0,  # no firing test token: every score undefined (absent)
        n2g=Scores(),
        baselines={"token_lookup": Scores(), "ngram": Scores()},
        out_of_distribution=OutOfDistribution(
            corpus="python-docs", n_tokens=0, n_true_firing=0, false_positive_rate=0.0,
            scores=Scores(),
        ),
        delphi=_delphi([0] * 10),
    )  # fmt: skip
    settings = BuildSettings.legacy().model_copy(
        update={"helper": "causal", "pivots": "firing", "mask_token_id": 0, "seed": 7}
    )
    evidence = [  # odd tokens in the snippets too, in rank order
        EvidenceExample(split="test" if rank % 2 else "train", rank=rank, start=rank * 3,
                        tokens=ODD_TOKENS[rank:],
                        activations=[0.5 - i / 8 for i in range(9 - rank)],
                        predicted=[0.0] * (8 - rank) + [0.123])
        for rank in range(4)
    ]  # fmt: skip
    small_nodes, small_edges = _trie(["x", "y"])
    return [
        NeuronGraph(model="smollm2-135m", layer=3, neuron=286, a_max=3.7421875, n_examples=14,
                    nodes=nodes, edges=edges, evaluation=evaluation, settings=settings,
                    evidence=evidence),
        NeuronGraph(model="smollm2-135m", layer=0, neuron=1, a_max=0.5, nodes=small_nodes,
                    edges=small_edges),  # no evaluation
        NeuronGraph(model="/models/my llama", layer=12, neuron=0, a_max=-0.5,
                    evaluation=undefined),  # an empty trie (a silent unit: a_max may be
                                            # negative), a model name with slashes
    ]  # fmt: skip


def _file_lines(graphs: list[NeuronGraph]) -> list[str]:
    """The graphs as file lines, the first with its nodes and edges in reverse order."""
    lines = [dump_graph_line(g) for g in graphs]
    first = json.loads(lines[0])
    first["nodes"].reverse()
    first["edges"].reverse()
    lines[0] = json.dumps(first, ensure_ascii=False)
    return lines


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("roundtrip") / "graphs.jsonl"
    path.write_text("".join(line + "\n" for line in _file_lines(_graphs())), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def loaded(db_config, graph_file) -> Iterator[Database]:
    database = Database.connect(db_config)
    try:
        clear_database(database)
        summary = ingest_files(database, [graph_file], progress=False)
        assert summary.errors == [] and summary.neurons_written == 3
        yield database
    finally:
        database.close()


@pytest.fixture(scope="module")
def db_args(db_config) -> list[str]:
    out = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    return out + (["--database", db_config.database] if db_config.database else [])


def test_the_file_lines_parse_to_the_graphs(graph_file):
    lines = graph_file.read_text(encoding="utf-8").splitlines()
    assert [parse_graph_line(line) for line in lines] == _graphs()


@pytest.mark.parametrize("index", range(3))
def test_the_api_reads_back_exactly_the_graph(loaded, index):
    original = _graphs()[index]
    again = NeuronSearch(loaded).neuron_graph(original.key)
    assert again == original
    assert dump_graph_line(again) == dump_graph_line(original)


@pytest.mark.parametrize("index", range(3))
def test_the_nodes_rebuild_exactly_the_graph_stored_whole(loaded, index):
    """The searchable form (trie and evidence nodes) and the line kept on the neuron say
    the same: rebuilt from the nodes alone, the graph equals the original."""
    original = _graphs()[index]
    assert store.read_graphs_from_nodes(loaded, [original.key])[original.key] == original


def test_a_unit_stored_without_its_line_is_rebuilt_from_its_nodes(db_config, graph_file):
    """Units loaded by an older n2g-ingest have no `graph` property: they still read."""
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_files(db, [graph_file], progress=False)
        db.execute("MATCH (n:Neuron) REMOVE n.graph")
        original = _graphs()[0]
        assert NeuronSearch(db).neuron_graph(original.key) == original
        clear_database(db)  # leave the module's database as the other tests expect it
        ingest_files(db, [graph_file], progress=False)


@pytest.mark.parametrize("index", range(3))
def test_show_json_prints_exactly_the_graph_line(loaded, db_args, graph_file, index):
    original = _graphs()[index]
    for source in (db_args, ["--graphs", str(graph_file)]):
        result = runner.invoke(app, ["show", original.key, "--json", *source])
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == [dump_graph_line(original)]


def test_every_evaluation_field_has_one_property():
    """A field added to Evaluation without a property would be dropped silently."""

    def leaves(annotation: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if get_origin(annotation) is dict:  # keyed by scoring method: every registered one
            for method in baseline_names():
                yield from leaves(get_args(annotation)[1], (*path, method))
            return
        inner = [a for a in (annotation, *getattr(annotation, "__args__", ()))
                 if isinstance(a, type) and hasattr(a, "model_fields")]  # fmt: skip
        if not inner:
            yield path
            return
        for name, field in inner[0].model_fields.items():
            yield from leaves(field.annotation, (*path, name))

    paths = [path for _, path in EVALUATION_PROPERTIES]
    assert sorted(paths) == sorted(leaves(Evaluation, ()))
    names = [name for name, _ in EVALUATION_PROPERTIES]
    assert len(set(names)) == len(names)


def test_stored_properties_that_form_no_graph_are_one_clear_error():
    neuron = {"key": "m/0/0", "model": "m", "layer": 0, "index": 0, "a_max": 1.0,
              "n_train_examples": 3}  # fmt: skip
    record = {"neuron": neuron, "node": None, "labels": None, "parent": None}
    with pytest.raises(N2GError, match="m/0/0.*n2g-ingest"):
        graphs_from_records([record])


def test_the_empty_token_is_searchable(loaded, db_args):
    search = NeuronSearch(loaded)  # the paths here predict 0.25-0.375: below firing
    assert [hit.key for hit in search.token_search("", level=0)] == ["smollm2-135m/3/286"]
    assert [hit.key for hit in search.token_search(context="", level=0)] == ["smollm2-135m/3/286"]
    assert [hit.key for hit in search.token_search("ü日本語", context="\x00", level=0)] == [
        "smollm2-135m/3/286"
    ]
    result = runner.invoke(app, ["search", "", "--level", "0", "--json", *db_args])
    assert result.exit_code == 0, result.output
    assert [row["key"] for row in json.loads(result.stdout)] == ["smollm2-135m/3/286"]
    with pytest.raises(N2GError, match="empty"):
        search.token_search("", model="/models/my llama")  # no neuron there has one
