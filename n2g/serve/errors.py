"""How the service answers a failure: one line, the right status, never a traceback.

The rest of the package raises N2GError (one actionable line) as the CLI does; here it
becomes an HTTP answer. Which status is decided by what failed, not by parsing messages:

- NotFound (a unit, model or group that is not stored) -> 404;
- an N2GError caused by the driver (the database is down or refused the query) -> 503;
- any other N2GError (a bad key, layer, limit, a missing tokenizer...) -> 422, as are
  parameters FastAPI itself refuses (`limit=abc`);
- anything else is our bug -> 500 with a fixed line; the traceback goes to the server's
  log only, as a traceback can hold data the client should not see.

API paths (/api/..., /openapi.json) answer JSON `{"error": "..."}`; pages answer a small
HTML page (escaped by the templates) with the same status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from neo4j import exceptions as neo4j_errors
from starlette.exceptions import HTTPException as StarletteHTTPException

from n2g.errors import DatabaseUnavailable, N2GError
from n2g.serve.security import SECURITY_HEADERS

MAX_MESSAGE = 400  # characters of an error line (a message quoting a huge token is cut)
INTERNAL_ERROR = "internal error: the server could not answer this request (see its log)"

HtmlErrorRenderer = Callable[[int, str], Response]


class NotFound(N2GError):
    """A unit, model or group that is not in the database (HTTP 404)."""


def one_line(message: str) -> str:
    """`message` as one line of at most MAX_MESSAGE characters."""
    line = " ".join(message.split())
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "\u2026"


def status_of(exc: N2GError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, DatabaseUnavailable):
        return 503
    if isinstance(exc.__cause__, neo4j_errors.Neo4jError | neo4j_errors.DriverError | OSError):
        return 503
    return 422


def is_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path == "/api" or path == "/openapi.json"


def validation_message(exc: RequestValidationError) -> str:
    """FastAPI's refusal of a parameter as one line: `limit: Input should be ...`."""
    errors = exc.errors()
    if not errors:
        return "bad request"
    first = errors[0]
    where = [str(part) for part in first.get("loc", ()) if part not in ("query", "path", "body")]
    name = ".".join(where) or "request"
    return f"{name}: {first.get('msg', 'invalid value')}"


def install_error_handlers(app: FastAPI, render_html: HtmlErrorRenderer) -> None:
    """Register the handlers described in the module docstring on `app`."""

    def answer(
        request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        line = one_line(message)
        if is_api(request):
            response: Response = JSONResponse({"error": line}, status_code=status)
        else:
            response = render_html(status, line)
        # also on a 500, which Starlette answers outside the middleware that adds them
        response.headers.update({**SECURITY_HEADERS, **(headers or {})})
        return response

    @app.exception_handler(N2GError)
    async def n2g_error(request: Request, exc: N2GError) -> Response:
        return answer(request, status_of(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        return answer(request, 422, validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {
            404: f"no such page: {request.url.path}",
            405: "method not allowed: the service only reads (GET or HEAD)",
        }
        message = messages.get(exc.status_code, str(exc.detail))
        return answer(request, exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        return answer(request, 500, INTERNAL_ERROR)
