"""The most asked token searches built ahead of their first visit (`n2g serve --warm`).

A token search's first visit costs the database two queries (the hits, then the count of
all matches when the page is full) plus their Bolt round trips; on a loaded 2-core machine
that put first-visit searches at hundreds of milliseconds while kept ones take one, and
with 50 clients those first visits set the p95. Searches come as often as units fire on
a token: a few tokens (the most frequent in the corpus) are most of them. So after the
units, warming counts every stored unit's activating tokens (one query over the models:
the similarity join's token sets, from the firing level) and keeps the API answer of the
`limit` tokens most units fire on, under the URL the route keeps it by
(`/api/search?token=T`, the route's defaults), through the same view as a request.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from functools import partial

from n2g.errors import N2GError
from n2g.search.api import NeuronSearch
from n2g.serve.api import SEARCH_LIMIT
from n2g.serve.responses import JSON_TYPE, CachedAnswers, answer_key, json_body
from n2g.serve.views import Views

log = logging.getLogger(__name__)

WARM_SEARCHES = 5_000  # tokens whose search is kept ahead (the most frequent first)


def frequent_tokens(search: NeuronSearch, models: list[str], limit: int) -> list[str]:
    """The `limit` activating tokens the most units of `models` fire on, most first (ties
    in token order)."""
    counts: Counter[str] = Counter()
    for unit in search.token_sets(models):
        counts.update(unit.activating)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [token for token, _ in ranked[:limit]]


def search_body(views: Views, token: str) -> bytes:
    """What /api/search?token=TOKEN answers (the route's defaults)."""
    hits = views.token_search(
        token, None, model=None, layer=None, repeated=False, limit=SEARCH_LIMIT
    )
    return json_body(hits)


def warm_searches(
    views: Views,
    answers: CachedAnswers,
    interrupted: Callable[[], bool],
    limit: int = WARM_SEARCHES,
) -> int:
    """Keep the search answers of the `limit` most frequent activating tokens; how many
    were kept (fewer when `interrupted()` turned true midway)."""
    models = [model.name for model in views.models().models]
    tokens = frequent_tokens(views.search, models, limit) if models else []
    for done, token in enumerate(tokens):
        if interrupted():
            return done
        try:
            answers.keep(
                answer_key("/api/search", [("token", token)]),
                partial(search_body, views, token),
                JSON_TYPE,
            )
        except N2GError as exc:  # built again on demand
            log.warning("could not build the search for %r: %s", token, exc)
    return len(tokens)
