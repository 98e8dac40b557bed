"""Database reads and writes of the search layer: token sets, similarity, groups, tries.

The Cypher is in queries/*.cypher; this module only passes parameters and shapes rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from n2g.db.connection import Database
from n2g.graph.file import (
    BuildSettings,
    Evaluation,
    NeuronGraph,
    NodeKind,
    Scores,
    TrieNode,
)
from n2g.resources import read_cypher
from n2g.search.groups import NeuronGroupRow
from n2g.search.similarity import NeuronTokenSets, Relation, SimilarPair

WRITE_BATCH = 5_000  # rows per UNWIND statement
_KIND_OF_LABEL = {
    "Activating": NodeKind.ACTIVATING,
    "Context": NodeKind.CONTEXT,
    "Ignore": NodeKind.IGNORE,
    "End": NodeKind.END,
}


def query(stem: str) -> str:
    """The Cypher of queries/<stem>.cypher."""
    return read_cypher("queries", stem)


def read_token_sets(db: Database, models: Sequence[str]) -> list[NeuronTokenSets]:
    """Every neuron of `models` with its activating and context token sets (one query)."""
    rows = db.read(query("similarity_token_sets"), {"models": list(models)})
    return [
        NeuronTokenSets(
            key=row["key"],
            layer=int(row["layer"]),
            activating=frozenset(row["activating"]),
            context=frozenset(row["context"]),
        )
        for row in rows
    ]


def _batches(rows: list[dict[str, Any]], size: int = WRITE_BATCH):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def write_similarity(
    db: Database,
    models: Sequence[str],
    scope: str,
    pairs: Sequence[SimilarPair],
    groups: Sequence[NeuronGroupRow],
) -> None:
    """Replace the similarity relationships and groups of `models` in ONE transaction.

    Either the whole new result is visible or the old one stays: an interrupted or failed
    write loses nothing already stored.
    """
    similar = [p.as_row() for p in pairs if p.relation == Relation.SIMILAR_TO]
    subset = [p.as_row() for p in pairs if p.relation == Relation.SUBSET_OF]
    group_rows = [g.as_row() for g in groups]

    def work(tx) -> None:
        tx.run(query("similarity_clear"), {"models": list(models)}).consume()
        tx.run(query("groups_clear"), {"model": scope}).consume()
        for stem, rows, name in (
            ("similarity_write_similar", similar, "pairs"),
            ("similarity_write_subset", subset, "pairs"),
            ("groups_write", group_rows, "groups"),
        ):
            for batch in _batches(rows):
                tx.run(query(stem), {name: batch}).consume()

    db.write(work)


def model_counts(db: Database) -> dict[str, int]:
    """Model name → number of neurons stored for it."""
    return {row["model"]: int(row["neurons"]) for row in db.read(query("models"), {})}


def _scores(props: dict[str, Any], prefix: str) -> Scores:
    return Scores(
        precision=props.get(f"{prefix}precision"),
        recall=props.get(f"{prefix}recall"),
        f1=props.get(f"{prefix}f1"),
    )


def _evaluation(props: dict[str, Any]) -> Evaluation | None:
    """The evaluation stored on a (:Neuron), when it has one (out-of-distribution omitted)."""
    if props.get("n_train_examples") is None:
        return None
    return Evaluation(
        firing_threshold=props.get("firing_threshold", 0.5),
        n_train_examples=props["n_train_examples"],
        n_test_examples=props["n_test_examples"],
        n_test_tokens=props["n_test_tokens"],
        n_test_firing=props["n_test_firing"],
        n2g=_scores(props, ""),
        token_lookup=_scores(props, "token_lookup_"),
        ngram=_scores(props, "ngram_"),
    )


def read_graphs(db: Database, keys: Sequence[str]) -> dict[str, NeuronGraph]:
    """The neuron graphs of `keys` rebuilt from the database (missing keys are absent)."""
    rows = db.read(query("neuron_graph"), {"keys": list(keys)})
    neurons: dict[str, dict[str, Any]] = {}
    nodes: dict[str, dict[int, TrieNode]] = {}
    edges: dict[str, set[tuple[int, int]]] = {}
    for row in rows:
        props = row["neuron"]
        key = props["key"]
        neurons[key] = props
        nodes.setdefault(key, {})
        edges.setdefault(key, set())
        node = row["node"]
        if node is None:
            continue  # a neuron without a trie
        kind = next(_KIND_OF_LABEL[label] for label in row["labels"] if label in _KIND_OF_LABEL)
        nodes[key][node["id"]] = TrieNode(
            id=node["id"],
            kind=kind,
            depth=node["depth"],
            token=node.get("token"),
            token_id=node.get("token_id"),
            importance=node.get("importance"),
            activation=node.get("activation"),
        )
        if row["parent"] is not None:
            edges[key].add((row["parent"], node["id"]))
    graphs: dict[str, NeuronGraph] = {}
    for key, props in neurons.items():
        settings = props.get("settings")
        graphs[key] = NeuronGraph(
            model=props["model"],
            layer=props["layer"],
            neuron=props["index"],
            a_max=props["a_max"],
            n_examples=props.get("n_examples", 0),
            nodes=sorted(nodes[key].values(), key=lambda n: n.id),
            edges=sorted(edges[key], key=lambda e: e[1]),
            evaluation=_evaluation(props),
            settings=BuildSettings.model_validate_json(settings) if settings else BuildSettings(),
        )
    return graphs
