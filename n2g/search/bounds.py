"""The range of every whole number a search sends to the database.

Bolt carries integers of 64 bits, and the driver fails with an OverflowError (a traceback
in the CLI, a 500 in the service) on a bigger Python int; Cypher's LIMIT and the stored
layers are smaller still. So a layer, a limit or a group size is checked here, before any
query: between its least value and MAX_QUERY_INT (2**31 - 1, Java's int, which no layer
count or row count comes near), else a one-line N2GError. The CLI's options and the
service's parameters are bounded by the same constant, so they refuse a huge value while
reading it.
"""

from __future__ import annotations

from n2g.errors import N2GError

MAX_QUERY_INT = 2**31 - 1


def check_count(name: str, value: int, least: int = 1) -> int:
    """`value` when it lies in [least, MAX_QUERY_INT]; a one-line N2GError otherwise."""
    if value < least:
        raise N2GError(f"{name} must be at least {least}, got {value}")
    if value > MAX_QUERY_INT:
        raise N2GError(f"{name} must be at most {MAX_QUERY_INT}, got {value}")
    return value


def check_limit(limit: int) -> int:
    return check_count("limit", limit)


def check_layer(layer: int | None) -> int | None:
    """`layer` when None (every layer) or in [0, MAX_QUERY_INT]."""
    if layer is not None and layer < 0:
        raise N2GError(f"layer must be 0 or more, got {layer}")
    return layer if layer is None else check_count("layer", layer, 0)
