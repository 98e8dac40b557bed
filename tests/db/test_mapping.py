"""NeuronGraph -> parameter rows: property types Neo4j accepts, counts, positions."""

from __future__ import annotations

import pytest

from n2g.db.mapping import PropertyTypeError, check_property, graph_hash, neuron_row


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
