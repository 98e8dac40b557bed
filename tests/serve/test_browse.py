"""Reaching units from the home page (a typed key, a random unit, each layer's units
listed, paged and sorted) and search results with labels, scores and pages, through the
real server and database."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from n2g.graph.label import unit_label
from n2g.search import NeuronSearch
from n2g.serve.text import unit_url
from tests.serve.graphs import DOTTED_KEY, GRAPHS_BY_KEY, HOSTILE_KEY, SAE, SAE_KEY, SLASHED_KEY
from tests.serve.test_pages import assert_inert, page


def redirect(client: TestClient, url: str) -> str:
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 303, response.text[:300]
    location = response.headers["location"]
    assert location.startswith("/")  # relative: never a Host we were sent
    return location


def rows(text: str) -> list[str]:
    """The unit keys of a page's table, in order."""
    body = text[text.index("<tbody>") : text.index("</tbody>")]
    return [
        part.split('">', 1)[1].split("</a>", 1)[0] for part in body.split('class="unit" href="')[1:]
    ]


def test_home_page_has_the_key_box_random_unit_and_layer_links(client: TestClient) -> None:
    text = page(client, "/")
    assert '<form class="search" action="/go" method="get" id="go-form">' in text
    assert 'name="key"' in text and 'href="/random"' in text
    assert 'href="/random?model=hand"' in text
    assert 'href="/layer?model=hand&amp;layer=2"' in text
    assert (
        f'href="/layer?{escape(urlencode({"model": "hand", "layer": 1, "unit_set": SAE}))}"' in text
    )


@pytest.mark.parametrize("key", ["hand/0/0", SAE_KEY, SLASHED_KEY, DOTTED_KEY, " hand/2/5 "])
def test_a_typed_key_goes_to_its_unit_page(client: TestClient, key: str) -> None:
    location = redirect(client, "/go?" + urlencode({"key": key}))
    assert location == unit_url(key.strip())
    assert f'id="unit-key">{escape(key.strip())}</h1>' in page(client, location)


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("hand/0/99", "no unit 'hand/0/99': layer 0 of hand holds 3 units, none with that index"),
        (
            "hand/9/1",
            "model 'hand' has no units of layer 9 (it has MLP neurons in layers 0, 1, 2, 3)",
        ),
        ("nosuch/0/1", "no unit graphs for model 'nosuch'"),
        ("hand/sae:X/1", "hand has no unit set 'sae:X'"),
        (f"hand/{SAE}/9", f"hand's unit set {SAE} has no latent with that index"),
    ],
)
def test_an_unknown_key_is_a_clear_404_page(client: TestClient, key: str, words: str) -> None:
    text = page(client, "/go?" + urlencode({"key": key}), 404)
    assert 'id="error-message"' in text and str(escape(words)) in text
    if key == "hand/0/99":  # its layer is stored: linked
        assert '<a href="/layer?model=hand&amp;layer=0">the units of hand layer 0</a>' in text


@pytest.mark.parametrize("key", ["", "garbage", "<script>alert(1)</script>/1/x"])
def test_a_malformed_key_is_a_422_page(client: TestClient, key: str) -> None:
    text = page(client, "/go?" + urlencode({"key": key}), 422)
    assert_inert(text)


def test_a_random_unit_is_a_stored_unit_of_what_was_asked(client: TestClient) -> None:
    neurons = {redirect(client, "/random") for _ in range(40)}
    assert len(neurons) > 1  # drawn, not fixed
    assert all("sae:" not in url and "tc:" not in url for url in neurons)
    layer2 = {redirect(client, "/random?model=hand&layer=2") for _ in range(20)}
    assert layer2 <= {unit_url(k) for k in ("hand/2/5", "hand/2/12", HOSTILE_KEY)}
    assert redirect(client, "/random?" + urlencode({"model": "hand", "unit_set": SAE})) == (
        unit_url(SAE_KEY)
    )
    response = client.get("/random", follow_redirects=False)
    assert response.headers["cache-control"] == "no-store"
    page(client, "/random?model=nosuch", 404)
    page(client, "/random?model=hand&layer=9", 404)
    page(client, "/random?layer=x", 422)


def test_a_layer_page_lists_its_units_with_labels_and_scores(client: TestClient) -> None:
    text = page(client, "/layer?model=hand&layer=2")
    assert rows(text) == ["hand/2/5", "hand/2/12", HOSTILE_KEY]  # index order
    assert "3 units, 2 with an F1" in text
    label = unit_label(GRAPHS_BY_KEY["hand/2/5"])
    assert f'<td class="unit-label">{escape(label)}</td>' in text
    assert '<td class="num">0.400</td>' in text
    assert_inert(text)  # the hostile unit's label stays text


