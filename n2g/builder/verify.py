"""Paths checked against the training windows: a path fires only where it mostly does.

A path is learnt from one firing example, and claims that its pivot fires wherever its
context matches. In deep layers that claim is often wrong: the unit fires on a token in
one sentence and not in the next with the same few tokens before it (held-out false
positives outnumber true positives in layers 16 and 24 of SmolLM2). The training windows
already hold the evidence: every place the path matches there, and whether the unit
fired. A path whose matches fire less often than `precision` keeps its place in the trie
(the context is what the unit responds to, if weakly) but its END falls to the mean level
at its matches, held below firing; a path that matched nowhere else keeps its claim.

Why a fraction and not the mean level: the firing decision is scored by F1, and a
prediction with probability p of being right raises the expected F1 when p exceeds about
half the F1 reached (Lipton et al. 2014, "Thresholding classifiers to maximize F1"), so the
bar is a fraction well below one half in layers where F1 is low.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from n2g.builder.grades import GRADE_MARGIN
from n2g.graph.model import NeuronGraph, NodeKind
from n2g.graph.predict import NeuronTrie

Windows = Sequence[tuple[np.ndarray, np.ndarray]]


def path_support(
    trie: NeuronTrie, windows: Windows, firing_threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per trie node (indexed as the graph's nodes): the matches, firing matches and sum
    of normalised activations of the path ending there, over `windows` ((tokens,
    normalised activations) pairs)."""
    size = trie.root + 1
    if not windows:
        return np.zeros(size), np.zeros(size), np.zeros(size)
    positions, nodes = trie.path_matches([t for t, _ in windows])
    truth = np.concatenate([np.asarray(a, dtype=np.float64) for _, a in windows])[positions]
    matches = np.bincount(nodes, minlength=size).astype(np.float64)
    firing = np.bincount(nodes, weights=truth >= firing_threshold, minlength=size)
    levels = np.bincount(nodes, weights=truth, minlength=size)
    return matches, firing, levels


def verify_paths(
    graph: NeuronGraph, windows: Windows, firing_threshold: float, precision: float
) -> NeuronGraph:
    """`graph` with each firing END whose path fires at fewer than `precision` of its
    matches in `windows` lowered to the mean level there (below firing), and each
    activating node's activation the largest END beneath it again."""
    trie = NeuronTrie.from_graph(graph)
    matches, firing, levels = path_support(trie, windows, firing_threshold)
    index = {node.id: i for i, node in enumerate(graph.nodes)}
    parent_of = {index[child]: index[parent] for parent, child in graph.edges}
    cap = (1.0 - GRADE_MARGIN) * firing_threshold
    values = [node.activation for node in graph.nodes]
    for i, node in enumerate(graph.nodes):
        path = parent_of.get(i)
        if node.kind != NodeKind.END or path is None or matches[path] == 0:
            continue
        if (node.activation or 0.0) >= firing_threshold > 0 and (
            firing[path] < precision * matches[path]
        ):
            values[i] = round(float(min(max(levels[path] / matches[path], 0.0), cap)), 4)
    _lift_activating(graph, values, parent_of)
    nodes = [
        node.model_copy(update={"activation": value}) if value != node.activation else node
        for node, value in zip(graph.nodes, values, strict=True)
    ]
    return graph.model_copy(update={"nodes": nodes})


def _lift_activating(
    graph: NeuronGraph, values: list[float | None], parent_of: dict[int, int]
) -> None:
    """Each activating node's value: the largest END value beneath it (in place)."""
    best: dict[int, float] = {}
    for i, node in enumerate(graph.nodes):
        if node.kind != NodeKind.END or values[i] is None:
            continue
        top = i
        while top in parent_of:  # up to the activating node at the root of the path
            top = parent_of[top]
        best[top] = max(best.get(top, -np.inf), float(values[i] or 0.0))
    for top, value in best.items():
        if graph.nodes[top].kind == NodeKind.ACTIVATING:
            values[top] = value
