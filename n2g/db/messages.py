"""Every write's Bolt message under the server's limit, measured in the bytes it will take.

ArcadeDB reads no Bolt message over 16 MiB (`arcadedb.bolt.maxMessageSize`, after chunk
reassembly) and then answers nothing, while still answering handshakes: a watchdog cannot
tell that from a long write, so an oversize message is a hang. The only sure bound is to
measure before sending. A statement's list parameter (`UNWIND $rows`) is split into as many
statements as keep each message, the query text included, within MAX_MESSAGE_BYTES, every
item measured exactly as the driver encodes it (n2g.db.properties.packed_size: UTF-8
bytes, so text of 4-byte characters counts at its real size). Ingest and the similarity
and group writes share this; an item that alone cannot fit is refused, never sent.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any

from neo4j import ManagedTransaction

from n2g.db.properties import MAX_ELEMENTS, packed_size
from n2g.errors import N2GError

# A statement and its parameters take at most MAX_MESSAGE_BYTES: 1 MiB under the limit is
# left for the rest of the RUN message and the chunk headers.
MAX_MESSAGE_BYTES = 15 * 2**20
RUN_FIELDS_BYTES = 64  # RUN's marker and signature, a list header's growth, an empty extra


@functools.cache
def room(query: str, name: str) -> int:
    """Bytes one message of `query` leaves for its list parameter `name`."""
    fixed = packed_size(query) + packed_size({name: []})
    return MAX_MESSAGE_BYTES - fixed - RUN_FIELDS_BYTES


def chunks(items: Sequence[Any], sizes: Sequence[int], space: int) -> Iterator[list[Any]]:
    """`items` in runs of at most `space` bytes and MAX_ELEMENTS items, in order; N2GError
    for an item that alone passes `space` (the server would refuse it and hang)."""
    chunk: list[Any] = []
    used = 0
    for item, size in zip(items, sizes, strict=True):
        if size > space:
            raise N2GError(f"a value of {size / 2**20:.1f} MiB cannot go in one database message")
        if chunk and (used + size > space or len(chunk) == MAX_ELEMENTS):
            yield chunk
            chunk, used = [], 0
        chunk.append(item)
        used += size
    if chunk:
        yield chunk


def run_in_messages(
    tx: ManagedTransaction,
    query: str,
    name: str,
    items: Sequence[Any],
    sizes: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """Run `query` with list parameter `name` = `items` (of `sizes` bytes, measured here
    when not given) in as many statements as keep each message under MAX_MESSAGE_BYTES;
    return all their records."""
    measured = sizes if sizes is not None else [packed_size(item) for item in items]
    records: list[dict[str, Any]] = []
    for chunk in chunks(items, measured, room(query, name)):
        records += [record.data() for record in tx.run(query, {name: chunk})]
    return records
