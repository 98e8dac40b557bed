"""The service's circuit views: /api/circuit and the unit page's feeders and fed units.

They read the FEEDS edges `n2g feeds` stored (n2g.search.circuits) and keep each answer
in the views' result cache, as every other search does. What is not stored (the unit,
or any FEEDS edge of its model) is a 404; a bad depth, direction or source, or asking
what feeds a unit of layer 0, a 422 (n2g.serve.errors). The unit page shows its direct
feeders and the units it feeds (one step each way), or nothing where its model has no
FEEDS edges: the section then says how to compute them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from n2g.errors import N2GError
from n2g.graph.key import parse_neuron_key
from n2g.resources import read_cypher
from n2g.search.circuits import Circuit, CircuitEdge, CircuitMissing, Direction, circuit
from n2g.serve.errors import NotFound
from n2g.serve.schemas import UnitResponse
from n2g.serve.views import Views

UNIT_PAGE_LIMIT = 25  # edges each way on the unit page


class UnitCircuit(BaseModel):
    """The unit page's section: what feeds the unit and what it feeds, one step each way."""

    model_config = ConfigDict(frozen=True)

    stored: bool  # does its model hold FEEDS edges at all?
    feeders: list[CircuitEdge] = []
    fed: list[CircuitEdge] = []


def circuit_view(
    views: Views,
    key: str,
    *,
    depth: int,
    direction: Direction,
    source: str | None,
    to: str | None,
    limit: int,
) -> Circuit:
    """n2g.search.circuits.circuit behind the cache; CircuitMissing as NotFound."""
    parse_neuron_key(key)

    def compute() -> Circuit:
        try:
            return circuit(
                views.db,
                key,
                depth=depth,
                direction=direction,
                source=source,
                to=to,
                limit=limit,
            )
        except CircuitMissing as exc:
            raise NotFound(str(exc)) from None

    cache_key = ("circuit", key, depth, direction, source, to, limit)
    return views._results.get(cache_key, compute)


def feeds_stored(views: Views, model: str) -> bool:
    """Does `model` hold any FEEDS edge? (one query a model, kept with the searches: the
    unit pages of a model without edges then cost no circuit query at all)"""
    params = {"model": model, "source": None}  # any source
    query = read_cypher("queries", "circuit_has_edges")
    return views._results.get(("feeds-stored", model), lambda: bool(views.db.read(query, params)))


def unit_circuit(views: Views, unit: UnitResponse) -> UnitCircuit:
    """The unit's direct feeders and the units it feeds, by every stored source."""
    if not feeds_stored(views, unit.graph.model):
        return UnitCircuit(stored=False)
    feeders: list[CircuitEdge] = []
    fed: list[CircuitEdge] = []
    for direction in ("up", "down"):
        if direction == "up" and unit.graph.layer == 0 and unit.graph.unit_set is None:
            continue
        try:
            found = circuit_view(
                views,
                unit.key,
                depth=1,
                direction="up" if direction == "up" else "down",
                source=None,
                to=None,
                limit=UNIT_PAGE_LIMIT,
            )
        except NotFound:  # the model holds no FEEDS edge
            return UnitCircuit(stored=False)
        except N2GError:
            continue
        (feeders if direction == "up" else fed).extend(found.edges)
    return UnitCircuit(stored=True, feeders=feeders, fed=fed)
