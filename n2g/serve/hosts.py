"""Which Host a request may name, so a web page elsewhere cannot read the service.

DNS rebinding: a page of evil.example, opened in the browser of someone running
`n2g serve`, points its own name at 127.0.0.1 once loaded; the browser then lets its
scripts read http://evil.example:8000/api/... as same-origin, and the service, which
listens on the user's loopback address, would answer them. What the browser cannot hide
is the name it asked for: the Host header says evil.example. So the service answers only
requests that name it by a loopback name (127.0.0.1, localhost, ::1, any port) or by a
name it was told to serve under (`n2g serve --host NAME`, `--allow-host NAME`); any other
Host gets a 400. `*` allows every name (a deliberate choice, for a service behind a proxy
that checks names itself).

Redirects (Starlette's trailing-slash one) are made relative: their Location would
otherwise be built from the Host header, and a relative one means the same to a browser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
ANY_HOST = "*"
REDIRECTS = frozenset({301, 302, 303, 307, 308})

HtmlErrorRenderer = Callable[[int, str], Response]


def host_name(value: str) -> str:
    """A Host header's name (or a name as given to `--allow-host`): lower case, without
    its port, the brackets of an IPv6 address or a trailing dot."""
    value = value.strip().lower()
    if value.startswith("["):  # [::1]:8000
        name = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # localhost:8000 (a bare IPv6 address has several)
        name = value.split(":", 1)[0]
    else:
        name = value
    return name.rstrip(".")


def allowed_names(extra: Iterable[str] = ()) -> frozenset[str]:
    """The loopback names and `extra` (host names, `*` for any), normalised."""
    return LOOPBACK_NAMES | {host_name(name) for name in extra if name.strip()}


def _is_api(path: str) -> bool:
    return path.startswith("/api/") or path in ("/api", "/openapi.json")


def _relative(location: str, host: str) -> str:
    """`location` without its scheme and authority when it names `host` (the request's)."""
    parts = urlsplit(location)
    if parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower():
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return location


class HostAllowList:
    """ASGI middleware: a 400 for a Host outside `allowed` (JSON on API paths, the error
    page on others, rendered by `render_html`); relative Locations on redirects."""

    def __init__(
        self, app: ASGIApp, *, allowed: frozenset[str], render_html: HtmlErrorRenderer
    ) -> None:
        self.app = app
        self.allowed = allowed
        self.render_html = render_html

    def _refusal(self, path: str, host: str) -> Response:
        line = (
            f"host {host[:100]!r} is not served here: this service answers to "
            f"{', '.join(sorted(self.allowed))} (n2g serve --allow-host NAME adds one)"
        )
        if _is_api(path):
            return JSONResponse({"error": line}, status_code=400)
        return self.render_html(400, line)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = dict(scope.get("headers", [])).get(b"host", b"")
        host = raw.decode("latin-1")
        if ANY_HOST not in self.allowed and host_name(host) not in self.allowed:
            await self._refusal(scope.get("path", ""), host)(scope, receive, send)
            return

        async def send_relative(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in REDIRECTS:
                headers = [
                    (name, _relative(value.decode("latin-1"), host).encode("latin-1"))
                    if name.lower() == b"location"
                    else (name, value)
                    for name, value in message.get("headers", [])
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_relative)
