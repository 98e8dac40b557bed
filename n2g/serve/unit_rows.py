"""A unit's view built from its row of the store, one unit or many per round trip.

A request reads one unit (queries/unit_view.cypher); `n2g serve --warm` reads a whole
model, and one round trip a unit was most of what warming cost: on 46,080 units the
database's per-query overhead (parse, plan, Bolt framing) was paid 46,080 times over. So
the same row comes from queries/unit_views.cypher for hundreds of keys at once, and both
ways are turned into a UnitResponse by the one function here (`unit_from_row`), so a unit
read alone and a unit read in a batch cannot differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from n2g.db.connection import Database
from n2g.db.mapping import graph_from_line
from n2g.graph.label import unit_label
from n2g.search import store
from n2g.serve.schemas import Neighbour, SimilarityRun, UnitGroup, UnitResponse

MAX_GROUP_MEMBERS = 50  # members listed with a unit's group (its size says how many more)

SimilarityRunOf = Callable[[str], SimilarityRun | None]


def _neighbour(row: dict[str, Any]) -> Neighbour:
    if row["relation"] == "SIMILAR_TO":
        relation = "similar_to"
    else:
        relation = "subset_of" if row["outgoing"] else "superset_of"
    return Neighbour(
        key=row["key"],
        relation=relation,
        activating_overlap=float(row["activating_overlap"]),
        context_overlap=float(row["context_overlap"]),
    )


def unit_from_row(db: Database, row: dict[str, Any], run_of: SimilarityRunOf) -> UnitResponse:
    """The view of a row of unit_view(s).cypher; `run_of` gives a model's similarity run."""
    key = str(row["key"])
    if row["graph"]:
        graph = graph_from_line(key, row["graph"])
    else:  # loaded by an older n2g-ingest: rebuilt from its nodes
        graph = store.read_graphs_from_nodes(db, [key])[key]
    neighbours = sorted(
        (_neighbour(item) for item in row["neighbours"]),
        key=lambda n: (n.relation != "similar_to", -n.score, n.key),
    )
    return UnitResponse(
        key=key,
        label=unit_label(graph),
        graph=graph,
        neighbours=neighbours,
        groups=[UnitGroup.model_validate(group) for group in row["groups"]],
        similarity_run=run_of(graph.model),
    )


def read_unit_row(db: Database, key: str) -> dict[str, Any] | None:
    """Unit `key`'s row (queries/unit_view.cypher), None when it is not stored."""
    rows = db.read(store.query("unit_view"), {"key": key, "max_members": MAX_GROUP_MEMBERS})
    return dict(rows[0]) if rows else None


def read_unit_rows(db: Database, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The rows of those of `keys` that are stored, by key, in one round trip
    (queries/unit_views.cypher)."""
    rows = db.read(
        store.query("unit_views"), {"keys": list(keys), "max_members": MAX_GROUP_MEMBERS}
    )
    return {str(row["key"]): dict(row) for row in rows}
