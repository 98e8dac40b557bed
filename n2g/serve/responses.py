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
so more of them (QUERY_BUILDERS) run at once. A body
of MIN_COMPRESSED bytes or more is kept only gzip-compressed (a unit page of 44 kB
compresses to about 11 kB, once, when it is built), so that a whole model's pages fit in
memory: browsers and HTTP libraries, which accept gzip, get it as it is; a client that does
not gets it decompressed (about 0.1 ms for a page). A kept body carries its media type,
so that n2g.serve.fast_path can answer it before any route runs.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import anyio
from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.requests import HTTPConnection

from n2g.serve.cache import ExpiringCache

MIN_COMPRESSED = 1_024  # smaller bodies are kept and sent as they are
UNIT_BUILDERS = 4  # unit answers built at once (worker threads); the others queue
QUERY_BUILDERS = 16  # search and list answers built at once
COMPRESS_LEVEL = 1  # most of gzip's gain (about 7x on a page) for the least CPU

HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/json"
GZIP_WBITS = 31  # zlib's window bits for the gzip container


@dataclass(frozen=True)
class Body:
    """A kept answer: its bytes (gzip-compressed when `compressed`) and media type."""

    data: bytes
    compressed: bool
    media_type: str

    def parts(
        self, accepts_gzip: bool, plain: Callable[[Body], bytes] | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and the headers (beyond Content-Type) to send a client; `plain`
        decompresses (a Decompressed keeps the most asked)."""
        if not self.compressed:
            return self.data, {}
        if accepts_gzip:
            return self.data, {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return (plain or decompress)(self), {"Vary": "Accept-Encoding"}


def decompress(body: Body) -> bytes:
    return zlib.decompress(body.data, GZIP_WBITS)


class Decompressed:
    """The plain bytes of the most recently asked compressed bodies, in at most `max_bytes`:
    clients without gzip ask for the popular pages over and over, and decompressing a
    44 kB page each time halved the pages answered a second. Keyed by the kept body
    itself, so a body built anew (the store changed) is never answered with the old bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._plain: OrderedDict[Body, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __call__(self, body: Body) -> bytes:
        with self._lock:
            plain = self._plain.get(body)
            if plain is not None:
                self._plain.move_to_end(body)
                return plain
        plain = decompress(body)
        with self._lock:
            if body not in self._plain:
                self._plain[body] = plain
                self._bytes += len(plain)
            while self._bytes > self.max_bytes and self._plain:
                _, evicted = self._plain.popitem(last=False)
                self._bytes -= len(evicted)
        return plain


def pack(body: bytes, media_type: str) -> Body:
    if len(body) < MIN_COMPRESSED:
        return Body(body, False, media_type)
    return Body(gzip.compress(body, compresslevel=COMPRESS_LEVEL, mtime=0), True, media_type)


def accepts_gzip(headers: Mapping[str, str]) -> bool:
    return "gzip" in headers.get("accept-encoding", "").lower()


AnswerKey = tuple[str, tuple[tuple[str, str], ...]]


def answer_key(path: str, query: Iterable[tuple[str, str]] = ()) -> AnswerKey:
    """The key a body is kept by: the path and the query's items, sorted."""
    return path, tuple(sorted(query))


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

    def __init__(
        self, cache: ExpiringCache[Body], builders: Builders, plain: Decompressed | None = None
    ) -> None:
        self.cache = cache
        self.builders = builders
        self.plain = plain or Decompressed(0)

    @staticmethod
    def key(request: HTTPConnection) -> AnswerKey:
        return answer_key(request.url.path, request.query_params.multi_items())

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
                self.cache.get, key, lambda: pack(build(), media_type), limiter=limiter
            )
        body, headers = packed.parts(accepts_gzip(request.headers), self.plain)
        return Response(body, media_type=packed.media_type, headers=headers)

    def keep(self, key: AnswerKey, build: Callable[[], bytes], media_type: str) -> Body:
        """Build and keep the body of `key` now, unless it is kept (n2g.serve.warm)."""
        return self.cache.get(key, lambda: pack(build(), media_type))


def json_body(model: BaseModel) -> bytes:
    """An API answer's bytes (the one way JSON answers are made)."""
    return model.model_dump_json().encode()


def body_weight(packed: Body) -> int:
    return len(packed.data)
