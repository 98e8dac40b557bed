"""Circuits in the store: which units feed a unit, which it feeds, and the paths between.

`n2g feeds` stores `(:Neuron)-[:FEEDS {weight, rank, source}]->(:Neuron)` from earlier to
later layers, the top k feeders of each unit by one source (n2g.circuits.sources:
'weights', the direct path's virtual weight, also kept as `virtual_weight`; 'data',
activation x gradient; 'evidence', the graphs' tokens), and `n2g feeds --ablate` adds the
measured `ablation_effect` of the units it checked (n2g.models.ablation). This module writes them
(one transaction per model and source, replacing the old edges, so a reader sees the old
set or the new one, never half) and reads them back for `n2g circuit`, the JSON API and
the unit page: upstream, downstream, or the paths from one unit to another, up to
MAX_DEPTH steps. The Cypher (queries/circuit_*.cypher) bounds its variable-length
patterns by MAX_DEPTH, as Cypher takes no parameter there; `depth` chooses within it.

What is not stored is told apart from what is wrong: a unit or a computation not in
the store raises CircuitMissing (the service's 404); a bad depth or direction, or asking
what feeds a unit of layer 0 (nothing is upstream of it), an N2GError (422).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any, Literal

from neo4j import ManagedTransaction
from pydantic import BaseModel, ConfigDict, Field

from n2g.db.connection import Database
from n2g.db.messages import run_in_messages
from n2g.errors import N2GError
from n2g.graph.key import parse_neuron_key
from n2g.resources import read_cypher
from n2g.search.bounds import check_limit

MAX_DEPTH = 4  # the bound written in the queries' patterns
SOURCES = ("weights", "data", "evidence")
Direction = Literal["up", "down"]


class CircuitMissing(N2GError):
    """The unit, or any FEEDS edge of its model, is not stored."""


class CircuitEdge(BaseModel):
    """One FEEDS edge: `source` feeds `target`; `hop` is its far end's distance from the
    unit asked about (1: a direct feeder, or a unit fed directly)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    source: str
    target: str
    hop: int
    kind: str = Field(description="what computed the edge: 'weights', 'data' or 'evidence'")
    weight: float = Field(description="signed score of the edge's source (kind)")
    virtual_weight: float | None = Field(
        None, description="'weights' edges: signed; direct path, per unit of activation"
    )
    rank: int = Field(description="the source's place among the target's feeders (0: first)")
    ablation_effect: float | None = Field(
        None, description="share of the target's firing activation lost when zero-ablated"
    )
    mean_ablation_effect: float | None = None
    source_label: str | None = None
    target_label: str | None = None
    source_layer: int | None = Field(
        None, description="the source's block (a latent's: its dictionary's hook's block)"
    )
    target_layer: int | None = Field(None, description="the target's block, likewise")


class CircuitPath(BaseModel):
    model_config = ConfigDict(frozen=True)

    units: list[str]
    weights: list[float]
    strength: float = Field(description="the product of the weights' sizes")


class Circuit(BaseModel):
    """The edges around one unit, or the paths to another (`to`)."""

    model_config = ConfigDict(frozen=True)

    key: str
    direction: Direction
    depth: int
    source: str | None
    to: str | None = None
    edges: list[CircuitEdge] = []
    paths: list[CircuitPath] = []


def check_depth(depth: int) -> int:
    if not 1 <= depth <= MAX_DEPTH:
        raise N2GError(f"depth must be 1 to {MAX_DEPTH}, got {depth}")
    return depth


def check_source(source: str | None) -> str | None:
    if source is not None and source not in SOURCES:
        raise N2GError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    return source


def _require_unit(db: Database, key: str) -> None:
    if not db.read(read_cypher("queries", "neuron_exists"), {"key": key}):
        raise CircuitMissing(f"no unit {key!r} in the database (check the model, layer and index)")


def circuit(
    db: Database,
    key: str,
    *,
    depth: int = 1,
    direction: Direction = "up",
    source: str | None = "weights",
    to: str | None = None,
    limit: int = 50,
) -> Circuit:
    """The FEEDS edges up to `depth` steps upstream of unit `key` (`direction="up"`) or
    downstream of it ("down"); with `to`, the paths from `key` to `to` instead."""
    unit = parse_neuron_key(key)
    check_depth(depth)
    check_limit(limit)
    check_source(source)
    if direction not in ("up", "down"):
        raise N2GError(f"direction must be up or down, got {direction!r}")
    _require_unit(db, key)
    if to is None and direction == "up" and unit.layer == 0:
        raise N2GError(f"{key} is in layer 0: no unit of an earlier layer can feed it")
    params: dict[str, Any] = {"depth": depth, "source": source, "limit": limit}
    if to is not None:
        parse_neuron_key(to)
        _require_unit(db, to)
        rows = db.read(
            read_cypher("queries", "circuit_paths"),
            params | {"source_key": key, "target_key": to},
        )
        _require_edges(db, unit.model, source, found=bool(rows))
        paths = [CircuitPath.model_validate(row) for row in rows]
        return Circuit(key=key, direction="down", depth=depth, source=source, to=to, paths=paths)
    stem = "circuit_upstream" if direction == "up" else "circuit_downstream"
    rows = db.read(read_cypher("queries", stem), params | {"key": key})
    _require_edges(db, unit.model, source, found=bool(rows))
    edges = [CircuitEdge.model_validate(row) for row in rows]
    return Circuit(key=key, direction=direction, depth=depth, source=source, edges=edges)


