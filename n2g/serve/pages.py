"""The HTML pages: models, a unit, search, compare, groups; rendered once, then cached.

Each page reads its views (n2g.serve.views), lays out its pictures in Python
(n2g.serve.draw, n2g.serve.plots) and renders a template. The rendered page is kept by its
URL (n2g.serve.responses), so a page asked again is answered on the event loop without a
thread, a query or a template. Form fields arrive as text: an empty field means "not
given", anything that is not a number where one is needed is a one-line 422 page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from n2g.errors import N2GError
from n2g.search.bounds import MAX_QUERY_INT
from n2g.search.communities import MAX_LEVELS
from n2g.search.groups import COMPONENTS_LEVEL
from n2g.serve.circuit_view import circuit_page
from n2g.serve.circuits import unit_circuit
from n2g.serve.draw import draw
from n2g.serve.histogram import histogram_plot
from n2g.serve.pair_check import pair_check
from n2g.serve.plots import BarPlot, f1_plot
from n2g.serve.responses import HTML_TYPE, CachedAnswers
from n2g.serve.schemas import LikeResponse, ModelsResponse, SearchResponse, UnitResponse
from n2g.serve.templating import Pages
from n2g.serve.text import query_url
from n2g.serve.views import MAX_TEXT, Views

DEFAULT_LIMIT = 25
MAX_LIMIT = 500
HTML = HTML_TYPE


def _given(value: str | None) -> str | None:
    """A form field: None when absent or empty."""
    return value if value not in (None, "") else None


def _number(name: str, value: str | None, default: Any, kind: type = int) -> Any:
    """A numeric form field (`kind` int or float); `default` when empty."""
    value = _given(value)
    if value is None:
        return default
    try:
        return kind(value.strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise N2GError(f"{name} must be {what}, got {value!r}") from None


def _limit(value: str | None) -> int:
    limit = _number("limit", value, DEFAULT_LIMIT)
    if not 1 <= limit <= MAX_LIMIT:
        raise N2GError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    return int(limit)


def _page(value: str | None, limit: int) -> int:
    """The page asked (1: the first), so that the units passed over stay a query int."""
    page = _number("page", value, 1)
    last = MAX_QUERY_INT // limit
    if not 1 <= page <= last:
        raise N2GError(f"page must be between 1 and {last}, got {page}")
    return int(page)


@dataclass(frozen=True)
class Pager:
    """Where a page of search results lies among all the units that match."""

    page: int
    pages: int
    first: int  # 1-based position of the page's first unit
    last: int
    total: int
    more: int
    previous_url: str | None
    next_url: str | None
    last_url: str

    @classmethod
    def of(cls, result: SearchResponse, page: int, limit: int, params: dict[str, str]) -> Pager:
        given = {k: v for k, v in params.items() if k != "page" and v != ""}

        def url(number: int) -> str:
            return query_url("/search", **given, page=None if number == 1 else number)

        pages = max(1, -(-result.total // limit))
        return cls(
            page=page,
            pages=pages,
            first=result.skip + 1,
            last=result.skip + len(result.hits),
            total=result.total,
            more=result.more,
            previous_url=url(min(page - 1, pages)) if page > 1 else None,
            next_url=url(page + 1) if result.more else None,
            last_url=url(pages),
        )


def _flag(value: str | None) -> bool:
    return (_given(value) or "").lower() in ("true", "1", "on", "yes")


@dataclass(frozen=True)
class SearchForm:
    """The search page's fields as given (None: empty), echoed back into its form."""

    token: str | None = None
    context: str | None = None
    model: str | None = None
    layer: str | None = None
    limit: str | None = None
    like: str | None = None
    text: str | None = None
    tokenizer: str | None = None
    page: str | None = None
    repeated: bool = False

    @classmethod
    def from_params(cls, params: dict[str, str]) -> SearchForm:
        names = [f.name for f in fields(cls) if f.name != "repeated"]
        given = {name: _given(params.get(name)) for name in names}
        return cls(**given, repeated=_flag(params.get("repeated")))


def quality_plots(summary: ModelsResponse) -> dict[str, list[BarPlot]]:
    """Model name -> its bar plots: one for its neurons, one per unit set (SAE, transcoder)."""
    plots: dict[str, list[BarPlot]] = {}
    for model in summary.models:
        series: dict[str | None, list] = {}
        for row in model.quality:
            series.setdefault(row.unit_set, []).append(row)
        plots[model.name] = [
            f1_plot(f"{model.name} {unit_set}" if unit_set else f"{model.name} neurons", rows)
            for unit_set, rows in sorted(series.items(), key=lambda item: item[0] or "")
        ]
    return plots


