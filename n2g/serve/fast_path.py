"""Kept answers sent before any route runs: what makes a hit cost almost nothing.

A page or an API answer asked again is already kept, compressed, by its URL
(n2g.serve.responses). Answering it through FastAPI still costs the routing, the
parameter parsing and validation, a Request and a Response object: about four times what
sending the bytes does, and on the one event loop every request of a worker shares. This
innermost middleware (it runs after the Host check, inside the security headers and
HEAD's handling) looks the URL up in the kept answers first and, when the answer is there
and fresh, sends it as the route would have (same body, type and encoding headers); anything
else (a first visit, an expired answer, an error) goes on to the routes as before. A
kept answer exists only because its route built it for that exact path and query, so the
two ways cannot disagree.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from n2g.serve.responses import CachedAnswers, accepts_gzip


class FastPath:
    """ASGI middleware: GETs whose answer is kept are answered from `api` (paths under
    /api/) or `pages` (the others) without reaching the app."""

    def __init__(self, app: ASGIApp, *, api: CachedAnswers, pages: CachedAnswers) -> None:
        self.app = app
        self.api = api
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        answers = self.api if scope["path"].startswith("/api/") else self.pages
        kept = answers.cache.fresh(answers.key(connection))
        if kept is None:
            await self.app(scope, receive, send)
            return
        body, extra = kept.parts(accepts_gzip(connection.headers), answers.plain)
        headers = [
            (b"content-type", kept.media_type.encode("latin-1")),
            (b"content-length", str(len(body)).encode("latin-1")),
        ]
        headers += [(name.lower().encode(), value.encode()) for name, value in extra.items()]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
