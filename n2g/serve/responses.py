"""Answers computed once, kept compressed, and served from memory on the event loop.

Every page and API answer is a pure function of its URL while the database does not
change, so both routers answer through `CachedAnswers`: the first request for a URL
builds the body in a worker thread (database round trips, layout, template) and keeps
it; later requests are served from the cache without leaving the event loop. At most
UNIT_BUILDERS unit answers are built at once: building one is mostly Python work under
the one interpreter lock (decoding its evidence, laying out and rendering the page), so
more threads would not build faster, and every extra one takes the lock from the event
loop that serves the cached answers (measured: with 40 builders busy, cached pages fell
from about 1,800 to 30 a second). Searches and lists are mostly waiting on the database,
so more of them (QUERY_BUILDERS) run at once. A body is
kept as it is and gzip-compressed (a unit page of 75 kB compresses to about 11 kB, once,
when it is built), so browsers and HTTP libraries, which accept gzip, get the small one
and other clients the plain one, neither costing any work per request.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
from fastapi import Request
from fastapi.responses import Response

from n2g.serve.cache import ExpiringCache

MIN_COMPRESSED = 1_024  # smaller bodies are kept and sent as they are
UNIT_BUILDERS = 4  # unit answers built at once (worker threads); the others queue
QUERY_BUILDERS = 16  # search and list answers built at once
COMPRESS_LEVEL = 1  # most of gzip's gain (about 7x on a page) for the least CPU

Body = tuple[bytes, bytes | None]  # (body, gzip-compressed body, None when small)


def _pack(body: bytes) -> Body:
    if len(body) < MIN_COMPRESSED:
        return body, None
    return body, gzip.compress(body, compresslevel=COMPRESS_LEVEL, mtime=0)


def _accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


@dataclass(frozen=True)
class Builders:
    """How many answers of each kind are built at once, in the whole app."""

    units: anyio.CapacityLimiter = field(
        default_factory=lambda: anyio.CapacityLimiter(UNIT_BUILDERS)
    )
    queries: anyio.CapacityLimiter = field(
        default_factory=lambda: anyio.CapacityLimiter(QUERY_BUILDERS)
    )


class CachedAnswers:
    """Bodies by URL (path and sorted query), built once per `ttl_s` (n2g.serve.cache)."""

    def __init__(self, cache: ExpiringCache[Body], builders: Builders) -> None:
        self.cache = cache
        self.builders = builders

    @staticmethod
    def key(request: Request) -> tuple[str, tuple[tuple[str, str], ...]]:
        return request.url.path, tuple(sorted(request.query_params.multi_items()))

    async def answer(
        self, request: Request, build: Callable[[], bytes], media_type: str, *, unit: bool
    ) -> Response:
        """The cached body of `request`'s URL, building it in a worker thread when it is
        missing (`unit`: among the unit builders, else the query builders); `build`
        raising (an N2GError, say) is not cached and reaches the error handlers."""
        key = self.key(request)
        packed = self.cache.fresh(key)
        if packed is None:
            limiter = self.builders.units if unit else self.builders.queries
            packed = await anyio.to_thread.run_sync(
                self.cache.get, key, lambda: _pack(build()), limiter=limiter
            )
        body, compressed = packed
        if compressed is None:
            return Response(body, media_type=media_type)
        if _accepts_gzip(request):
            headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            return Response(compressed, media_type=media_type, headers=headers)
        return Response(body, media_type=media_type, headers={"Vary": "Accept-Encoding"})


def body_weight(packed: Body) -> int:
    return len(packed[0]) + len(packed[1] or b"")
