"""A small circuit laid out in Python for an inline SVG: units by layer, FEEDS as arrows.

The path view (/circuit/KEY) draws the FEEDS edges around one unit, a few steps up or
down (n2g.search.circuits), as n2g.serve.draw draws a neuron graph: coordinates and text
computed here, the SVG written by a template with autoescape on (escaping in one place),
no script (the Content-Security-Policy stays as it is). Layers are columns, earlier on
the left, so every arrow points right, as activation flows; a dictionary's latents (SAE,
transcoder) get a column of their own after their block's neurons, headed with its
name. Each unit is a box with its key and label, linking to its page; the unit asked
about is outlined. Each arrow's width grows with its weight's size (the score of the
edge's source: data, weights or evidence), red for a positive weight, blue for a
negative one, and it carries the weight and, where `n2g feeds --ablate` measured it, the
share of the reader's activation lost when the feeder is ablated.

Within a column, units are ordered by the mean place of the units they connect to in
the column before (one sweep left to right), then each column is centred on the tallest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from n2g.graph.key import parse_neuron_key
from n2g.search.circuits import Circuit, CircuitEdge
from n2g.serve.text import visible

BOX_WIDTH = 190
BOX_HEIGHT = 44
ROW_GAP = 18
COLUMN_GAP = 150
MARGIN = 14
MAX_LABEL = 24  # characters of a label shown in a box (the whole one is its tooltip)
MAX_STROKE = 6.0
MIN_STROKE = 1.0
POSITIVE = "#c62828"
NEGATIVE = "#1f5fbf"


@dataclass
class CircuitNode:
    key: str
    layer: int
    unit_set: str = ""  # "" for MLP neurons, else the latents' dictionary (sae:..., tc:...)
    label: str = ""
    shown_label: str = ""
    focus: bool = False
    x: float = 0.0
    y: float = 0.0
    neighbours: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CircuitArrow:
    path: str
    stroke: str
    width: float
    text: str  # the weight (and the ablation effect) written beside it
    text_x: float
    text_y: float
    title: str


@dataclass(frozen=True)
class CircuitDrawing:
    width: float
    height: float
    nodes: list[CircuitNode]
    arrows: list[CircuitArrow]
    layers: list[tuple[str, float]]  # each column's heading (its layer) and its x
    label: str  # for screen readers
    box_width: float = BOX_WIDTH
    box_height: float = BOX_HEIGHT


def _short(text: str) -> str:
    shown = visible(text)
    return shown if len(shown) <= MAX_LABEL else shown[: MAX_LABEL - 1] + "\u2026"


def _nodes(circuit: Circuit) -> dict[str, CircuitNode]:
    nodes: dict[str, CircuitNode] = {}
    stored = {e.source: e.source_layer for e in circuit.edges} | {
        e.target: e.target_layer for e in circuit.edges
    }

    def add(key: str, label: str | None) -> CircuitNode:
        if key not in nodes:
            unit = parse_neuron_key(key)  # a latent's key names its set, not its layer
            layer = unit.layer if unit.layer is not None else stored.get(key)
            nodes[key] = CircuitNode(key, layer or 0, unit.unit_set or "")
        if label and not nodes[key].label:
            nodes[key].label = label
        return nodes[key]

    add(circuit.key, None).focus = True
    for edge in circuit.edges:
        source, target = add(edge.source, edge.source_label), add(edge.target, edge.target_label)
        source.neighbours.append(edge.target)
        target.neighbours.append(edge.source)
    for node in nodes.values():
        node.shown_label = _short(node.label)
    return nodes


def _place(columns: list[list[CircuitNode]]) -> float:
    """Order each column by its units' neighbours in the column before; the height."""
    placed: dict[str, float] = {}
    for column in columns:

        def wanted(node: CircuitNode) -> tuple[float, str]:
            ys = [placed[k] for k in node.neighbours if k in placed]
            return (sum(ys) / len(ys) if ys else float("inf"), node.key)

        column.sort(key=wanted)
        for row, node in enumerate(column):
            placed[node.key] = row
    tallest = max((len(c) for c in columns), default=0)
    height = tallest * (BOX_HEIGHT + ROW_GAP) - ROW_GAP
    for index, column in enumerate(columns):
        own = len(column) * (BOX_HEIGHT + ROW_GAP) - ROW_GAP
        for row, node in enumerate(column):
            node.x = MARGIN + index * (BOX_WIDTH + COLUMN_GAP)
            node.y = MARGIN + 20 + (height - own) / 2 + row * (BOX_HEIGHT + ROW_GAP)
    return height


def _arrow(edge: CircuitEdge, source: CircuitNode, target: CircuitNode, top: float) -> CircuitArrow:
    x1, y1 = source.x + BOX_WIDTH, source.y + BOX_HEIGHT / 2
    x2, y2 = target.x - 3, target.y + BOX_HEIGHT / 2
    mid = (x1 + x2) / 2
    path = f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    size = abs(edge.weight) / top if top > 0 else 0.0
    text = f"{edge.weight:+.3f}"
    title = f"{edge.source} feeds {edge.target}: {edge.kind} weight {edge.weight:+.4f}"
    if edge.ablation_effect is not None:
        text += f" \u00b7 abl {edge.ablation_effect:+.2f}"
        title += f"; zero-ablating it removes {edge.ablation_effect:+.3f} of the reader's firing"
    return CircuitArrow(
        path=path,
        stroke=POSITIVE if edge.weight >= 0 else NEGATIVE,
        width=round(MIN_STROKE + (MAX_STROKE - MIN_STROKE) * size, 2),
        text=text,
        text_x=mid,
        text_y=(y1 + y2) / 2 - 4,
        title=title,
    )


def draw_circuit(circuit: Circuit) -> CircuitDrawing:
    """The laid-out picture of `circuit`'s edges (the unit alone when it has none)."""
    nodes = _nodes(circuit)
    layers = sorted({(node.layer, node.unit_set) for node in nodes.values()})
    columns = [[n for n in nodes.values() if (n.layer, n.unit_set) == c] for c in layers]
    height = _place(columns)
    top = max((abs(e.weight) for e in circuit.edges), default=0.0)
    seen: set[tuple[str, str]] = set()
    arrows = []
    for edge in circuit.edges:
        if (edge.source, edge.target) in seen:
            continue
        seen.add((edge.source, edge.target))
        arrows.append(_arrow(edge, nodes[edge.source], nodes[edge.target], top))
    width = MARGIN * 2 + len(columns) * BOX_WIDTH + max(len(columns) - 1, 0) * COLUMN_GAP
    way = "feeding" if circuit.direction == "up" else "fed by"
    label = (
        f"circuit of {circuit.key}: {len(nodes) - 1} units {way} it within {circuit.depth} "
        f"step{'s' if circuit.depth > 1 else ''}, {len(arrows)} edges"
    )
    return CircuitDrawing(
        width=float(width),
        height=float(height + 2 * MARGIN + 20),
        nodes=sorted(nodes.values(), key=lambda n: (n.x, n.y)),
        arrows=arrows,
        layers=[
            (
                f"{layer} \u00b7 {unit_set}" if unit_set else str(layer),
                MARGIN + i * (BOX_WIDTH + COLUMN_GAP),
            )
            for i, (layer, unit_set) in enumerate(layers)
        ],
        label=label,
    )
