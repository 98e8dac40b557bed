"""The service's read layer: NeuronSearch and the store behind a cache, one method a view.

Pages and the JSON API both ask here, so a unit read for its page is not read again for
its JSON or a comparison. Each view costs as few Bolt round trips as the queries allow (a
unit: its graph, evidence, neighbours and groups in one query, rebuilt by the same
mapping as every other reader, n2g.serve.unit_rows; many units in one for warming; the
models' quality table: one aggregate query; a search: NeuronSearch's query, with the
checks that tell a 404 from a 422 only when it failed) and is then kept
(n2g.serve.cache), as the service never writes. Failures are N2GErrors; what is not
stored is NotFound (HTTP 404), so the error handlers decide the status by type, never by
the words of a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from n2g.db.connection import Database
from n2g.db.score_properties import QUALITY_COLUMNS
from n2g.errors import N2GError
from n2g.graph.key import parse_neuron_key
from n2g.graph.levels import FIRING_LEVEL
from n2g.search import store
from n2g.search.api import NeuronSearch
from n2g.search.groups import COMPONENTS_LEVEL
from n2g.search.splits import MIN_INSIDE, UnitSetMissing
from n2g.serve.cache import ExpiringCache
from n2g.serve.errors import NotFound
from n2g.serve.quality import models_from_rows
from n2g.serve.schemas import (
    GroupsResponse,
    GroupWithTokens,
    LikeResponse,
    ModelsResponse,
    OutputSearchResponse,
    SearchResponse,
    SimilarityRun,
    SplitResponse,
    UnitResponse,
)
from n2g.serve.unit_rows import read_unit_row, read_unit_rows, unit_from_row
from n2g.serve.unit_text import TextRunner, UnitActivations

MAX_TEXT = 2_000  # characters of a text to run units on ("fire on this text", "test a text")


def check_text(text: str) -> None:
    """N2GError (422) for a text over MAX_TEXT characters."""
    if len(text) > MAX_TEXT:
        raise N2GError(f"the text is {len(text):,} characters long: give at most {MAX_TEXT:,}")


class Views:
    """Every view of the service over one database; thread-safe (its caches lock)."""

    def __init__(
        self, db: Database, *, ttl_s: float = 60.0, max_units: int = 1024, live_model: bool = False
    ) -> None:
        self.db = db
        self.texts = TextRunner(live_model)  # n2g.serve.live only with live_model
        self.search = NeuronSearch(db)
        self._models: ExpiringCache[ModelsResponse] = ExpiringCache(1, ttl_s=ttl_s)
        self._units: ExpiringCache[UnitResponse] = ExpiringCache(max_units, ttl_s=ttl_s)
        self._results: ExpiringCache[Any] = ExpiringCache(max_units, ttl_s=ttl_s)

    # -- models -----------------------------------------------------------------------
    def models(self) -> ModelsResponse:
        """Every model with its per-layer quality (one aggregate query, then cached)."""
        return self._models.get(
            "models",
            lambda: models_from_rows(
                self.db.read(store.query("model_quality"), {"methods": QUALITY_COLUMNS})
            ),
        )

    def require_model(self, model: str | None) -> None:
        """NotFound unless `model` (when given) has units stored."""
        if model is None or any(m.name == model for m in self.models().models):
            return
        if store.model_has_neurons(self.db, model):  # loaded since the summary was cached
            return
        known = ", ".join(m.name for m in self.models().models) or "none yet"
        raise NotFound(f"no unit graphs for model {model!r} in the database (models: {known})")

    # -- units ------------------------------------------------------------------------
    def unit(self, key: str) -> UnitResponse:
        """Unit `key`'s graph with evidence, neighbours and groups (1 round trip, cached).

        N2GError (422) for a malformed key, NotFound (404) for one not stored."""
        parse_neuron_key(key)
        return self._units.get(key, lambda: self._read_unit(key))

    def _read_unit(self, key: str) -> UnitResponse:
        """One round trip (queries/unit_view.cypher): the unit's graph as stored whole, its
        neighbours and groups."""
        row = read_unit_row(self.db, key)
        if row is None:
            raise NotFound(f"no unit {key!r} in the database (check the model, layer and index)")
        return unit_from_row(self.db, row, self.similarity_run)

    def prefetch_units(self, keys: Sequence[str]) -> None:
        """Read the views of those of `keys` that are not kept in one round trip
        (queries/unit_views.cypher) and keep them as `unit` would: what warming reads."""
        missing = [key for key in keys if self._units.fresh(key) is None]
        rows = read_unit_rows(self.db, missing) if missing else {}
        for key, row in rows.items():
            self._units.get(key, partial(unit_from_row, self.db, row, self.similarity_run))

    def similarity_run(self, model: str) -> SimilarityRun | None:
        """The `n2g similar` run recorded on `model` (one query per model, cached)."""

        def compute() -> SimilarityRun | None:
            row = store.model_similarity_run(self.db, model)
            return None if row is None else SimilarityRun.model_validate(row)

        return self._results.get(("similarity-run", model), compute)

    def coactivation_summary(self, model: str) -> str | None:
        """The main job's check of `model`'s relations (JSON text; cached per model)."""
        return self._results.get(
            ("coactivation", model), lambda: store.model_coactivation(self.db, model)
        )

    def has_other_unit_sets(self, graph_model: str, layer: int, unit_set: str | None) -> bool:
        """Does the layer hold what `splits` compares a unit with by default: latents for a
        neuron, neurons for a latent? (the cached models summary: no query)"""
        return any(
            (q.unit_set is None) == (unit_set is not None) and q.layer == layer
            for m in self.models().models
            if m.name == graph_model
            for q in m.quality
        )

    def unit_splits(self, unit: UnitResponse) -> SplitResponse | None:
        """The unit page's section: the unit against the other kind of unit of its layer;
        None where the layer has none."""
        graph = unit.graph
        if not self.has_other_unit_sets(graph.model, graph.layer, graph.unit_set):
            return None
        try:
            return self.splits(unit.key)
        except NotFound:  # the summary was older than the store
            return None

    # -- searches ---------------------------------------------------------------------
    def token_search(
        self,
        token: str | None,
        context: str | None,
        *,
        model: str | None,
        layer: int | None,
        repeated: bool,
        limit: int,
        level: float = FIRING_LEVEL,
        skip: int = 0,
    ) -> SearchResponse:
        """Token search, or with `repeated` the repeated-token units (NeuronSearch), the
        tokens counted from `level` (n2g.graph.levels): `limit` units after the first
        `skip`, and how many match in all (a count query only when the page is full)."""
        if repeated and (token is not None or context is not None):
            raise N2GError("repeated takes no token: it finds the repeated tokens itself")
        cache_key = ("search", token, context, model, layer, repeated, limit, level, skip)

        def compute() -> SearchResponse:
            hits: Any
            try:
                if repeated:
                    hits = self.search.repeated_tokens(
                        model=model, layer=layer, limit=limit, level=level, skip=skip
                    )
                else:
                    hits = self.search.token_search(
                        token,
                        context,
                        model=model,
                        layer=layer,
                        limit=limit,
                        level=level,
                        skip=skip,
                    )
            except N2GError:
                self.require_model(model)  # an unknown model is a 404, not a bad request
                raise
            if len(hits) < limit and (hits or skip == 0):
                total = skip + len(hits)  # the last page: nothing to count
            elif repeated:
                total = store.repeated_token_count(self.db, model=model, layer=layer, level=level)
            else:
                total = store.token_hit_count(
                    self.db, token, context, model=model, layer=layer, level=level
                )
            return SearchResponse(
                token=token,
                context=context,
                model=model,
                layer=layer,
                repeated=repeated,
                limit=limit,
                level=level,
                hits=hits,
                skip=skip,
                total=total,
            )

        return self._results.get(cache_key, compute)

    def output_search(
        self, token: str, *, suppressed: bool, model: str | None, layer: int | None, limit: int
    ) -> OutputSearchResponse:
        """Units whose write direction promotes (suppresses) `token` most (NeuronSearch)."""

        def compute() -> OutputSearchResponse:
            self.require_model(model)  # an unknown model is a 404, not a bad request
            hits = self.search.output_search(
                token, suppressed=suppressed, model=model, layer=layer, limit=limit
            )
            return OutputSearchResponse(
                token=token,
                suppressed=suppressed,
                model=model,
                layer=layer,
                limit=limit,
                hits=hits,
            )

        return self._results.get(("output", token, suppressed, model, layer, limit), compute)

    def like(
        self,
        key: str,
        *,
        model: str | None,
        min_score: float,
        limit: int,
        level: float = FIRING_LEVEL,
    ) -> LikeResponse:
        """The units most like unit `key` (NeuronSearch.like), on their tokens from `level`."""
        parse_neuron_key(key)

        def compute() -> LikeResponse:
            try:
                hits = self.search.like(
                    key, model=model, min_score=min_score, limit=limit, level=level
                )
            except N2GError:
                if not store.neuron_exists(self.db, key):  # not stored is a 404
                    raise NotFound(f"no unit {key!r} in the database") from None
                self.require_model(model)
                raise
            return LikeResponse(key=key, model=model, min_score=min_score, level=level, hits=hits)

        return self._results.get(("like", key, model, min_score, limit, level), compute)

    def splits(
        self,
        key: str,
        *,
        unit_set: str | None = None,
        min_inside: float = MIN_INSIDE,
        limit: int = 25,
        level: float = FIRING_LEVEL,
    ) -> SplitResponse:
        """Unit `key` against the other unit sets of its layer (NeuronSearch.splits): a
        unit or unit set not stored is a 404."""
        parse_neuron_key(key)

        def compute() -> SplitResponse:
            try:
                result = self.search.splits(
                    key, unit_set=unit_set, min_inside=min_inside, limit=limit, level=level
                )
            except UnitSetMissing as exc:
                raise NotFound(str(exc)) from None
            except N2GError:
                if not store.neuron_exists(self.db, key):
                    raise NotFound(f"no unit {key!r} in the database") from None
                raise
            return SplitResponse.model_validate(result.model_dump())

        return self._results.get(("splits", key, unit_set, min_inside, limit, level), compute)

    def like_text(
        self, text: str, *, model: str, tokenizer: str | None, threshold: float, limit: int
    ) -> LikeResponse:
        """The units of `model` whose graphs fire on `text` (NeuronSearch.fires_on_text).

        The text is tokenised by the model's tokenizer, found as `n2g like --text` finds it
        (n2g.serve.tokenizers, imported only here: it may need transformer_lens)."""
        check_text(text)

        def compute() -> LikeResponse:
            self.require_model(model)
            from n2g.serve.tokenizers import text_tokenizer

            match = self.search.fires_on_text(
                model, text, text_tokenizer(model, tokenizer), threshold=threshold, limit=limit
            )
            return LikeResponse(text=text, model=model, text_match=match)

        return self._results.get(("text", text, model, tokenizer, threshold, limit), compute)

    def unit_text(self, key: str, text: str, tokenizer: str | None) -> UnitActivations:
        """`text` through unit `key`: its graph's prediction and, with a live model, its
        true activation (n2g.serve.unit_text)."""
        check_text(text)
        graph = self.unit(key).graph
        return self._results.get(
            ("unit-text", key, text, tokenizer), lambda: self.texts.run(graph, text, tokenizer)
        )

    # -- groups -----------------------------------------------------------------------
    def groups(
        self,
        *,
        model: str | None,
        min_size: int,
        limit: int,
        level: int = COMPONENTS_LEVEL,
        parent: str | None = None,
        token_level: float = FIRING_LEVEL,
    ) -> GroupsResponse:
        """The stored groups of one level (inside `parent` if given), largest first, each
        with the tokens all its members share (counted from `token_level`)."""
        key = ("groups", model, min_size, limit, level, parent, token_level)

        def compute() -> GroupsResponse:
            if model is not None and "+" not in model:  # "a+b": a group scope over models
                self.require_model(model)
            try:
                hits = self.search.groups(
                    model=model,
                    level=level,
                    parent=parent,
                    min_size=min_size,
                    limit=limit,
                    token_level=token_level,
                )
            except N2GError as err:
                if parent is not None and "no group" in str(err):
                    raise NotFound(str(err)) from None
                raise
            return GroupsResponse(
                model=model,
                group_level=level,
                parent=parent,
                min_size=min_size,
                limit=limit,
                token_level=token_level,
                groups=[GroupWithTokens(**hit.model_dump()) for hit in hits],
            )

        return self._results.get(key, compute)

    def clear(self) -> None:
        """Forget every cached view (after loading new graphs, say)."""
        self._models.clear()
        self._units.clear()
        self._results.clear()

    def renew(self, since: float) -> None:
        """The store was seen unchanged at `since`: every cached view still holds
        (n2g.serve.store_watch)."""
        for cache in (self._models, self._units, self._results):
            cache.renew(since)
