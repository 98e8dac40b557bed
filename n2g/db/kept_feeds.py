"""FEEDS edges across a re-ingest: kept where they still hold, dropped (and counted) where not.

Replacing a neuron deletes its node with every relationship (n2g.db.ingest), FEEDS edges
included. What a FEEDS edge says decides whether it survives a new graph of the same
unit: a 'weights' edge reads the model's weights and a 'data' edge the model's
activations on the records, and so does its measured ablation effect: none of them
depends on the graph, so they are read before the delete and written back after the new
node exists, properties unchanged. An 'evidence' edge was computed from the old graph's
tokens (n2g.circuits.evidence): it is dropped, and the ingest says how many went (run
`n2g feeds --source evidence` again). An edge whose other end is gone is not restored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neo4j import ManagedTransaction

from n2g.db import messages
from n2g.resources import read_cypher

GRAPH_SOURCES = ("evidence",)  # FEEDS sources computed from the graphs themselves


def saved_feeds(tx: ManagedTransaction, keys: Sequence[str]) -> tuple[list[dict[str, Any]], int]:
    """The FEEDS edges touching `keys` that survive a new graph, and how many do not."""
    rows = messages.run_in_messages(
        tx, read_cypher("ingest", "feeds_of_neurons"), "keys", list(keys)
    )
    unique = {(row["source"], row["target"], row["kind"]): dict(row) for row in rows}
    kept = [row for row in unique.values() if row["kind"] not in GRAPH_SOURCES]
    return kept, len(unique) - len(kept)


def restore_feeds(tx: ManagedTransaction, edges: Sequence[dict[str, Any]]) -> int:
    """Write `edges` back; the number restored."""
    if not edges:
        return 0
    rows = messages.run_in_messages(
        tx, read_cypher("ingest", "restore_feeds"), "edges", list(edges)
    )
    return sum(int(row["restored"]) for row in rows)
