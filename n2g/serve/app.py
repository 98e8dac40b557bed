"""The web application of `n2g serve`: a read-only search service over the database.

`create_app(db)` wires the pieces: the cached read layer (views), the JSON API, the pages,
the static files, the error answers, the security headers and the Host allow-list
(n2g.serve.hosts). It only ever calls `db.read`: there is no endpoint that writes, and
anything but GET or HEAD (n2g.serve.head) is a 405.
FastAPI's interactive docs are off (they load scripts from a CDN, which the
Content-Security-Policy forbids and an offline machine cannot reach); /openapi.json
describes the API and /api/docs shows it with Swagger UI served from a package
(n2g.serve.api_docs).

Answers are kept as long as the store is unchanged (n2g.serve.store_watch looks every half
`cache_ttl_s`), the kept ones are sent before any route runs (n2g.serve.fast_path), and
with `warm` every unit's API answer and page is built ahead of its first visit
(n2g.serve.warm): the three together are what keep a unit's p95 low under load.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import replace

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from n2g.db.connection import Database
from n2g.search import store
from n2g.serve.api import api_router
from n2g.serve.api_docs import api_docs_router
from n2g.serve.browse import Browse, browse_router
from n2g.serve.cache import ExpiringCache
from n2g.serve.errors import install_error_handlers
from n2g.serve.fast_path import FastPath
from n2g.serve.head import HeadAsGet
from n2g.serve.hosts import HostAllowList, allowed_names
from n2g.serve.pages import PageRenderer, page_router
from n2g.serve.responses import (
    HTML_TYPE,
    JSON_TYPE,
    Body,
    Builders,
    CachedAnswers,
    Decompressed,
    answer_key,
    body_weight,
    json_body,
)
from n2g.serve.security import SecurityHeaders
from n2g.serve.store_watch import StoreWatch
from n2g.serve.templating import STATIC, Pages
from n2g.serve.views import Views
from n2g.serve.warm import Warmed, Warmer
from n2g.serve.warm_searches import warm_searches

ALL_UNITS = {"model": None, "layer": None}  # queries/export_keys.cypher: every unit

DESCRIPTION = (
    "Search the N2G neuron graphs stored in the database: per-model quality, a unit's "
    "graph with its evidence and scores, token search, similar units and groups. "
    'Read-only. Every error is JSON `{"error": "one line"}`.'
)


def unit_warmer(
    db: Database,
    views: Views,
    renderer: PageRenderer,
    api_answers: CachedAnswers,
    page_answers: CachedAnswers,
    on_warm: Callable[[Warmed], None],
) -> Warmer:
    """Builds every stored unit's API answer and page into the kept answers, by the URLs
    their routes keep them under, then the most frequent tokens' searches
    (n2g.serve.warm_searches); `on_warm` hears how much that kept."""

    def kept_report(warmed: Warmed) -> Warmed:
        kept = [api_answers.cache, page_answers.cache]
        return replace(
            warmed,
            kept_mb=sum(cache.weight for cache in kept) / 2**20,
            all_kept=all(len(cache) >= warmed.units for cache in kept),
        )

    return Warmer(
        lambda: [row["key"] for row in db.read(store.query("export_keys"), ALL_UNITS)],
        prefetch=views.prefetch_units,
        after=lambda interrupted: warm_searches(views, api_answers, interrupted),
        steps=[
            lambda key: api_answers.keep(
                answer_key(f"/api/units/{key}"), lambda: json_body(views.unit(key)), JSON_TYPE
            ),
            lambda key: page_answers.keep(
                answer_key(f"/units/{key}"), lambda: renderer.unit(key).encode(), HTML_TYPE
            ),
        ],
        on_done=lambda warmed: on_warm(kept_report(warmed)),
    )


def create_app(
    db: Database,
    *,
    cache_ttl_s: float = 60.0,
    max_units: int = 1024,
    cache_mb: int = 512,
    allowed_hosts: Iterable[str] = (),
    live_model: bool = False,
    warm: bool = False,
    on_warm: Callable[[Warmed], None] = lambda warmed: None,
) -> FastAPI:
    """The service over `db` (owned by the caller, who closes it after the app stops).

    Answers are kept while the store is unchanged, seen so at most `cache_ttl_s` seconds
    ago (graphs loaded meanwhile show up after about half that): at most `max_units` unit
    views as objects, and rendered answers, compressed, in at most `cache_mb` MiB (three
    quarters for pages, a quarter for the API), plus an eighth of that for the plain
    bytes of the most asked ones (for clients without gzip). With `warm`, every unit's
    answers are built in the background from the start, and `on_warm` hears when all are
    (n2g.serve.warm).
    Requests must name the service by a loopback name or one of `allowed_hosts` (`*`: any)
    in their Host. `live_model`: a unit's model may be loaded to show its true activation
    on a text."""
    views = Views(db, ttl_s=cache_ttl_s, max_units=max_units, live_model=live_model)
    pages = Pages()
    builders = Builders()  # shared by pages and API

    def answers(share: float) -> CachedAnswers:
        budget = int(cache_mb * 1024 * 1024 * share)
        cache: ExpiringCache[Body] = ExpiringCache(
            max(budget // 512, 1), ttl_s=cache_ttl_s, max_weight=budget, weigh=body_weight
        )
        return CachedAnswers(cache, builders, Decompressed(budget // 8))

    api_answers, page_answers = answers(0.25), answers(0.75)
    renderer = PageRenderer(views, pages)
    warmer = unit_warmer(db, views, renderer, api_answers, page_answers, on_warm)
    watch = StoreWatch(
        db,
        [views, api_answers.cache, page_answers.cache],
        every_s=cache_ttl_s / 2,
        on_change=warmer.restart if warm else lambda: None,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if cache_ttl_s > 0:
            watch.start()
        try:
            yield
        finally:
            watch.stop()
            warmer.stop()

    app = FastAPI(
        title="n2g neuron graphs",
        description=DESCRIPTION,
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.views = views
    app.state.store_watch = watch
    install_error_handlers(app, pages.error)
    app.include_router(api_router(views, api_answers))
    app.include_router(api_docs_router())
    app.include_router(page_router(renderer, page_answers))
    app.include_router(browse_router(Browse(views, pages), page_answers))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # the last added runs first: headers on every answer, HEAD on the Host's refusal too;
    # kept answers go out after the Host check, before any route
    app.add_middleware(FastPath, api=api_answers, pages=page_answers)
    app.add_middleware(HostAllowList, allowed=allowed_names(allowed_hosts), render_html=pages.error)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders)
    return app