def test_sorting_a_layer_by_a_score_is_n2g_top(client: TestClient, serve_db) -> None:
    search = NeuronSearch(serve_db)
    for score in ("f1", "correlation_n2g", "ood_f1"):
        for worst, order in ((False, "desc"), (True, "asc")):
            text = page(client, f"/layer?model=hand&layer=2&sort={score}&order={order}")
            top = [u.key for u in search.top(score, model="hand", layer=2, worst=worst)]
            listed = rows(text)
            assert listed[: len(top)] == top  # ranked as `n2g top` ranks
            assert set(listed[len(top) :]) == {"hand/2/12"}  # no score: listed last
    text = page(client, "/layer?model=hand&layer=2&sort=ood_f1")
    assert '<th class="num" aria-sort="descending">ood_f1</th>' in text  # its own column


def test_a_layer_page_is_paged(client: TestClient) -> None:
    first = page(client, "/layer?model=hand&layer=2&size=2")
    assert rows(first) == ["hand/2/5", "hand/2/12"]
    assert "page 1 of 2" in first
    assert '<a rel="next" href="/layer?model=hand&amp;layer=2&amp;page=2&amp;size=2">' in first
    second = page(client, "/layer?model=hand&layer=2&size=2&page=2")
    assert rows(second) == [HOSTILE_KEY]
    assert '<a rel="prev" href="/layer?model=hand&amp;layer=2&amp;size=2">' in second
    latents = page(client, "/layer?" + urlencode({"model": "hand", "layer": 1, "unit_set": SAE}))
    assert rows(latents) == [SAE_KEY]
    assert rows(page(client, "/layer?" + urlencode({"model": "org/tiny", "layer": 0}))) == [
        SLASHED_KEY
    ]


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("layer=0", 422, "give model"),
        ("model=hand", 422, "give layer"),
        ("model=hand&layer=x", 422, "layer must be a whole number"),
        ("model=hand&layer=-1", 422, "layer must be between 0"),
        ("model=hand&layer=0&size=0", 422, "size must be between 1 and 200"),
        ("model=hand&layer=0&size=201", 422, "size must be between 1 and 200"),
        ("model=hand&layer=0&page=0", 422, "page must be between 1"),
        ("model=hand&layer=0&page=99999999999", 422, "page must be between 1"),
        ("model=hand&layer=0&sort=nosuch", 422, "unknown sort 'nosuch'"),
        ("model=hand&layer=0&sort=f1&order=up", 422, "order must be asc or desc"),
        ("model=hand&layer=0&page=2", 404, "page 2 is past the last page (1)"),
        ("model=nosuch&layer=0", 404, "no unit graphs for model 'nosuch'"),
        ("model=hand&layer=7", 404, "model 'hand' has no units of layer 7"),
        ("model=hand&layer=0&unit_set=sae:X", 404, "no units of unit set 'sae:X' in layer 0"),
    ],
)
def test_bad_layer_pages_are_4xx(client: TestClient, query: str, status: int, words: str) -> None:
    text = page(client, f"/layer?{query}", status)
    assert str(escape(words)) in text


def test_search_results_have_labels_scores_and_pages(client: TestClient) -> None:
    text = page(client, "/search?token=+everyone&limit=2")
    assert rows(text) == ["hand/0/0", "other/0/0"]
    assert "<th>label</th>" in text and '<th class="num">correlation</th>' in text
    assert "fires on ` everyone`, ` all` after ` except`" in text
    assert "Units 1–2 of 4 (2 more)." in text
    assert '<a rel="next" id="more" href="/search?token=+everyone&amp;limit=2&amp;page=2">' in text
    second = page(client, "/search?token=+everyone&limit=2&page=2")
    assert rows(second) == ["hand/2/5", "hand/1/3"]
    assert "Units 3–4 of 4." in second and 'id="more"' not in second
    past = page(client, "/search?token=+everyone&limit=2&page=5")
    assert "No unit on page 5: the search matches 4 units" in past
    page(client, "/search?token=+everyone&page=0", 422)
    page(client, "/search?token=+everyone&page=x", 422)


@pytest.mark.parametrize(
    "query",
    [
        {"token": " everyone"},
        {"context": " except"},
        {"token": " everyone", "context": " except"},
        {"repeated": "true"},
    ],
)
def test_every_search_counts_what_lies_beyond_its_page(client: TestClient, query: dict) -> None:
    everything = client.get("/api/search?" + urlencode(query | {"limit": 500})).json()
    keys = [hit["key"] for hit in everything["hits"]]
    assert everything["total"] == len(keys) >= 2
    pages = [
        client.get("/api/search?" + urlencode(query | {"limit": 1, "skip": skip})).json()
        for skip in range(len(keys) + 1)
    ]
    assert [hit["key"] for body in pages for hit in body["hits"]] == keys  # pages join up
    assert {body["total"] for body in pages} == {len(keys)}


def test_api_search_refuses_a_bad_skip(client: TestClient) -> None:
    assert client.get("/api/search?token=x&skip=-1").status_code == 422
    assert client.get(f"/api/search?token=x&skip={2**31}").status_code == 422
