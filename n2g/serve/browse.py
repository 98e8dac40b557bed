"""Reaching units without knowing a token: a key typed on the home page, a random unit,
and each layer's units listed, paged and sorted by any stored score.

A researcher arrives with a key from a paper or a colleague ("smollm2-135m/3/286"), wants
to see what a typical unit looks like, or which units of layer 2 N2G explains best or
worst: `/go?key=`, `/random` and `/layer` answer those. `/go` and `/random` answer a
redirect (303, relative Location) to the unit's page, so the address bar shows the unit's
own URL and its page is cached once; `/random` is never cached. A layer page is a pure
function of its URL, rendered once and cached like every page (n2g.serve.responses).

The layers and their unit counts come from the models summary the home page already holds
(queries/model_quality.cypher, cached), so an unknown model, layer or unit set is a 404
without a query, and a key that is not stored gets a 404 page saying which part is wrong.
Sorting by a score is the order `n2g top` ranks in (queries/layer_units.cypher), but
units without that score are listed last instead of left out.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from n2g.db.score_properties import SCORE_PROPERTIES
from n2g.errors import N2GError
from n2g.graph.key import parse_neuron_key
from n2g.search import store
from n2g.search.bounds import MAX_QUERY_INT
from n2g.serve.errors import NotFound, one_line
from n2g.serve.responses import CachedAnswers
from n2g.serve.schemas import LayerQuality, ModelSummary
from n2g.serve.templating import Pages
from n2g.serve.text import query_url, unit_url
from n2g.serve.views import Views

INDEX = "index"  # sort by the unit's index: key order
SORTS = (INDEX, *SCORE_PROPERTIES)
DEFAULT_SIZE = 50
MAX_SIZE = 200  # units on one layer page
HTML = "text/html; charset=utf-8"
Order = Literal["asc", "desc"]
T = TypeVar("T")


def _given(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() != "" else None


def _whole(name: str, value: str | None, default: int | None, least: int, most: int) -> int:
    """A whole-number parameter in [least, most]; N2GError (422) otherwise."""
    text = _given(value)
    if text is None:
        if default is None:
            raise N2GError(f"give {name} (a whole number)")
        return default
    try:
        number = int(text)
    except ValueError:
        raise N2GError(f"{name} must be a whole number, got {text!r}") from None
    if not least <= number <= most:
        raise N2GError(f"{name} must be between {least} and {most}, got {number}")
    return number


@dataclass(frozen=True)
class LayerQuery:
    """What a layer page lists: whose units, in which order, which page."""

    model: str
    layer: int
    unit_set: str | None  # None: the layer's MLP neurons
    sort: str = INDEX
    order: Order = "asc"
    page: int = 1
    size: int = DEFAULT_SIZE

    @classmethod
    def from_params(cls, params: dict[str, str]) -> LayerQuery:
        model = _given(params.get("model"))
        if model is None:
            raise N2GError("give model (and layer): whose units to list")
        sort = _given(params.get("sort")) or INDEX
        if sort not in SORTS:
            raise N2GError(f"unknown sort {sort!r} (sorts: {', '.join(SORTS)})")
        order = _given(params.get("order")) or ("asc" if sort == INDEX else "desc")
        if order not in ("asc", "desc"):
            raise N2GError(f"order must be asc or desc, got {order!r}")
        size = _whole("size", params.get("size"), DEFAULT_SIZE, 1, MAX_SIZE)
        page = _whole("page", params.get("page"), 1, 1, MAX_QUERY_INT // size)
        return cls(
            model=model,
            layer=_whole("layer", params.get("layer"), None, 0, MAX_QUERY_INT),
            unit_set=_given(params.get("unit_set")),
            sort=sort,
            order="asc" if order == "asc" else "desc",
            page=page,
            size=size,
        )

    def url(self, **changes: Any) -> str:
        """This page's URL with `changes`; parameters at their defaults left out."""
        query = replace(self, **changes)
        default_order = "asc" if query.sort == INDEX else "desc"
        return query_url(
            "/layer",
            model=query.model,
            layer=query.layer,
            unit_set=query.unit_set,
            sort=None if query.sort == INDEX else query.sort,
            order=None if query.order == default_order else query.order,
            page=None if query.page == 1 else query.page,
            size=None if query.size == DEFAULT_SIZE else query.size,
        )

    def sorted_by(self, sort: str) -> str:
        """The first page sorted by `sort`: its default order, or the other one when
        already sorted so (a column heading's link)."""
        default: Order = "asc" if sort == INDEX else "desc"
        if sort == self.sort:
            default = "desc" if self.order == "asc" else "asc"
        return self.url(sort=sort, order=default, page=1)


