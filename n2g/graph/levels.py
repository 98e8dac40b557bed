"""The level a token must predict for search and similarity to count it.

A graph learns activating tokens from every training window, and the weakest windows
barely fire: a token whose every path ends below the firing threshold can never predict
that the unit fires, yet it named the unit in token search and entered the similarity
token sets (79 of 280 activating tokens of 32 layer-1 graphs, issue 24). Each ACTIVATES_ON
and HAS_CONTEXT relationship therefore holds its token's level: the largest normalised
activation a path through it predicts. Search, `like`, similarity and groups count a token
only at `FIRING_LEVEL` or above unless asked for a lower level (0: every token of a graph,
as before). Relationships stored before HAS_CONTEXT held a level count as firing.
"""

from __future__ import annotations

from n2g.errors import N2GError
from n2g.graph.model import NeuronGraph, NodeKind

FIRING_LEVEL = 0.5  # the paper's firing threshold, on the normalised activation
LEVEL_HELP = (
    "lowest normalised activation a token's paths must predict for it to count "
    "(0.5: firing, the paper's threshold; 0: every token of a graph)"
)


def check_level(level: float) -> float:
    """`level` if it lies in [0, 1]; a one-line N2GError otherwise."""
    if not 0.0 <= level <= 1.0:
        raise N2GError(f"the token level must be between 0 and 1, got {level}")
    return level


def context_levels(graph: NeuronGraph) -> dict[str, float]:
    """Context token → the largest activation an end beneath one of its nodes predicts: the
    level of its HAS_CONTEXT relationship, as an activating node's value (the largest end
    beneath it) is of ACTIVATES_ON."""
    nodes = {node.id: node for node in graph.nodes}
    children = graph.children()
    below: dict[int, float] = {}

    def level(node_id: int) -> float:  # the trie is at most a few dozen steps deep
        if node_id not in below:
            node = nodes[node_id]
            own = (node.activation or 0.0) if node.kind == NodeKind.END else 0.0
            below[node_id] = max([own, *(level(c) for c in children.get(node_id, []))])
        return below[node_id]

    out: dict[str, float] = {}
    for node in graph.nodes:
        if node.kind == NodeKind.CONTEXT and node.token is not None:
            out[node.token] = max(out.get(node.token, 0.0), level(node.id))
    return out