def _require_edges(db: Database, model: str, source: str | None, *, found: bool) -> None:
    """CircuitMissing when `model` holds no FEEDS edge of `source` at all (`n2g feeds` has
    not run), so an empty answer is told apart from a unit without edges. Asked only when
    the unit's own query found nothing: on a store without edges the question scans every
    unit of the model (1-3 s on 46,080), which a unit with edges need not pay."""
    if found or db.read(
        read_cypher("queries", "circuit_has_edges"), {"model": model, "source": source}
    ):
        return
    what = f"{source} " if source else ""
    raise CircuitMissing(
        f"no {what}FEEDS edges stored for model {model!r}: compute them with `n2g feeds -m {model}`"
    )


# Edges a write transaction holds: one transaction of all 46,080 data edges of SmolLM2's
# layers 0-3 ran the local server out of its 2 GiB heap (java.lang.OutOfMemoryError).
EDGES_PER_TRANSACTION = 5_000
# Units whose old edges one clearing statement looks up (a unit has a few dozen at most).
TARGETS_PER_CLEAR = 500


def write_feeds(
    db: Database,
    model: str,
    edges: Sequence[dict[str, Any]],
    source: str = "weights",
    *,
    targets: Sequence[str] | None = None,
    per_transaction: int = EDGES_PER_TRANSACTION,
) -> int:
    """Replace `model`'s FEEDS edges of `source` into the units of `targets` (keys; None:
    every unit of the model) by `edges` (rows of source, target, weight, rank, and
    virtual_weight for 'weights'); the number written. Edges into other units stay. The
    old edges are deleted, then the new written, `per_transaction` edges a transaction,
    so the server's memory bounds no model: a write cut short leaves part of the new
    edges, and computing them again replaces them all (`n2g run --circuits` counts the
    stored edges against its marker and does)."""
    check_source(source)
    edges = [{"virtual_weight": None, **edge} for edge in edges]  # 'weights' edges only
    _clear_feeds(db, model, source, targets, per_transaction)
    written = 0
    for begin in range(0, len(edges), per_transaction):
        part = edges[begin : begin + per_transaction]

        def work(tx: ManagedTransaction, part: list[dict[str, Any]] = part) -> int:
            runs = _runs(tx, "feeds_write", "edges", part, source)
            return sum(int(row["written"]) for rows in runs for row in rows)

        written += db.write(work)
    mark_feeds_changed(db, [model])
    return written


def mark_feeds_changed(db: Database, models: Sequence[str]) -> None:
    """Give `models` a fresh `feeds_changed` token: the service's store watch sees their
    edges changed even where their count did not (new weights, measured effects)."""
    params = {"models": sorted(set(models)), "token": secrets.token_hex(8)}
    db.execute(read_cypher("queries", "feeds_mark_changed"), params)


def _clear_feeds(
    db: Database, model: str, source: str, targets: Sequence[str] | None, limit: int
) -> None:
    """Delete the source's edges into `targets` (every unit of the model: None), at most
    `limit` a transaction."""
    params: dict[str, Any] = {"model": model, "source": source, "limit": limit}
    if targets is None:
        clear = read_cypher("queries", "feeds_clear")
        while _first(db.execute(clear, params), "deleted"):
            pass
        return
    clear = read_cypher("queries", "feeds_clear_targets")
    for begin in range(0, len(targets), TARGETS_PER_CLEAR):
        params["targets"] = list(targets[begin : begin + TARGETS_PER_CLEAR])
        while _first(db.execute(clear, params), "deleted"):
            pass


def count_feeds(db: Database, model: str, source: str, layers: Sequence[int]) -> int:
    """How many FEEDS edges of `source` link `model`'s MLP neurons of `layers`."""
    params = {"model": model, "source": source, "layers": list(layers)}
    return _first(db.read(read_cypher("queries", "feeds_count"), params), "edges")


def _first(rows: list[dict[str, Any]], name: str) -> int:
    return int(rows[0][name]) if rows else 0


def write_ablation(db: Database, effects: Sequence[dict[str, Any]], source: str = "weights") -> int:
    """Set `ablation_effect` and `mean_ablation_effect` on the FEEDS edges of `effects`
    (rows of source, target, zero, mean); the number of edges updated."""

    def work(tx: ManagedTransaction) -> int:
        return sum(
            int(row["updated"])
            for rows in _runs(tx, "feeds_set_ablation", "effects", effects, source)
            for row in rows
        )

    updated = db.write(work)
    mark_feeds_changed(db, [parse_neuron_key(str(e["target"])).model for e in effects])
    return updated


def drop_weak(db: Database, model: str, floor: float) -> int:
    """Delete `model`'s measured FEEDS edges whose |effects| (zero and mean) are both
    under `floor`; the number deleted."""
    rows = db.execute(read_cypher("queries", "feeds_drop_weak"), {"model": model, "floor": floor})
    mark_feeds_changed(db, [model])
    return int(rows[0]["dropped"]) if rows else 0


def _runs(
    tx: ManagedTransaction, stem: str, name: str, items: Sequence[dict[str, Any]], source: str
) -> list[list[dict[str, Any]]]:
    """`stem` run over `items` (each marked with `source` as its `kind`) in messages under
    the server's limit."""
    rows = [dict(item, kind=source) for item in items]
    return [run_in_messages(tx, read_cypher("queries", stem), name, rows)] if rows else []
