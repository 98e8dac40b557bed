"""Units by their output side, through the real local server: the stored output tokens
and "units that promote (suppress) TOKEN", against the answers the graphs hold."""

from __future__ import annotations

import pytest

from n2g.db.mapping import OUTPUT_TOKEN_PROPERTIES
from n2g.errors import N2GError
from n2g.search import NeuronSearch
from n2g.testing.handmade import TRICKY_TOKENS


@pytest.fixture(scope="module")
def search(search_db) -> NeuronSearch:
    return NeuronSearch(search_db)


def _expected(graphs, token: str, suppressed: bool, model=None) -> list[tuple[str, int, float]]:
    """(key, rank, logit) of every graph whose output side holds `token`, by brute force."""
    found = []
    for graph in graphs:
        if graph.output_tokens is None or (model is not None and graph.model != model):
            continue
        side = graph.output_tokens.suppressed if suppressed else graph.output_tokens.promoted
        if token in side.tokens:
            rank = side.tokens.index(token)
            found.append((graph.key, rank, side.logits[rank]))
    return sorted(found, key=lambda hit: (hit[2] if suppressed else -hit[2], hit[0]))


def test_the_output_tokens_are_stored_on_the_unit(search_db, search_graphs) -> None:
    graph = next(g for g in search_graphs if g.key == "hand/0/0")
    assert graph.output_tokens is not None
    (row,) = search_db.read(
        "MATCH (n:Neuron) WHERE n.key = $key RETURN n.promotes AS promotes, "
        "n.promote_logits AS logits, n.promote_ids AS ids, n.suppresses AS suppresses",
        {"key": graph.key},
    )
    assert row["promotes"] == graph.output_tokens.promoted.tokens
    assert row["logits"] == graph.output_tokens.promoted.logits
    assert row["ids"] == graph.output_tokens.promoted.token_ids
    assert row["suppresses"] == graph.output_tokens.suppressed.tokens
    assert len(OUTPUT_TOKEN_PROPERTIES) == 6


def test_a_graph_read_back_keeps_its_output_tokens(search, search_graphs) -> None:
    for key in ("hand/0/0", "hand/0/7", "hand/1/4"):
        graph = next(g for g in search_graphs if g.key == key)
        assert search.neuron_graph(key) == graph


@pytest.mark.parametrize("suppressed", [False, True], ids=["promotes", "suppresses"])
@pytest.mark.parametrize("token", [" import", " from", *TRICKY_TOKENS, " nothing"])
def test_units_that_promote_a_token(search, search_graphs, token, suppressed) -> None:
    hits = search.output_search(token, suppressed=suppressed)
    assert [(h.key, h.rank, h.logit) for h in hits] == _expected(search_graphs, token, suppressed)


def test_units_that_promote_import_known_answer(search) -> None:
    hits = search.output_search(" import")
    assert [(h.key, h.rank) for h in hits] == [("hand/1/3", 1), ("hand/0/0", 0)]  # 3.5 > 3.0
    assert [h.key for h in search.output_search(" import", suppressed=True)] == ["hand/0/7"]
    assert [h.key for h in search.output_search(" import", layer=0)] == ["hand/0/0"]
    assert search.output_search(" import", limit=1)[0].key == "hand/1/3"
    assert search.output_search(" import", model="other") == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.output_search(""), "empty"),
        (lambda s: s.output_search(" import", model="no-such-model"), "no neuron graphs"),
        (lambda s: s.output_search(" import", layer=-1), "layer"),
        (lambda s: s.output_search(" import", layer=9), "out of range"),
        (lambda s: s.output_search(" import", limit=0), "limit"),
    ],
)
def test_bad_input_is_one_clear_error(search, call, message) -> None:
    with pytest.raises(N2GError, match=message):
        call(search)