class PageRenderer:
    """Builds each page's HTML from the views (runs in a worker thread)."""

    def __init__(self, views: Views, pages: Pages) -> None:
        self.views = views
        self.pages = pages

    def model_names(self) -> list[str]:
        return [m.name for m in self.views.models().models]

    def index(self) -> str:
        summary = self.views.models()
        return self.pages.html(
            "index.html",
            summary=summary,
            plots=quality_plots(summary),
            models=[m.name for m in summary.models],
            form=SearchForm(),
        )

    def unit(self, key: str, text: str | None = None, tokenizer: str | None = None) -> str:
        """Unit `key`'s page; with `text`, its "test your text" box run on it."""
        unit: UnitResponse = self.views.unit(key)
        settings = json.dumps(unit.graph.settings.model_dump(mode="json"), indent=2)
        text, tokenizer = _given(text), _given(tokenizer)
        run = None if text is None else self.views.unit_text(key, text, tokenizer)
        return self.pages.html(
            "unit.html",
            unit=unit,
            text_run=run,
            text_form={"text": text, "tokenizer": tokenizer},
            live_model=self.views.texts.live_model,
            max_text=MAX_TEXT,
            drawing=draw(unit.graph),
            histogram=histogram_plot(unit.graph),
            settings_json=settings,
            splits=self.views.unit_splits(unit),
            circuit=unit_circuit(self.views, unit),
        )

    def search(self, params: dict[str, str]) -> str:
        """Token search, repeated tokens, units like a unit, or units firing on a text."""
        form = SearchForm.from_params(params)
        limit = _limit(form.limit)
        result: SearchResponse | None = None
        like: LikeResponse | None = None
        pager: Pager | None = None
        if form.like is not None:
            min_score = _number("min_score", params.get("min_score"), 0.5, float)
            like = self.views.like(form.like, model=form.model, min_score=min_score, limit=limit)
        elif form.text is not None:
            if form.model is None:
                raise N2GError("choose the model whose units should run on the text")
            threshold = _number("threshold", params.get("threshold"), 0.5, float)
            like = self.views.like_text(
                form.text,
                model=form.model,
                tokenizer=form.tokenizer,
                threshold=threshold,
                limit=limit,
            )
        elif form.token is not None or form.context is not None or form.repeated:
            page = _page(form.page, limit)
            result = self.views.token_search(
                form.token,
                form.context,
                model=form.model,
                layer=_number("layer", form.layer, None),
                repeated=form.repeated,
                limit=limit,
                skip=(page - 1) * limit,
            )
            pager = Pager.of(result, page, limit, params)
        return self.pages.html(
            "search.html",
            form=form,
            models=self.model_names(),
            result=result,
            like=like,
            pager=pager,
        )

    def compare(self, a: str | None, b: str | None) -> str:
        a, b = _given(a), _given(b)
        if a is None or b is None:
            return self.pages.html("compare_form.html", a=a, b=b)
        first, second = self.views.unit(a), self.views.unit(b)
        acts = [set(u.graph.activating_tokens()) for u in (first, second)]
        ctxs = [set(u.graph.context_tokens()) for u in (first, second)]
        shared_act, shared_ctx = frozenset(acts[0] & acts[1]), frozenset(ctxs[0] & ctxs[1])

        def overlap(shared: frozenset[str], sets: list[set[str]]) -> float | None:
            biggest = max(len(sets[0]), len(sets[1]))
            return len(shared) / biggest if biggest else None

        sides = [
            {"name": name, "unit": unit, "drawing": draw(unit.graph, shared_act, shared_ctx)}
            for name, unit in (("a", first), ("b", second))
        ]
        return self.pages.html(
            "compare.html",
            a=first,
            b=second,
            sides=sides,
            shared_activating=sorted(shared_act),
            shared_context=sorted(shared_ctx),
            overlap={"activating": overlap(shared_act, acts), "context": overlap(shared_ctx, ctxs)},
            check=pair_check(
                first.graph, second.graph, self.views.coactivation_summary(first.graph.model)
            ),
        )

    def groups(self, params: dict[str, str]) -> str:
        min_size = _number("min_size", params.get("min_size"), 2)
        level = _number("level", params.get("level"), COMPONENTS_LEVEL)
        if not 0 <= level <= MAX_LEVELS:
            raise N2GError(f"level must lie in 0..{MAX_LEVELS}, got {level}")
        result = self.views.groups(
            model=_given(params.get("model")),
            min_size=min_size,
            limit=_limit(params.get("limit")),
            level=level,
            parent=_given(params.get("parent")),
        )
        return self.pages.html(
            "groups.html", result=result, models=self.model_names(), max_levels=MAX_LEVELS
        )


def page_router(renderer: PageRenderer, answers: CachedAnswers) -> APIRouter:
    """The page routes; each page is kept in `answers` by its URL (path and query)."""
    router = APIRouter(include_in_schema=False)

    async def cached(request: Request, build: Callable[[], str], unit: bool = False) -> Response:
        return await answers.answer(request, lambda: build().encode(), HTML, unit=unit)

    @router.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> Response:
        return await cached(request, renderer.index)

    @router.get("/units/{key:path}", response_class=HTMLResponse)
    async def unit(
        request: Request, key: str, text: str | None = None, tokenizer: str | None = None
    ) -> Response:
        return await cached(request, lambda: renderer.unit(key, text, tokenizer), unit=True)

    @router.get("/units", response_class=HTMLResponse)
    async def unit_by_query(
        request: Request, key: str, text: str | None = None, tokenizer: str | None = None
    ) -> Response:
        return await cached(request, lambda: renderer.unit(key, text, tokenizer), unit=True)

    @router.get("/search", response_class=HTMLResponse)
    async def search(request: Request) -> Response:
        params = dict(request.query_params)
        return await cached(request, lambda: renderer.search(params))

    @router.get("/compare", response_class=HTMLResponse)
    async def compare(request: Request, a: str | None = None, b: str | None = None) -> Response:
        return await cached(request, lambda: renderer.compare(a, b), unit=True)

    @router.get("/groups", response_class=HTMLResponse)
    async def groups(request: Request) -> Response:
        params = dict(request.query_params)
        return await cached(request, lambda: renderer.groups(params))

    @router.get("/circuit/{key:path}", response_class=HTMLResponse)
    async def circuit(request: Request, key: str) -> Response:
        params = dict(request.query_params)
        build = lambda: circuit_page(renderer.views, renderer.pages, key, params)  # noqa: E731
        return await cached(request, build, unit=True)

    return router
