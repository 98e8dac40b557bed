"""What a property value may be, checked before anything reaches the database.

Neo4j stores null, bool, 64-bit int, float, string, or a flat list of one of those;
ArcadeDB accepts more (nested lists, maps), so data loaded locally could fail to load into
Neo4j later. Every value the mapping (n2g.db.mapping) writes passes `check_property`.
Rows also have a size limit: a Bolt message to ArcadeDB may not exceed 16 MiB, so the
ingest weighs each row (`encoded_size`) before batching it.
"""

from __future__ import annotations

import math
from typing import Any

_INT64 = (-(2**63), 2**63 - 1)


class PropertyTypeError(ValueError):
    """A value that Neo4j would refuse as a property."""


def check_property(name: str, value: Any) -> None:
    """Raise PropertyTypeError unless `value` is a Neo4j-legal property value."""
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise PropertyTypeError(f"{name}: integer {value} does not fit in 64 bits")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PropertyTypeError(f"{name}: {value} is not a finite number")
        return
    if isinstance(value, list | tuple):
        kinds = set()
        for item in value:
            if isinstance(item, list | tuple | dict):
                raise PropertyTypeError(f"{name}: nested lists/maps cannot be stored")
            check_property(name, item)
            kinds.add(type(item))  # Neo4j refuses mixed lists, even [1, 2.0]
        if len(kinds) > 1:
            raise PropertyTypeError(f"{name}: a list property must hold one type")
        return
    raise PropertyTypeError(f"{name}: {type(value).__name__} cannot be stored as a property")


def checked_properties(owner: str, values: dict[str, Any]) -> dict[str, Any]:
    """`values` without None entries, each checked to be a legal property."""
    out = {}
    for name, value in values.items():
        if value is None:
            continue  # absent, not null: Neo4j does not store nulls
        check_property(f"{owner}.{name}", value)
        out[name] = value
    return out


def encoded_size(value: Any) -> int:
    """About how many bytes `value` takes in a Bolt message (PackStream: a marker and a
    length before each string, list and map, 9 bytes a number): enough to keep a statement
    under a server's message limit without encoding it twice."""
    if isinstance(value, str):
        return len(value) + 3
    if isinstance(value, dict):
        return 3 + sum(len(k) + 3 + encoded_size(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(encoded_size(item) for item in value)
    return 9
