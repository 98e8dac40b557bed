"""Helpers for the storage tests: small hand-made neuron graphs and graph files."""

from __future__ import annotations

import pytest

from n2g.graph.evaluation import Evaluation, Scores
from n2g.graph.model import NeuronGraph, TrieNode


def make_graph(
    neuron: int,
    activating: list[str],
    context: list[str],
    *,
    model: str = "tiny",
    layer: int = 0,
    f1: float | None = 0.8,
) -> NeuronGraph:
    """A valid trie: one path per activating token, walking back through a context node
    per `context` token, then an ignore node, then an end node."""
    nodes: list[TrieNode] = []
    edges: list[tuple[int, int]] = []
    for a_index, token in enumerate(activating):
        root = len(nodes)
        nodes.append(
            TrieNode(
                id=root, kind="activating", depth=0, token=token, token_id=a_index, activation=0.9
            )
        )
        parent = root
        for c_index, ctx in enumerate(context, start=1):
            nodes.append(
                TrieNode(
                    id=len(nodes),
                    kind="context",
                    depth=c_index,
                    token=ctx,
                    token_id=100 + c_index,
                    importance=0.8,
                )
            )
            edges.append((parent, len(nodes) - 1))
            parent = len(nodes) - 1
        depth = nodes[parent].depth
        nodes.append(TrieNode(id=len(nodes), kind="ignore", depth=depth + 1))
        edges.append((parent, len(nodes) - 1))
        nodes.append(TrieNode(id=len(nodes), kind="end", depth=depth + 2, activation=0.9))
        edges.append((len(nodes) - 2, len(nodes) - 1))
    evaluation = Evaluation(
        n_train_examples=5,
        n_test_examples=5,
        n_test_tokens=50,
        n_test_firing=3,
        n2g=Scores(precision=0.7, recall=0.9, f1=f1),
        baselines={"token_lookup": Scores(f1=0.5), "ngram": Scores()},
    )
    return NeuronGraph(
        model=model,
        layer=layer,
        neuron=neuron,
        a_max=2.5,
        n_examples=3,
        nodes=nodes,
        edges=edges,
        evaluation=evaluation,
    )


@pytest.fixture
def graph_factory():
    """`make_graph(neuron, activating, context, ...)` as a fixture."""
    return make_graph