class LayerUnit(BaseModel):
    """A row of a layer page (queries/layer_units.cypher); a score not stored is None."""

    model_config = ConfigDict(frozen=True)

    key: str
    index: int
    label: str | None = None
    score: float | None = None
    f1: float | None = None
    precision: float | None = None
    recall: float | None = None
    correlation: float | None = None
    ood_false_positive_rate: float | None = None
    n_activating_tokens: int | None = None


def _layers_text(summary: ModelSummary, unit_set: str | None) -> str:
    layers = sorted({q.layer for q in summary.quality if q.unit_set == unit_set})
    what = f"unit set {unit_set!r}" if unit_set else "MLP neurons"
    return f"{what} in layers {', '.join(map(str, layers))}" if layers else f"no {what}"


class Browse:
    """The layer pages, the key box and the random unit, over the views' models summary."""

    def __init__(self, views: Views, pages: Pages) -> None:
        self.views = views
        self.pages = pages

    def _model(self, model: str) -> ModelSummary:
        self.views.require_model(model)  # NotFound naming the stored models
        for summary in self.views.models().models:
            if summary.name == model:
                return summary
        raise NotFound(f"model {model!r} was loaded after this page's summary: try again soon")

    def layer_quality(self, model: str, layer: int, unit_set: str | None) -> LayerQuality:
        """The summary row of a model's layer (and unit set); NotFound saying what is."""
        summary = self._model(model)
        for row in summary.quality:
            if row.layer == layer and row.unit_set == unit_set:
                return row
        what = f"unit set {unit_set!r} in layer {layer}" if unit_set else f"layer {layer}"
        stored = _layers_text(summary, unit_set)
        raise NotFound(f"model {model!r} has no units of {what} (it has {stored})")

    def layer_page(self, params: dict[str, str]) -> str:
        query = LayerQuery.from_params(params)
        quality = self.layer_quality(query.model, query.layer, query.unit_set)
        pages = max(1, math.ceil(quality.units / query.size))
        if query.page > pages:
            raise NotFound(f"page {query.page} is past the last page ({pages}) of this layer")
        rows = self.views.db.read(
            store.query("layer_units"),
            {
                "model": query.model,
                "layer": query.layer,
                "unit_set": query.unit_set or "",
                "sort": query.sort,
                "order": 1 if query.order == "desc" else -1,
                "skip": (query.page - 1) * query.size,
                "limit": query.size,
            },
        )
        units = [LayerUnit.model_validate(row) for row in rows]
        return self.pages.html(
            "layer.html",
            query=query,
            quality=quality,
            units=units,
            pages=pages,
            sorts=SORTS,
            max_size=MAX_SIZE,
        )

    def random_key(self, params: dict[str, str]) -> str:
        """A unit drawn uniformly from the MLP neurons (or `unit_set`'s latents) of `model`
        and `layer` when given, of every model and layer otherwise."""
        model = _given(params.get("model"))
        layer = None
        if _given(params.get("layer")) is not None:
            layer = _whole("layer", params.get("layer"), None, 0, MAX_QUERY_INT)
        unit_set = _given(params.get("unit_set"))
        if model is not None:
            self.views.require_model(model)
        rows = [
            q
            for m in self.views.models().models
            if model is None or m.name == model
            for q in m.quality
            if (layer is None or q.layer == layer) and q.unit_set == unit_set
        ]
        total = sum(q.units for q in rows)
        if total == 0:
            raise NotFound(
                "no unit to draw from: no units stored " + _where(model, layer, unit_set)
            )
        params_ = {"model": model, "layer": layer, "unit_set": unit_set or ""}
        found = self.views.db.read(
            store.query("random_unit"), params_ | {"skip": secrets.randbelow(total)}
        )
        if not found:  # fewer units than the summary says (deleted since): take the first
            found = self.views.db.read(store.query("random_unit"), params_ | {"skip": 0})
        if not found:
            raise NotFound("no units stored " + _where(model, layer, unit_set))
        return str(found[0]["key"])

    def go(self, key: str | None) -> str:
        """The page URL of the unit a user typed; N2GError for a malformed key, NotFound
        saying which part of it is not stored."""
        key = _given(key)
        if key is None:
            raise N2GError("type a unit key MODEL/LAYER/INDEX, e.g. smollm2-135m/3/286")
        unit = parse_neuron_key(key)
        try:
            self.views.unit(key)
        except NotFound:
            raise NotFound(self._missing(key, unit.model, unit.layer, unit.unit_set)) from None
        return unit_url(key)

    def _missing(self, key: str, model: str, layer: int | None, unit_set: str | None) -> str:
        """Why `key` is not stored: its model, its layer (unit set) or only its index."""
        summary = self._model(model)  # NotFound naming the stored models
        if layer is not None:
            units = self.layer_quality(model, layer, None).units  # NotFound naming the layers
            held = f"layer {layer} of {model} holds {units:,} units"
            return f"no unit {key!r}: {held}, none with that index"
        if not any(q.unit_set == unit_set for q in summary.quality):
            sets = ", ".join(summary.unit_sets) or "none"
            return f"no unit {key!r}: {model} has no unit set {unit_set!r} (its unit sets: {sets})"
        return f"no unit {key!r}: {model}'s unit set {unit_set} has no latent with that index"

    def missing_links(self, key: str | None) -> list[tuple[str, str]]:
        """Links a 404 for `key` offers: its layer's list where that layer is stored."""
        try:
            unit = parse_neuron_key(_given(key) or "")
        except N2GError:
            return []
        if unit.layer is None:
            return []
        try:
            self.layer_quality(unit.model, unit.layer, None)
        except N2GError:
            return []
        url = LayerQuery(unit.model, unit.layer, None).url()
        return [(url, f"the units of {unit.model} layer {unit.layer}")]


