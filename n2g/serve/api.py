"""The JSON API: models, a unit, searches, like, splits, circuits, groups. GET only.

Each endpoint declares its response model (so /openapi.json describes it) and its error
answers; parameters are typed and bounded by FastAPI (a refusal is a one-line 422, see
n2g.serve.errors). The JSON of an answer is serialised once and kept by its URL, like the
pages (n2g.serve.responses): a repeated request is answered on the event loop from bytes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from n2g.errors import N2GError
from n2g.graph.levels import FIRING_LEVEL, LEVEL_HELP
from n2g.search.bounds import MAX_QUERY_INT
from n2g.search.circuits import MAX_DEPTH, Circuit
from n2g.search.communities import MAX_LEVELS
from n2g.search.groups import COMPONENTS_LEVEL
from n2g.search.splits import MIN_INSIDE
from n2g.search.token_ids import check_token_or_id, text_of_token_id
from n2g.serve.circuits import circuit_view
from n2g.serve.responses import JSON_TYPE, CachedAnswers, json_body
from n2g.serve.schemas import (
    ErrorResponse,
    GroupsResponse,
    LikeResponse,
    ModelsResponse,
    OutputSearchResponse,
    SearchResponse,
    SplitResponse,
    UnitResponse,
)
from n2g.serve.tokenizers import text_tokenizer
from n2g.serve.unit_text import UnitActivations
from n2g.serve.views import Views

MAX_GROUP_KEY = 1000  # a group key is a scope and a unit key: far shorter

MAX_LIMIT = 500
JSON = JSON_TYPE

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "no such unit, model or page"},
    422: {"model": ErrorResponse, "description": "a bad parameter (one line says which)"},
    503: {"model": ErrorResponse, "description": "the database does not answer"},
}

Model = Annotated[str | None, Query(description="only this model's units (default: all)")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many rows")]
SEARCH_LIMIT = 25  # units a token search answers by default (what warming keeps)
Layer = Annotated[int | None, Query(ge=0, le=MAX_QUERY_INT, description="only this layer")]
TokenId = Annotated[
    int | None,
    Query(ge=0, le=MAX_QUERY_INT, description="instead of token: a token id of model's tokenizer"),
]
TokenizerName = Annotated[
    str | None, Query(description="'byte' or a model name (default: the model's own)")
]
Score = Annotated[float, Query(ge=0.0, le=1.0)]
Level = Annotated[float, Query(ge=0.0, le=1.0, description=LEVEL_HELP)]
KEY_HELP = (
    "unit key MODEL/LAYER/INDEX, or MODEL/sae:NAME/INDEX (MODEL/tc:NAME/INDEX) for an SAE's "
    "(a transcoder's) latent"
)


Cached = Callable[[Request, Callable[[], BaseModel], bool], Awaitable[Response]]


def api_router(views: Views, answers: CachedAnswers) -> APIRouter:
    """The /api routes over `views`, each answer kept in `answers` by its URL."""
    router = APIRouter(prefix="/api", responses=ERRORS)

    async def cached(request: Request, build: Callable[[], BaseModel], unit: bool) -> Response:
        return await answers.answer(request, lambda: json_body(build()), JSON, unit=unit)

    _unit_routes(router, views, cached)
    _search_routes(router, views, cached)
    return router


def _unit_routes(router: APIRouter, views: Views, cached: Cached) -> None:
    """/api/models and /api/units."""

    @router.get("/models", response_model=ModelsResponse)
    async def models(request: Request) -> Response:
        """Every model: its unit count, layers, SAEs and per-layer quality (mean F1,
        correlation and out-of-distribution false-positive rate of N2G and baselines)."""
        return await cached(request, views.models, False)

    @router.get("/units/{key:path}", response_model=UnitResponse)
    async def unit(request: Request, key: str) -> Response:
        """One unit's graph (trie nodes and edges, evaluation, settings, evidence) with its
        stored similar units and groups. The key as the CLI writes it; model names may
        hold slashes (`/api/units/org/model/3/286`)."""
        return await cached(request, lambda: views.unit(key), True)

    @router.get("/units", response_model=UnitResponse)
    async def unit_by_query(
        request: Request, key: Annotated[str, Query(description=KEY_HELP)]
    ) -> Response:
        """The same as /api/units/{key}, for a key a URL path cannot carry (a '..' part)."""
        return await cached(request, lambda: views.unit(key), True)

    @router.get("/unit/{key:path}/activations", response_model=UnitActivations)
    async def unit_activations(
        request: Request,
        key: str,
        text: Annotated[str, Query(description="the text to run the unit on")],
        tokenizer: TokenizerName = None,
    ) -> Response:
        """`text` through one unit, token by token: its graph's predicted activation
        (normalised) and, when the service runs with --live-model, the unit's true
        activation (raw and normalised) and their correlation; else a note says why not."""
        return await cached(request, lambda: views.unit_text(key, text, tokenizer), True)


def _search_routes(router: APIRouter, views: Views, cached: Cached) -> None:
    """/api/search, /api/output, /api/like, /api/splits, /api/circuit and /api/groups."""

    @router.get("/search", response_model=SearchResponse)
    async def search(
        request: Request,
        token: Annotated[str | None, Query(description="exact activating token")] = None,
        context: Annotated[str | None, Query(description="exact context token")] = None,
        model: Model = None,
        layer: Layer = None,
        repeated: Annotated[
            bool, Query(description="units with a token both activating and in context")
        ] = False,
        limit: Limit = SEARCH_LIMIT,
        skip: Annotated[
            int, Query(ge=0, le=MAX_QUERY_INT, description="pass over this many units first")
        ] = 0,
        level: Level = FIRING_LEVEL,
        token_id: TokenId = None,
        tokenizer: TokenizerName = None,
    ) -> Response:
        """Units that activate on `token` (or on the token of `token_id` in `model`'s
        tokenizer), have `context`, or both on one trie path; or, with `repeated=true`,
        units with repeated tokens (in-context-learning candidates). `limit` units after
        the first `skip`; `total` says how many match in all."""
        check_token_or_id(token, token_id, model)

        def search_token() -> str | None:
            if token_id is None or model is None:
                return token
            return text_of_token_id(text_tokenizer(model, tokenizer), token_id)

        return await cached(
            request,
            lambda: views.token_search(
                search_token(),
                context,
                model=model,
                layer=layer,
                repeated=repeated,
                limit=limit,
                level=level,
                skip=skip,
            ),
            False,
        )

    @router.get("/output", response_model=OutputSearchResponse)
    async def output(
        request: Request,
        token: Annotated[str, Query(description="exact output token, e.g. ' import'")],
        suppressed: Annotated[
            bool, Query(description="units that suppress it, not promote it")
        ] = False,
        model: Model = None,
        layer: Layer = None,
        limit: Limit = 25,
    ) -> Response:
        """Units whose write direction promotes `token` most (with `suppressed=true`:
        suppresses it most), read off each unit's stored output tokens: its write direction
        through the unembedding, the strongest effect first."""
        return await cached(
            request,
            lambda: views.output_search(
                token, suppressed=suppressed, model=model, layer=layer, limit=limit
            ),
            False,
        )

    @router.get("/like", response_model=LikeResponse)
    async def like(
        request: Request,
        key: Annotated[str | None, Query(description=KEY_HELP)] = None,
        text: Annotated[str | None, Query(description="instead: units firing on it")] = None,
        model: Model = None,
        tokenizer: Annotated[
            str | None, Query(description="for text: 'byte' or a model name (default: model's)")
        ] = None,
        min_score: Score = 0.5,
        threshold: Score = 0.5,
        limit: Limit = 10,
        level: Level = FIRING_LEVEL,
    ) -> Response:
        """Units like unit `key` (score = the smaller of the activating and context token
        overlaps, at least `min_score`), or the units of `model` whose graphs predict at
        least `threshold` on some token of `text`."""
        if (key is None) == (text is None):
            raise N2GError("give a unit key or a text (not both)")
        if text is not None:
            if model is None:
                raise N2GError("text needs model: the units of which model should run on it")
            return await cached(
                request,
                lambda: views.like_text(
                    text, model=model, tokenizer=tokenizer, threshold=threshold, limit=limit
                ),
                True,  # runs graphs in Python: a heavy build
            )
        assert key is not None
        return await cached(
            request,
            lambda: views.like(key, model=model, min_score=min_score, limit=limit, level=level),
            False,
        )

    @router.get("/splits", response_model=SplitResponse)
    async def splits(
        request: Request,
        key: Annotated[str, Query(description=KEY_HELP)],
        unit_set: Annotated[
            str | None,
            Query(
                description="compare with this unit set only (sae:NAME, tc:NAME); default: "
                "the latents of the layer for a neuron, its neurons for a latent"
            ),
        ] = None,
        min_inside: Annotated[
            float,
            Query(
                ge=0.0,
                le=1.0,
                description="a latent lies inside a neuron when at least this share of its "
                "activating tokens are the neuron's",
            ),
        ] = MIN_INSIDE,
        limit: Limit = 25,
        level: Level = FIRING_LEVEL,
    ) -> Response:
        """Unit `key` against the other unit sets of its layer: for a neuron, the SAE and
        transcoder latents inside it (what it splits into) first, then those overlapping it
        most; for a latent, the neurons it lies inside. 404: the unit, or the unit set on
        its layer, is not stored."""
        return await cached(
            request,
            lambda: views.splits(
                key, unit_set=unit_set, min_inside=min_inside, limit=limit, level=level
            ),
            False,
        )

    @router.get("/circuit", response_model=Circuit)
    async def circuit(
        request: Request,
        key: Annotated[str, Query(description=KEY_HELP)],
        depth: Annotated[int, Query(ge=1, le=MAX_DEPTH, description="FEEDS steps to follow")] = 1,
        direction: Annotated[
            Literal["up", "down"],
            Query(description="up: the units that feed it; down: the units it feeds"),
        ] = "up",
        to: Annotated[
            str | None, Query(description="instead: the paths from key to this unit")
        ] = None,
        source: Annotated[
            Literal["weights", "data", "any"], Query(description="what computed the edges")
        ] = "weights",
        limit: Limit = 50,
    ) -> Response:
        """The stored FEEDS edges around unit `key` (`n2g feeds`): the units that feed it
        (`direction=up`) or that it feeds (`down`), up to `depth` steps, each edge with its
        virtual weight (the direct path), rank and measured ablation effect; with `to`,
        the paths from `key` to `to`. 404: the unit, or any FEEDS edge of its model, is
        not stored; 422: a unit of layer 0 has nothing upstream."""
        return await cached(
            request,
            lambda: circuit_view(
                views,
                key,
                depth=depth,
                direction=direction,
                source=None if source == "any" else source,
                to=to,
                limit=limit,
            ),
            False,
        )

    @router.get("/groups", response_model=GroupsResponse)
    async def groups(
        request: Request,
        model: Annotated[str | None, Query(description="only this model's groups")] = None,
        min_size: Annotated[
            int, Query(ge=1, le=MAX_QUERY_INT, description="smallest group listed")
        ] = 2,
        limit: Limit = 25,
        level: Annotated[
            int,
            Query(
                ge=0,
                le=MAX_LEVELS,
                description="0: the paper's groups (components); 1..: communities, finest first",
            ),
        ] = COMPONENTS_LEVEL,
        parent: Annotated[
            str | None,
            Query(max_length=MAX_GROUP_KEY, description="only the groups inside this one"),
        ] = None,
        token_level: Level = FIRING_LEVEL,
    ) -> Response:
        """Groups of similar units of one level, largest first, with the tokens all
        members share."""
        return await cached(
            request,
            lambda: views.groups(
                model=model,
                min_size=min_size,
                limit=limit,
                level=level,
                parent=parent,
                token_level=token_level,
            ),
            False,
        )
