"""Building the neuron graph's trie from processed examples (paper 3.2, "Graph Building").

Each example becomes a path: its pivot token as an
activating node at the root, then, walking backwards from the token before the pivot, a
context node (the token itself) where its importance reaches the threshold or an ignore
node otherwise; then an end node holding the normalised activation a / a_max. Ignores
beyond the furthest-back important token are dropped: they would only demand that the
input be long enough, which says nothing about the neuron. Shared prefixes merge: context
nodes keep the largest importance (clipped to [0, 1]), end nodes the largest activation,
activating nodes the largest end activation beneath them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from n2g.graph.model import NodeKind, TrieNode


@dataclass
class PathExample:
    """What the trie needs from an example: tokens (pivot last), raw importances, a/a_max."""

    tokens: np.ndarray
    importances: np.ndarray
    activation: float


def example_path(example: PathExample, importance_threshold: float) -> list[int | None]:
    """Context of the path, pivot excluded, walking back: token id, or None for ignore."""
    path: list[int | None] = []
    for k in range(len(example.tokens) - 2, -1, -1):
        important = example.importances[k] >= importance_threshold
        path.append(int(example.tokens[k]) if important else None)
    while path and path[-1] is None:
        path.pop()  # trailing ignores carry no information (module docstring)
    return path


def build_trie(
    examples: Sequence[PathExample],
    importance_threshold: float,
    token_strings: Callable[[Sequence[int]], list[str]],
) -> tuple[list[TrieNode], list[tuple[int, int]]]:
    """The trie of `examples` as graph-file nodes and (parent, child) edges."""
    kinds: list[NodeKind] = []
    depths: list[int] = []
    token_ids: list[int | None] = []
    values: list[float] = []  # importance (context) or activation (end, activating)
    edges: list[tuple[int, int]] = []
    children: dict[tuple[int, NodeKind, int | None], int] = {}
    parent_of: dict[int, int] = {}

    def child(parent: int, kind: NodeKind, token: int | None, value: float) -> int:
        key = (parent, kind, token)
        node = children.get(key)
        if node is None:
            node = len(kinds)
            children[key] = node
            kinds.append(kind)
            depths.append(0 if parent < 0 else depths[parent] + 1)
            token_ids.append(token)
            values.append(value)
            if parent >= 0:
                edges.append((parent, node))
                parent_of[node] = parent
        else:
            values[node] = max(values[node], value)
        return node

    for example in examples:
        activation = float(example.activation)
        node = child(-1, NodeKind.ACTIVATING, int(example.tokens[-1]), activation)
        for depth, token in enumerate(example_path(example, importance_threshold), start=1):
            if token is None:
                node = child(node, NodeKind.IGNORE, None, 0.0)
            else:
                importance = float(np.clip(example.importances[-1 - depth], 0.0, 1.0))
                node = child(node, NodeKind.CONTEXT, token, importance)
        child(node, NodeKind.END, None, activation)

    names = {}
    distinct = sorted({t for t in token_ids if t is not None})
    if distinct:
        names = dict(zip(distinct, token_strings(distinct), strict=True))
    nodes = []
    for i, kind in enumerate(kinds):
        token = token_ids[i]
        nodes.append(
            TrieNode(
                id=i,
                kind=kind,
                depth=depths[i],
                token=names[token] if token is not None else None,
                token_id=token,
                importance=values[i] if kind == NodeKind.CONTEXT else None,
                activation=values[i] if kind in (NodeKind.ACTIVATING, NodeKind.END) else None,
            )
        )
    return nodes, edges
