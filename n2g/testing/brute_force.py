"""Brute-force references the fast paths are checked against (tests and bench/ only).

The set-similarity join and union-find groups of `n2g.search` must give exactly what
these straightforward definitions give; they are O(N^2) and never used at run time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from n2g.graph.model import NeuronGraph, NodeKind
from n2g.search.similarity import (
    NeuronTokenSets,
    Relation,
    SimilarityConfig,
    SimilarPair,
    containment,
    overlap,
    sort_pairs,
)


def related_pairs(
    a: NeuronTokenSets, b: NeuronTokenSets, threshold: float, subsets: bool
) -> list[SimilarPair]:
    """The relations between one pair, straight from the definitions."""
    if not a.activating or not b.activating or not (a.activating & b.activating):
        return []
    source, target = (a, b) if a.key < b.key else (b, a)
    act, ctx = overlap(a.activating, b.activating), overlap(a.context, b.context)
    if act >= threshold and ctx >= threshold:
        return [SimilarPair(source.key, target.key, Relation.SIMILAR_TO, act, ctx)]
    if not subsets:
        return []
    out = []
    for inner, outer in ((a, b), (b, a)):
        act_in = containment(inner.activating, outer.activating)
        ctx_in = containment(inner.context, outer.context)
        if act_in >= threshold and ctx_in >= threshold:
            out.append(SimilarPair(inner.key, outer.key, Relation.SUBSET_OF, act_in, ctx_in))
    return out


def brute_force_pairs(
    neurons: Sequence[NeuronTokenSets], config: SimilarityConfig | None = None
) -> list[SimilarPair]:
    """The O(N²) reference: every pair checked against the definitions."""
    config = config or SimilarityConfig()
    pairs: list[SimilarPair] = []
    for i, a in enumerate(neurons):
        for b in neurons[i + 1 :]:
            pairs.extend(related_pairs(a, b, config.threshold, config.subsets))
    return sort_pairs(pairs)


def brute_force_components(keys: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[set[str]]:
    """Reference: components by repeated graph search (for tests)."""
    neighbours: dict[str, set[str]] = {k: set() for k in keys}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    seen: set[str] = set()
    out = []
    for start in keys:
        if start in seen:
            continue
        component, frontier = {start}, [start]
        while frontier:
            for nxt in neighbours[frontier.pop()] - component:
                component.add(nxt)
                frontier.append(nxt)
        seen |= component
        out.append(component)
    return out


def path_levels(graph: NeuronGraph) -> tuple[dict[str, float], dict[str, float]]:
    """(activating token → level, context token → level), by walking every path of the
    trie from its activating node to each end: a token's level is the largest end value of
    the paths it lies on (n2g.graph.levels; the database stores it on each relationship)."""
    nodes, children = graph.node_by_id(), graph.children()
    activating: dict[str, float] = {}
    context: dict[str, float] = {}
    for root in graph.nodes:
        if root.kind != NodeKind.ACTIVATING or root.token is None:
            continue
        stack: list[tuple[int, tuple[str, ...]]] = [(root.id, ())]
        while stack:
            node_id, contexts = stack.pop()
            node = nodes[node_id]
            if node.kind == NodeKind.CONTEXT and node.token is not None:
                contexts = (*contexts, node.token)
            if node.kind == NodeKind.END:
                value = node.activation or 0.0
                activating[root.token] = max(activating.get(root.token, 0.0), value)
                for token in contexts:
                    context[token] = max(context.get(token, 0.0), value)
            stack.extend((child, contexts) for child in children.get(node_id, []))
        activating.setdefault(root.token, 0.0)
    return activating, context


def brute_force_splits(
    unit: NeuronTokenSets,
    others: Sequence[NeuronTokenSets],
    unit_set_of: dict[str, str | None],
    min_inside: float,
) -> list[dict[str, Any]]:
    """The reference of queries/unit_splits.cypher: every unit of `others` sharing an
    activating token with `unit`, scored from the definitions and ranked as the query ranks
    (inside first, then activating overlap, containment, key). `others` are the units
    compared (the caller chooses their unit sets and layer)."""
    neuron = unit_set_of[unit.key] is None
    rows = []
    for other in others:
        shared = unit.activating & other.activating
        if not shared or other.key == unit.key:
            continue
        latent = other.activating if neuron else unit.activating
        inside = len(shared) / len(latent)
        rows.append(
            {
                "key": other.key,
                "unit_set": unit_set_of[other.key],
                "activating_overlap": overlap(unit.activating, other.activating),
                "context_overlap": overlap(unit.context, other.context),
                "containment": inside,
                "inside": inside >= min_inside,
                "shared_activating": sorted(shared),
                "shared_context": sorted(unit.context & other.context),
            }
        )
    return sorted(
        rows,
        key=lambda r: (
            not r["inside"],
            -r["activating_overlap"],
            -r["containment"],
            r["key"],
        ),
    )
