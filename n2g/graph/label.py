"""A one-line label for every unit, read off its graph: no language model involved.

"fires on `ending`, `aped` (+3 more) after ` Desc`, `esc`": the unit's strongest
activating tokens, then the context tokens its paths weigh most one step back. It says what
the graph says, in the words of its tokens. It is stored with the unit (`Neuron.label`),
searchable as text, shown by `n2g show` and `n2g top`, and written by `n2g export` where
attribution-graph viewers take node labels.
"""

from __future__ import annotations

from n2g.errors import printable
from n2g.graph.model import NeuronGraph, NodeKind

ACTIVATING_SHOWN = 3  # activating tokens named in a label, strongest first
CONTEXT_SHOWN = 2  # context tokens named after them, most important first


def _quoted(token: str) -> str:
    """A token between backticks, kept on one line (controls and line breaks escaped)."""
    return f"`{printable(token)}`"


def _context_one_step_back(graph: NeuronGraph) -> list[str]:
    """Context tokens right before an activating token, most important first; the context
    tokens anywhere in the trie when no path has one there."""
    depth_one: dict[str, float] = {}
    for node in graph.nodes:
        if node.kind == NodeKind.CONTEXT and node.depth == 1 and node.token is not None:
            depth_one[node.token] = max(depth_one.get(node.token, 0.0), node.importance or 0.0)
    weights = depth_one or graph.context_tokens()
    return [token for token, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))]


def unit_label(graph: NeuronGraph) -> str:
    """The unit's one-line label (see the module docstring)."""
    activating = sorted(graph.activating_tokens().items(), key=lambda kv: (-kv[1], kv[0]))
    if not activating:
        return "fires on nothing in its examples"
    label = "fires on " + ", ".join(_quoted(t) for t, _ in activating[:ACTIVATING_SHOWN])
    if len(activating) > ACTIVATING_SHOWN:
        label += f" (+{len(activating) - ACTIVATING_SHOWN} more)"
    context = _context_one_step_back(graph)[:CONTEXT_SHOWN]
    if context:
        label += " after " + ", ".join(_quoted(t) for t in context)
    return label
