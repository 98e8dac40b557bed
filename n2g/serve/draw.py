"""A neuron graph laid out in Python for an inline SVG, drawn as the paper draws it.

n2g.graph.render draws through Graphviz, a process per picture: too slow for a page
served in milliseconds. This lays the same picture out here, with render.py's
conventions: ignore nodes are left out (a node below one hangs from the nearest shown
ancestor), identical tokens at the same depth are one node, activating nodes are red by
activation and context nodes blue by importance, a node where a path ends has a bold
outline, and arrows follow reading order, context -> activating token.

The layout is layered: one column per depth, the deepest context on the left and the
activating tokens on the right. Activating tokens are ordered by activation; each deeper
column by the mean position of the nodes it points to, then every column but the deepest
is centred on the nodes pointing to it, and overlaps are pushed apart. This returns
coordinates and text only: the template (autoescape on) writes the SVG, so escaping
stays in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from n2g.graph.model import NeuronGraph, NodeKind
from n2g.graph.render import _shade
from n2g.serve.text import search_url, visible

RED = (220, 40, 40)
BLUE = (40, 90, 220)
NODE_HEIGHT = 26
CHAR_WIDTH = 7.8  # px per character of the 13px monospace font the stylesheet sets
PAD_X = 10
ROW_GAP = 10
COLUMN_GAP = 46
MARGIN = 12
MAX_LABEL = 24  # characters shown in a node (the full token is in its tooltip)

_NodeKey = tuple[int, str, int]  # (depth, kind, token id): render.py's merge key


@dataclass
class DrawnNode:
    """A shown node: a merged token at one depth, with its place in the picture."""

    key: _NodeKey
    kind: str  # "activating" or "context"
    token: str
    value: float  # activation (activating) or importance (context)
    ends: bool  # a path ends here: bold outline
    label: str = ""
    title: str = ""
    href: str = ""
    fill: str = "#ffffff"
    text_fill: str = "#000000"
    shared: bool = False  # highlighted (a token the compared unit has too)
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = NODE_HEIGHT
    targets: list[_NodeKey] = field(default_factory=list)  # nodes its arrows point to


@dataclass(frozen=True)
class DrawnEdge:
    """An arrow from a context node's right side to the node it leads to."""

    path: str


@dataclass(frozen=True)
class Drawing:
    width: float
    height: float
    nodes: list[DrawnNode]
    edges: list[DrawnEdge]
    label: str  # for screen readers


def _label(token: str) -> str:
    shown = visible(token)
    return shown if len(shown) <= MAX_LABEL else shown[: MAX_LABEL - 1] + "\u2026"


def shown_nodes(graph: NeuronGraph) -> dict[_NodeKey, DrawnNode]:
    """The merged activating and context nodes with their arrows (render.py's to_dot)."""
    nodes = graph.node_by_id()
    parent_of = {child: parent for parent, child in graph.edges}
    ends_below = {p for p, c in graph.edges if nodes[c].kind == NodeKind.END}
    shown: dict[_NodeKey, DrawnNode] = {}
    for node in graph.nodes:
        if node.kind not in (NodeKind.ACTIVATING, NodeKind.CONTEXT):
            continue
        key = (node.depth, node.kind.value, int(node.token_id or 0))
        value = node.activation if node.kind == NodeKind.ACTIVATING else node.importance
        entry = shown.setdefault(key, DrawnNode(key, node.kind.value, node.token or "", 0.0, False))
        entry.value = max(entry.value, float(value or 0.0))
        entry.ends = entry.ends or node.id in ends_below
        ancestor = parent_of.get(node.id)
        while ancestor is not None and nodes[ancestor].kind == NodeKind.IGNORE:
            ancestor = parent_of.get(ancestor)
        if ancestor is not None:
            up = nodes[ancestor]
            target = (up.depth, up.kind.value, int(up.token_id or 0))
            if target not in entry.targets:
                entry.targets.append(target)
    return shown


def _spread(column: list[DrawnNode], wanted: dict[_NodeKey, float]) -> None:
    """Put each node at its wanted y, in column order, pushing overlaps down."""
    bottom = float("-inf")
    for node in column:
        node.y = max(wanted.get(node.key, node.y), bottom)
        bottom = node.y + NODE_HEIGHT + ROW_GAP


