"""The path view, /circuit/KEY: a unit's small circuit drawn, with its edges as a table.

It reads what /api/circuit reads (n2g.serve.circuits.circuit_view: the stored FEEDS
edges, cached with the other searches) and draws it server-side (n2g.serve.circuit_draw).
`depth` (1..MAX_DEPTH) and `direction` (up: what feeds the unit; down: what it feeds)
come as query parameters; anything else there, or asking what feeds a unit of layer 0, is
a one-line 422 page; a unit or model with nothing stored, a 404 page. The unit page's
circuit section links here.
"""

from __future__ import annotations

from n2g.errors import N2GError
from n2g.search.circuits import MAX_DEPTH, check_depth
from n2g.serve.circuit_draw import draw_circuit
from n2g.serve.circuits import circuit_view
from n2g.serve.templating import Pages
from n2g.serve.views import Views

EDGES_SHOWN = 40  # a small circuit: the strongest edges, nearest first
DIRECTIONS = ("up", "down")


def _depth(value: str | None) -> int:
    if value in (None, ""):
        return 1
    try:
        depth = int(value.strip())
    except ValueError:
        raise N2GError(f"depth must be a whole number, got {value!r}") from None
    return check_depth(depth)


def circuit_page(views: Views, pages: Pages, key: str, params: dict[str, str]) -> str:
    """The rendered page of `key`'s circuit (see the module docstring)."""
    depth = _depth(params.get("depth"))
    direction = params.get("direction") or "up"
    if direction not in DIRECTIONS:
        raise N2GError(f"direction must be up or down, got {direction!r}")
    circuit = circuit_view(
        views,
        key,
        depth=depth,
        direction="up" if direction == "up" else "down",
        source=None,  # every source: what `n2g feeds` stored (data edges by default)
        to=None,
        limit=EDGES_SHOWN,
    )
    return pages.html(
        "circuit.html",
        circuit=circuit,
        drawing=draw_circuit(circuit),
        depths=range(1, MAX_DEPTH + 1),
        limit=EDGES_SHOWN,
    )