def _where(model: str | None, layer: int | None, unit_set: str | None) -> str:
    parts = [f"of unit set {unit_set!r}" if unit_set else "(MLP neurons)"]
    parts += [f"in model {model!r}"] if model is not None else []
    parts += [f"in layer {layer}"] if layer is not None else []
    return " ".join(parts)


def browse_router(browse: Browse, answers: CachedAnswers) -> APIRouter:
    """/go, /random and /layer (pages; not in the API schema)."""
    router = APIRouter(include_in_schema=False)

    async def in_thread(work: Callable[[], T], unit: bool = False) -> T:
        """`work` in a worker thread, among the unit builders (reading a whole unit) or
        the query builders (n2g.serve.responses)."""
        builders = answers.builders
        limiter = builders.units if unit else builders.queries
        return await anyio.to_thread.run_sync(work, limiter=limiter)

    @router.get("/go")
    async def go(key: str | None = None) -> Response:
        """A typed key: a redirect to its unit's page, or a 404 page saying what is missing
        (with a link to its layer's units where that layer is stored)."""
        try:
            url = await in_thread(lambda: browse.go(key), unit=True)
        except NotFound as exc:
            links = await in_thread(lambda: browse.missing_links(key))
            message = one_line(str(exc))
            return browse.pages.response(
                "error.html", status=404, status_code=404, message=message, links=links
            )
        return RedirectResponse(url, status_code=303)

    @router.get("/random")
    async def random(request: Request) -> Response:
        params = dict(request.query_params)
        key = await in_thread(lambda: browse.random_key(params))
        return RedirectResponse(
            unit_url(key), status_code=303, headers={"Cache-Control": "no-store"}
        )

    @router.get("/layer", response_class=HTMLResponse)
    async def layer(request: Request) -> Response:
        params = dict(request.query_params)
        return await answers.answer(
            request, lambda: browse.layer_page(params).encode(), HTML, unit=False
        )

    return router
