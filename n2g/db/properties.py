"""What a property value may be, checked before anything reaches the database.

Neo4j stores null, bool, 64-bit int, float, string, or a flat list of one of those;
ArcadeDB accepts more (nested lists, maps), so data loaded locally could fail to load into
Neo4j later. Every value the mapping (n2g.db.mapping) writes passes `check_property`.
Messages have limits too: ArcadeDB reads no Bolt message over 16 MiB, nor a list or map of
more than 2**20 entries, and a refused message leaves the connection out of step (an error
about some later garbage, or no answer at all). So the ingest weighs every value exactly as
the driver encodes it (`packed_size`: PackStream, UTF-8 bytes, not characters, as a count of
characters sees a text of emoji at a quarter of its size) before anything is sent.
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


# ArcadeDB's arcadedb.bolt.packstream.maxElements: the most entries one list or map may hold
MAX_ELEMENTS = 2**20


def _header(count: int) -> int:
    """Bytes of a PackStream string, list or map marker with its size."""
    return 1 if count < 16 else 2 if count < 2**8 else 3 if count < 2**16 else 5


def _int_size(value: int) -> int:
    if -16 <= value < 128:
        return 1
    if -128 <= value < 128:
        return 2
    if -(2**15) <= value < 2**15:
        return 3
    return 5 if -(2**31) <= value < 2**31 else 9


def _text_size(text: str) -> int:
    if text.isascii():  # O(1) in CPython: most keys and tokens
        return _header(len(text)) + len(text)
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise PropertyTypeError(
            f"text {text[:20]!r}... is not valid Unicode (a lone surrogate)"
        ) from None
    return _header(size) + size


def packed_size(value: Any) -> int:
    """The exact bytes `value` takes in a Bolt message, as the driver packs it (PackStream:
    UTF-8 text, ints in 1 to 9 bytes, floats in 9, a marker with the size before each text,
    list and map). PropertyTypeError for what a server cannot read: a list or map of more
    than MAX_ELEMENTS entries, a text that cannot be encoded, a type the driver cannot send."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return _int_size(value)
    if isinstance(value, float):
        return 9
    if isinstance(value, str):
        return _text_size(value)
    if isinstance(value, dict | list | tuple):
        if len(value) > MAX_ELEMENTS:
            raise PropertyTypeError(
                f"a list of {len(value):,} values, more than the {MAX_ELEMENTS:,} "
                "a database message may hold in one"
            )
        if isinstance(value, dict):
            items = value.items()
            return _header(len(value)) + sum(_text_size(k) + packed_size(v) for k, v in items)
        return _header(len(value)) + sum(packed_size(item) for item in value)
    raise PropertyTypeError(f"{type(value).__name__} cannot be sent to the database")
