"""Hand-built tries with known predictions, and the fast predictor against a plain walk."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.builder.trie import PathExample, build_trie, example_path
from n2g.graph.model import NeuronGraph, NodeKind, TrieNode
from n2g.graph.predict import NeuronTrie


def _graph(nodes: list[TrieNode], edges: list[tuple[int, int]]) -> NeuronGraph:
    return NeuronGraph(model="m", layer=0, neuron=0, a_max=1.0, nodes=nodes, edges=edges)


def act(i, token, value):
    return TrieNode(id=i, kind=NodeKind.ACTIVATING, depth=0, token=str(token), token_id=token,
                    activation=value)  # fmt: skip


def ctx(i, depth, token):
    return TrieNode(id=i, kind=NodeKind.CONTEXT, depth=depth, token=str(token), token_id=token,
                    importance=0.9)  # fmt: skip


def ign(i, depth):
    return TrieNode(id=i, kind=NodeKind.IGNORE, depth=depth)


def end(i, depth, value):
    return TrieNode(id=i, kind=NodeKind.END, depth=depth, activation=value)


@pytest.fixture()
def hand_trie() -> NeuronTrie:
    # Paths (written in reading order):  "7 _ 3" -> 0.9 ;  "5 3" -> 0.4 ;  "3" alone -> 0.2 ;
    # "9" alone -> 0.6 ; "8 _ 9" -> 0.1 (a longer match with a SMALLER value).
    nodes = [
        act(0, 3, 0.9), ign(1, 1), ctx(2, 2, 7), end(3, 3, 0.9),
        ctx(4, 1, 5), end(5, 2, 0.4), end(6, 1, 0.2),
        act(7, 9, 0.6), end(8, 1, 0.6), ign(9, 1), ctx(10, 2, 8), end(11, 3, 0.1),
    ]  # fmt: skip
    edges = [(0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (0, 6), (7, 8), (7, 9), (9, 10), (10, 11)]
    return NeuronTrie.from_graph(_graph(nodes, edges))


def test_ignore_matches_any_token(hand_trie):
    assert hand_trie.predict([7, 42, 3]).tolist() == pytest.approx([0, 0, 0.9])
    assert hand_trie.predict([7, 7, 3]).tolist() == pytest.approx([0, 0, 0.9])


def test_max_over_paths_not_longest_match(hand_trie):
    # "8 _ 9" (0.1) is the longest match but "9" alone says 0.6: the maximum wins.
    assert hand_trie.predict([8, 1, 9]).tolist() == pytest.approx([0, 0, 0.6])
    # "5 3" (0.4) and "3" (0.2) both match: 0.4.
    assert hand_trie.predict([5, 3]).tolist() == pytest.approx([0, 0.4])


def test_no_match_is_zero_and_context_is_bounded(hand_trie):
    assert hand_trie.predict([1, 2, 4]).tolist() == [0, 0, 0]
    assert hand_trie.predict([]).shape == (0,)
    # Not enough context before the 3 for "7 _ 3": only the lone "3" path matches.
    assert hand_trie.predict([1, 3]).tolist() == pytest.approx([0, 0.2])
    # Contexts never cross sequence boundaries in predict_many.
    first, second = hand_trie.predict_many([[7, 1], [3]])
    assert second.tolist() == pytest.approx([0.2])
    assert hand_trie.predict([7, 1, 3])[2] == pytest.approx(0.9)


def test_unknown_large_token_ids_only_match_ignores(hand_trie):
    assert hand_trie.predict([7, 10**6, 3]).tolist() == pytest.approx([0, 0, 0.9])


def test_build_trie_paths_and_merging():
    examples = [
        PathExample(np.array([5, 9, 7, 3]), np.array([0.9, 0.1, 0.8, 1.0]), 0.8),
        PathExample(np.array([4, 7, 3]), np.array([0.1, 0.95, 1.0]), 0.5),
        PathExample(np.array([2, 6, 3]), np.array([0.2, 0.3, 1.0]), 0.3),
    ]
    # Walking back: 7 (important), 9 (ignore), 5 (important).
    assert example_path(examples[0], 0.5) == [7, None, 5]
    # Trailing ignores beyond the furthest important token are dropped.
    assert example_path(examples[1], 0.5) == [7]
    assert example_path(examples[2], 0.5) == []
    nodes, edges = build_trie(examples, 0.5, lambda ids: [f"t{i}" for i in ids])
    graph = _graph(nodes, edges)  # validates: a proper trie
    kinds = [n.kind for n in nodes]
    assert kinds.count(NodeKind.ACTIVATING) == 1  # one shared root token
    (root,) = [n for n in nodes if n.kind == NodeKind.ACTIVATING]
    assert root.activation == pytest.approx(0.8) and root.token == "t3"
    shared = [n for n in nodes if n.kind == NodeKind.CONTEXT and n.token_id == 7]
    assert len(shared) == 1 and shared[0].importance == pytest.approx(0.95)  # max importance
    trie = NeuronTrie.from_graph(graph)
    assert trie.predict([5, 0, 7, 3])[-1] == pytest.approx(0.8)
    assert trie.predict([1, 7, 3])[-1] == pytest.approx(0.5)
    assert trie.predict([1, 1, 3])[-1] == pytest.approx(0.3)


def test_importance_is_clipped_for_storage():
    example = PathExample(np.array([1, 2]), np.array([1.7, 1.0]), 0.5)
    nodes, _ = build_trie([example], 0.5, lambda ids: [str(i) for i in ids])
    (context,) = [n for n in nodes if n.kind == NodeKind.CONTEXT]
    assert context.importance == 1.0


def _plain_predict(graph: NeuronGraph, tokens: list[int]) -> list[float]:
    """The paper's walk, written as plainly as possible (recursive, per token)."""
    children = graph.children()
    nodes = graph.node_by_id()

    def walk(node_id: int, position: int) -> float:
        best = 0.0
        for child in children.get(node_id, []):
            kind = nodes[child].kind
            if kind == NodeKind.END:
                best = max(best, nodes[child].activation)
            elif position >= 0 and (
                kind == NodeKind.IGNORE or nodes[child].token_id == tokens[position]
            ):
                best = max(best, walk(child, position - 1))
        return best

    roots = [n for n in graph.nodes if n.kind == NodeKind.ACTIVATING]
    return [
        max([walk(r.id, i - 1) for r in roots if r.token_id == tokens[i]], default=0.0)
        for i in range(len(tokens))
    ]


def test_fast_prediction_equals_plain_walk_on_random_tries():
    rng = np.random.default_rng(0)
    for trial in range(20):
        examples = [
            PathExample(
                rng.integers(0, 6, size=int(rng.integers(1, 6))),
                rng.random(6).astype(np.float32),
                float(rng.random()),
            )
            for _ in range(8)
        ]
        for e in examples:
            e.importances = e.importances[: len(e.tokens)]
        nodes, edges = build_trie(examples, 0.5, lambda ids: [str(i) for i in ids])
        graph = _graph(nodes, edges)
        tokens = rng.integers(0, 7, size=400).tolist()
        fast = NeuronTrie.from_graph(graph).predict(tokens)
        assert fast.dtype == np.float32
        np.testing.assert_allclose(fast, _plain_predict(graph, tokens), rtol=1e-6, err_msg=trial)