def _place(columns: list[list[DrawnNode]]) -> None:
    """Order and place the columns (index 0: depth 0, the activating tokens)."""
    placed: dict[_NodeKey, DrawnNode] = {}
    for index, column in enumerate(columns):
        if index == 0:
            column.sort(key=lambda n: (-n.value, n.token))
            wanted = {n.key: float(i * (NODE_HEIGHT + ROW_GAP)) for i, n in enumerate(column)}
        else:
            wanted = {
                n.key: sum(placed[t].y for t in n.targets) / len(n.targets) if n.targets else 0.0
                for n in column
            }
            column.sort(key=lambda n: (wanted[n.key], -n.value, n.token))
        _spread(column, wanted)
        placed.update((n.key, n) for n in column)
    for index in range(len(columns) - 2, -1, -1):  # centre on the nodes pointing here
        column = columns[index]
        sources: dict[_NodeKey, list[float]] = {}
        for deeper in columns[index + 1 :]:
            for node in deeper:
                for target in node.targets:
                    sources.setdefault(target, []).append(node.y)
        centred = {key: sum(ys) / len(ys) for key, ys in sources.items()}
        column.sort(key=lambda n: (centred.get(n.key, n.y), n.y))
        _spread(column, centred)


def _style(node: DrawnNode, shared: frozenset[str]) -> None:
    activating = node.kind == NodeKind.ACTIVATING.value
    node.label = _label(node.token)
    what = "activation" if activating else "importance"
    role = "activating" if activating else "context"
    node.title = f"{role} token {visible(node.token)} \u00b7 {what} {node.value:.3f}"
    if node.ends:
        node.title += " \u00b7 a path ends here"
    node.href = search_url(token=node.token) if activating else search_url(context=node.token)
    node.fill = _shade(node.value, RED if activating else BLUE)
    node.text_fill = "#ffffff" if node.value > 0.6 else "#000000"
    node.width = 2 * PAD_X + CHAR_WIDTH * max(len(node.label), 1)
    node.shared = node.token in shared


def draw(
    graph: NeuronGraph,
    shared_activating: frozenset[str] = frozenset(),
    shared_context: frozenset[str] = frozenset(),
) -> Drawing:
    """The laid-out picture of `graph`; activating nodes whose token is in
    `shared_activating`, and context nodes whose token is in `shared_context`, are marked
    `shared` (the compare page highlights the tokens two units have in common)."""
    shown = shown_nodes(graph)
    depths = sorted({key[0] for key in shown})
    columns = [[n for n in shown.values() if n.key[0] == depth] for depth in depths]
    for node in shown.values():
        activating = node.kind == NodeKind.ACTIVATING.value
        _style(node, shared_activating if activating else shared_context)
    _place(columns)
    # x: the deepest column on the left, depth 0 on the right
    x = float(MARGIN)
    for column in reversed(columns):
        width = max(n.width for n in column)
        for node in column:
            node.x = x + (width - node.width) / 2
        x += width + COLUMN_GAP
    top = min((n.y for n in shown.values()), default=0.0)
    for node in shown.values():
        node.y += MARGIN - top
    edges = []
    for node in shown.values():
        for key in node.targets:
            target = shown[key]
            x1, y1 = node.x + node.width, node.y + NODE_HEIGHT / 2
            x2, y2 = target.x - 2, target.y + NODE_HEIGHT / 2
            mid = (x1 + x2) / 2
            edges.append(
                DrawnEdge(
                    f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
                )
            )
    nodes = sorted(shown.values(), key=lambda n: (n.x, n.y))
    width = max((n.x + n.width for n in nodes), default=0.0) + MARGIN
    height = max((n.y + NODE_HEIGHT for n in nodes), default=0.0) + MARGIN
    n_act = sum(1 for n in nodes if n.kind == NodeKind.ACTIVATING.value)
    label = f"graph of {graph.key}: {n_act} activating and {len(nodes) - n_act} context tokens"
    return Drawing(width=width, height=height, nodes=nodes, edges=edges, label=label)
