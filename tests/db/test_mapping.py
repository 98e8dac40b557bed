"""The graph <-> database mapping: property types Neo4j accepts, counts, positions, and
both directions from the same tables (the trip through a real database: test_roundtrip.py)."""

from __future__ import annotations

import pytest

from n2g.db import mapping
from n2g.db.mapping import (
    KIND_OF_LABEL,
    LABEL_OF_KIND,
    PropertyTypeError,
    check_property,
    graph_from_properties,
    graph_hash,
    neuron_properties,
    neuron_row,
    trie_node_data,
    trie_node_properties,
)
from n2g.graph.model import NodeKind


@pytest.mark.parametrize("value", [None, True, 3, -(2**63), 2.5, "", "x", [1, 2], ["a"], []])
def test_legal_properties_pass(value):
    check_property("p", value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ([[1], [2]], "nested"),
        ([{"a": 1}], "nested"),
        ({"a": 1}, "dict"),
        (2**63, "64 bits"),
        ([1, "a"], "one type"),
        ([1, 2.0], "one type"),
        (float("nan"), "finite"),
        (b"raw", "bytes"),
    ],
)
def test_illegal_properties_are_refused(value, reason):
    with pytest.raises(PropertyTypeError, match=reason):
        check_property("p", value)


def test_row_counts_and_edge_positions(graph_factory):
    graph = graph_factory(3, ["a", "b"], ["c"])
    row = neuron_row(graph)
    assert row.key == "tiny/0/3" and row.tokens == {"a", "b", "c"}
    assert row.n_nodes == 1 + len(graph.nodes)
    assert (row.row["props"]["n_activating_tokens"], row.row["props"]["n_context_tokens"]) == (2, 1)
    assert row.n_relationships == 1 + 2 + len(graph.edges) + 2 + 1
    trie = row.row["activating"] + row.row["context"] + row.row["ignore"] + row.row["end"]
    by_position = [node["id"] for node in trie]
    assert [[by_position[p], by_position[c]] for p, c in row.row["next"]] == [
        list(edge) for edge in graph.edges
    ]
    assert "importance" not in row.row["activating"][0]  # absent, never null


def test_hash_changes_with_the_graph(graph_factory):
    assert graph_hash(graph_factory(1, ["a"], [])) == graph_hash(graph_factory(1, ["a"], []))
    assert graph_hash(graph_factory(1, ["a"], [])) != graph_hash(graph_factory(1, ["b"], []))


def test_each_label_names_one_kind():
    assert set(LABEL_OF_KIND) == set(NodeKind)
    assert {KIND_OF_LABEL[label] for label in LABEL_OF_KIND.values()} == set(NodeKind)


def test_flat_evaluation_properties_and_back_without_a_database(graph_factory):
    graph = graph_factory(3, ["a", "b"], ["c"])
    props = neuron_properties(graph)
    assert (props["f1"], props["token_lookup_f1"], props["n_test_firing"]) == (0.8, 0.5, 3)
    assert "ngram_f1" not in props and "ood_corpus" not in props  # absent, never null
    stored = [
        trie_node_data(trie_node_properties(graph.key, node), ["Trie", LABEL_OF_KIND[node.kind]])
        for node in reversed(graph.nodes)
    ]
    assert graph_from_properties(props, stored, reversed(graph.edges)) == graph


def test_the_hash_covers_the_mapping_version(graph_factory, monkeypatch):
    graph = graph_factory(1, ["a"], [])
    before = graph_hash(graph)
    monkeypatch.setattr(mapping, "MAPPING_VERSION", mapping.MAPPING_VERSION + 1)
    assert graph_hash(graph) != before  # a new mapping reloads neurons it would store otherwise
