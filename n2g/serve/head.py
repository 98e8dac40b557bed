"""HEAD answered as GET without the body, on every page and API path.

FastAPI registers a route for the methods it is declared with, so `@router.get` routes
answer HEAD with a 405; HTTP says a HEAD is a GET whose answer has no body (link
checkers, `curl -I` and monitors ask it). Rather than declare HEAD beside every GET (which
would list each endpoint twice in /openapi.json), this middleware hands the app a GET and
sends its status and headers (Content-Length included: what the GET would send) with an
empty body. The answer is built, and cached, as for the GET.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: a HEAD request reaches the app as a GET; its body is dropped."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # a copy: the server keeps its own scope, and with it knows the request was a HEAD
        await self.app({**scope, "method": "GET"}, receive, send_without_body)
