"""The web application of `n2g serve`: a read-only search service over the database.

`create_app(db)` wires the pieces: the cached read layer (views), the JSON API, the pages,
the static files, the error answers, the security headers and the Host allow-list
(n2g.serve.hosts). It only ever calls `db.read`: there is no endpoint that writes, and
anything but GET or HEAD (n2g.serve.head) is a 405.
FastAPI's interactive docs are off (they load scripts from a CDN, which the
Content-Security-Policy forbids and an offline machine cannot reach); /openapi.json
describes the API and /api/docs shows it with Swagger UI served from a package
(n2g.serve.api_docs).
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from n2g.db.connection import Database
from n2g.serve.api import api_router
from n2g.serve.api_docs import api_docs_router
from n2g.serve.browse import Browse, browse_router
from n2g.serve.cache import ExpiringCache
from n2g.serve.errors import install_error_handlers
from n2g.serve.head import HeadAsGet
from n2g.serve.hosts import HostAllowList, allowed_names
from n2g.serve.pages import PageRenderer, page_router
from n2g.serve.responses import Body, Builders, CachedAnswers, body_weight
from n2g.serve.security import SecurityHeaders
from n2g.serve.templating import STATIC, Pages
from n2g.serve.views import Views

DESCRIPTION = (
    "Search the N2G neuron graphs stored in the database: per-model quality, a unit's "
    "graph with its evidence and scores, token search, similar units and groups. "
    'Read-only. Every error is JSON `{"error": "one line"}`.'
)


def create_app(
    db: Database,
    *,
    cache_ttl_s: float = 60.0,
    max_units: int = 1024,
    cache_mb: int = 512,
    allowed_hosts: Iterable[str] = (),
    live_model: bool = False,
) -> FastAPI:
    """The service over `db` (owned by the caller, who closes it after the app stops).

    Answers are kept for `cache_ttl_s` seconds (graphs loaded meanwhile show up after
    that): at most `max_units` unit views as objects, and rendered answers, compressed,
    in at most `cache_mb` MiB (half for pages, half for the API). Requests must name the
    service by a loopback name or one of `allowed_hosts` (`*`: any) in their Host.
    `live_model`: a unit's model may be loaded to show its true activation on a text."""
    app = FastAPI(
        title="n2g neuron graphs",
        description=DESCRIPTION,
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    views = Views(db, ttl_s=cache_ttl_s, max_units=max_units, live_model=live_model)
    pages = Pages()

    builders = Builders()  # shared by pages and API

    def answers() -> CachedAnswers:
        budget = cache_mb * 1024 * 1024 // 2
        cache: ExpiringCache[Body] = ExpiringCache(
            max(budget // 512, 1), ttl_s=cache_ttl_s, max_weight=budget, weigh=body_weight
        )
        return CachedAnswers(cache, builders)

    app.state.views = views
    install_error_handlers(app, pages.error)
    app.include_router(api_router(views, answers()))
    app.include_router(api_docs_router())
    page_answers = answers()
    app.include_router(page_router(PageRenderer(views, pages), page_answers))
    app.include_router(browse_router(Browse(views, pages), page_answers))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # the last added runs first: headers on every answer, HEAD on the Host's refusal too
    app.add_middleware(HostAllowList, allowed=allowed_names(allowed_hosts), render_html=pages.error)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders)
    return app
