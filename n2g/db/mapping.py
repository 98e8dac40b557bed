"""NeuronGraph -> the parameter rows the ingest statements (ingest/*.cypher) consume.

Every value that reaches the database is checked here to be a type Neo4j stores as a
property (null, bool, 64-bit int, float, string, or a flat list of one of those): ArcadeDB
accepts more (nested lists, maps), and data loaded locally must load into Neo4j too.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

from n2g.graph.file import NeuronGraph, NodeKind, TrieNode, dump_graph_line

_INT64 = (-(2**63), 2**63 - 1)
TRIE_LABELS = {
    NodeKind.ACTIVATING: "activating",
    NodeKind.CONTEXT: "context",
    NodeKind.IGNORE: "ignore",
    NodeKind.END: "end",
}


class PropertyTypeError(ValueError):
    """A value that Neo4j would refuse as a property."""


def check_property(name: str, value: Any) -> None:
    """Raise PropertyTypeError unless `value` is a Neo4j-legal property value."""
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise PropertyTypeError(f"{name}: integer {value} does not fit in 64 bits")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PropertyTypeError(f"{name}: {value} is not a finite number")
        return
    if isinstance(value, list | tuple):
        kinds = set()
        for item in value:
            if isinstance(item, list | tuple | dict):
                raise PropertyTypeError(f"{name}: nested lists/maps cannot be stored")
            check_property(name, item)
            kinds.add(type(item))  # Neo4j refuses mixed lists, even [1, 2.0]
        if len(kinds) > 1:
            raise PropertyTypeError(f"{name}: a list property must hold one type")
        return
    raise PropertyTypeError(f"{name}: {type(value).__name__} cannot be stored as a property")


def _props(owner: str, values: dict[str, Any]) -> dict[str, Any]:
    """`values` without None entries, each checked to be a legal property."""
    out = {}
    for name, value in values.items():
        if value is None:
            continue  # absent, not null: Neo4j does not store nulls
        check_property(f"{owner}.{name}", value)
        out[name] = value
    return out


def trie_node_properties(neuron_key: str, node: TrieNode) -> dict[str, Any]:
    """A trie node's stored properties (None values left out, types checked)."""
    return _props(
        f"neuron {neuron_key} node {node.id}",
        {
            "key": trie_key(neuron_key, node.id),
            "neuron": neuron_key,
            "id": node.id,
            "depth": node.depth,
            "token": node.token,
            "token_id": node.token_id,
            "importance": node.importance,
            "activation": node.activation,
        },
    )


def graph_hash(graph: NeuronGraph) -> str:
    """Content hash of a graph: unchanged graphs are skipped, changed ones replaced."""
    return hashlib.sha256(dump_graph_line(graph).encode("utf-8")).hexdigest()[:32]


def neuron_properties(graph: NeuronGraph) -> dict[str, Any]:
    """The (:Neuron) properties: identity, normaliser, evaluation scores, provenance."""
    ev = graph.evaluation
    ood = ev.out_of_distribution if ev else None
    values: dict[str, Any] = {
        "key": graph.key,
        "model": graph.model,
        "layer": graph.layer,
        "index": graph.neuron,
        "a_max": graph.a_max,
        "n_examples": graph.n_examples,
        "n_nodes": len(graph.nodes),
        "graph_hash": graph_hash(graph),
        "format_version": graph.format_version,
        "settings": graph.settings.model_dump_json(),
    }
    if ev is not None:
        values.update(
            precision=ev.n2g.precision,
            recall=ev.n2g.recall,
            f1=ev.n2g.f1,
            token_lookup_precision=ev.token_lookup.precision,
            token_lookup_recall=ev.token_lookup.recall,
            token_lookup_f1=ev.token_lookup.f1,
            ngram_precision=ev.ngram.precision,
            ngram_recall=ev.ngram.recall,
            ngram_f1=ev.ngram.f1,
            firing_threshold=ev.firing_threshold,
            n_train_examples=ev.n_train_examples,
            n_test_examples=ev.n_test_examples,
            n_test_tokens=ev.n_test_tokens,
            n_test_firing=ev.n_test_firing,
        )
    if ood is not None:
        values.update(
            ood_corpus=ood.corpus,
            ood_n_tokens=ood.n_tokens,
            ood_false_positive_rate=ood.false_positive_rate,
            ood_precision=ood.scores.precision,
            ood_recall=ood.scores.recall,
            ood_f1=ood.scores.f1,
        )
    return _props(f"neuron {graph.key}", values)


def trie_key(neuron: str, node_id: int) -> str:
    """Stable unique key of a trie node: `<neuron key>#<node id in the graph file>`."""
    return f"{neuron}#{node_id}"


@dataclass
class NeuronRow:
    """One neuron's parameter row for ingest/create_neurons.cypher, with its counts."""

    key: str
    model: str
    row: dict[str, Any]
    tokens: set[str]
    n_nodes: int
    n_relationships: int


def neuron_row(graph: NeuronGraph) -> NeuronRow:
    """The row of one neuron graph; PropertyTypeError if a value cannot be stored.

    Trie nodes are grouped by label (a label cannot be a parameter); `next` holds each
    edge as [parent position, child position] in activating+context+ignore+end, so the
    statement links nodes it just created without looking them up.
    """
    key = graph.key
    groups: dict[str, list[TrieNode]] = {label: [] for label in TRIE_LABELS.values()}
    for node in graph.nodes:
        groups[TRIE_LABELS[node.kind]].append(node)
    position: dict[int, int] = {}
    row: dict[str, Any] = {"model": graph.model, "props": neuron_properties(graph)}
    for label, nodes in groups.items():
        props_list = []
        for node in nodes:
            position[node.id] = len(position)
            props_list.append(trie_node_properties(key, node))
        row[label] = props_list
    row["next"] = [[position[parent], position[child]] for parent, child in graph.edges]
    activating = graph.activating_tokens()
    context = graph.context_tokens()
    # Set sizes for overlap scores (queries/like_neuron.cypher): no edge counting at query time.
    row["props"]["n_activating_tokens"] = len(activating)
    row["props"]["n_context_tokens"] = len(context)
    row["activates_on"] = [{"text": t, "activation": a} for t, a in activating.items()]
    row["has_context"] = [{"text": t, "importance": i} for t, i in context.items()]
    n_trie = len(graph.nodes)
    n_roots = len(groups["activating"])
    return NeuronRow(
        key=key,
        model=graph.model,
        row=row,
        tokens=set(activating) | set(context),
        n_nodes=1 + n_trie,
        # HAS_NEURON + TRIE_ROOT + NEXT + ACTIVATES_ON + HAS_CONTEXT
        n_relationships=1 + n_roots + len(graph.edges) + len(activating) + len(context),
    )
