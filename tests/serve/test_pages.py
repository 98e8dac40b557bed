"""The HTML pages against a real database: what they show, and that data stays text."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from n2g.serve.text import visible
from tests.serve.graphs import (
    DOTTED_KEY,
    EVERYONE_KEY,
    GROUP_MEMBERS,
    HOSTILE_KEY,
    HOSTILE_TOKENS,
    IMG,
    NO_EVIDENCE_KEY,
    NUL,
    RLO,
    SAE_KEY,
    SCRIPT,
    SLASHED_KEY,
    TRANSCODER_KEY,
)

ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def page(client: TestClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def assert_inert(text: str) -> None:
    """No data became markup: the only script is ours and no hostile character is raw."""
    assert SCRIPT not in text
    assert "<img" not in text
    assert re.findall(r"<script[^>]*>", text) in ([], ['<script src="/static/n2g.js" defer>'])
    assert NUL not in text and RLO not in text
    assert " style=" not in text  # the CSP forbids inline styles: none are written


def hostile_pages() -> list[str]:
    urls = [
        f"/units/{HOSTILE_KEY}",
        f"/compare?{urlencode({'a': HOSTILE_KEY, 'b': EVERYONE_KEY})}",
        "/search?repeated=true",
        f"/search?{urlencode({'like': HOSTILE_KEY, 'min_score': 0})}",
        f"/units/{SCRIPT}/1/2",  # an error page quoting the key
        f"/search?{urlencode({'token': SCRIPT, 'layer': 'x' + SCRIPT})}",  # a 422 page
    ]
    urls += [f"/search?{urlencode({'token': token})}" for token in HOSTILE_TOKENS]
    urls += [f"/search?{urlencode({'context': token})}" for token in HOSTILE_TOKENS]
    return urls


def test_home_shows_models_quality_and_plots(client: TestClient) -> None:
    text = page(client, "/")
    assert '<table id="models">' in text
    for model in ("hand", "other", "org/tiny", "../up"):
        assert f">{escape(model)}</a>" in text
    assert "0.800" in text and "0.0100" in text  # hand layer 0: mean F1 and OOD rate
    assert text.count("<svg") >= 4 and "mean F1 per layer" in text
    assert 'action="/search"' in text


def test_unit_page_shows_graph_examples_scores_and_links(client: TestClient) -> None:
    text = page(client, f"/units/{EVERYONE_KEY}")
    assert '<h1 class="key" id="unit-key">hand/0/0</h1>' in text
    svg = text[text.index('<div class="graph"') : text.index("</svg>")]
    assert 'href="/search?token=+everyone"' in svg  # activating node -> its search
    assert 'href="/search?context=+except"' in svg
    assert f">{visible(' everyone')}</text>" in svg
    assert 'stroke-width="3"' in svg  # a path ends at " except": bold outline
    assert text.count('class="example"') == 2
    assert '<span class="split train">train</span>' in text
    assert '<span class="split test">test</span>' in text
    assert "true 0.750 · predicted 0.900" in text  # a token's tooltip
    assert 'data-true="8" data-predicted="9"' in text
    assert "0.800" in text and "out-of-distribution false-positive rate" in text
    assert f'href="/compare?a={EVERYONE_KEY.replace("/", "%2F")}"' not in text  # a form
    assert 'name="a" value="hand/0/0"' in text
    assert 'href="/api/units/hand/0/0"' in text
    assert_inert(text)


def test_unit_page_without_evidence_says_so(client: TestClient) -> None:
    text = page(client, f"/units/{NO_EVIDENCE_KEY}")
    assert "no evidence stored for this unit (built before evidence was kept)" in text
    assert "No scores stored for this unit" in text


def test_unit_page_links_similar_units_and_group(client: TestClient) -> None:
    text = page(client, "/units/hand/1/10")
    for key in ["hand/3/11", "hand/2/12", "hand/0/13", *GROUP_MEMBERS]:
        assert f'href="/units/{key}"' in text
    assert 'href="/compare?a=hand%2F1%2F10&amp;b=hand%2F3%2F11"' in text
    assert "similar to" in text and "it lies inside this" in text


@pytest.mark.parametrize("key", [SAE_KEY, TRANSCODER_KEY, SLASHED_KEY])
def test_unit_pages_of_unusual_keys(client: TestClient, key: str) -> None:
    text = page(client, f"/units/{key}")
    assert f'id="unit-key">{key}</h1>' in text
    if key == TRANSCODER_KEY:
        assert "transcoder latent 7 of" in text and "blocks.1.ln2.hook_normalized" in text


def test_a_key_with_a_dot_segment_is_linked_by_query(client: TestClient) -> None:
    link = "/units?" + urlencode({"key": DOTTED_KEY})
    assert f'href="{link}"' in page(client, "/search?token=+dots")
    assert f'id="unit-key">{DOTTED_KEY}</h1>' in page(client, link)


def test_hostile_unit_page_shows_every_token_as_text(client: TestClient) -> None:
    text = page(client, f"/units/{HOSTILE_KEY}")
    assert ESCAPED_SCRIPT in text
    assert escape(IMG) in text
    assert "[/]" in text and "\\u202e" in text and "\u2400" in text  # RLO, NUL made visible
    # links carry the token as a quoted query value, whatever it holds
    assert 'href="/search?token=%22%3E%3Cimg+src%3Dx+onerror%3Dalert%281%29%3E"' in text
    assert 'href="/search?context=%00"' in text
    assert_inert(text)


@pytest.mark.parametrize("url", hostile_pages())
def test_no_page_lets_data_become_markup(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (200, 404, 422)
    assert_inert(response.text)


def test_search_page_lists_units_and_tokens(client: TestClient) -> None:
    text = page(client, "/search?" + urlencode({"token": " everyone"}))
    for key in ("hand/0/0", "hand/1/3", "hand/2/5", "other/0/0"):
        assert f'<a class="unit" href="/units/{key}">{key}</a>' in text
    text = page(client, "/search?repeated=true&model=hand")
    assert '<a href="/search?token=b">b</a>' in text  # each token searchable
    assert ESCAPED_SCRIPT in page(client, "/search?" + urlencode({"token": SCRIPT}))


def test_empty_search_shows_the_form_only(client: TestClient) -> None:
    text = page(client, "/search")
    assert 'name="token"' in text and 'id="results"' not in text and "No unit" not in text
    assert page(client, "/search?token=&context=&layer=&limit=") == text


def test_like_and_text_searches_on_the_search_page(client: TestClient) -> None:
    text = page(client, "/search?like=hand/1/10&min_score=0.9")
    assert 'href="/units/hand/3/11"' in text and 'href="/units/hand/2/12"' in text
    text = page(
        client, "/search?" + urlencode({"text": "bxab", "model": "hand", "tokenizer": "byte"})
    )
    assert 'href="/units/hand/1/4"' in text


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("layer=abc&token=x", 422, "layer must be a whole number"),
        ("limit=0&token=x", 422, "limit must be between 1 and 500"),
        ("token=x&model=nosuch", 404, "nosuch"),
        ("like=nosuch/0/0", 404, "nosuch/0/0"),
        ("text=hi", 422, "choose the model"),
    ],
)
def test_bad_search_is_an_error_page(client: TestClient, query: str, status: int, words: str):
    text = page(client, f"/search?{query}", status)
    assert 'id="error-message"' in text and escape(words) in text


def test_compare_highlights_shared_tokens(client: TestClient) -> None:
    text = page(client, "/compare?" + urlencode({"a": "hand/1/10", "b": "hand/2/12"}))
    assert text.count('class="node activating shared"') == 18  # w0..w8 in both graphs
    assert text.count('class="node context shared"') == 2  # " ctx"
    assert 'class="node activating"' in text  # hand/1/10's " w9" is not shared
    assert "activating overlap 0.900" in text
    form = page(client, "/compare?a=hand/1/10")
    assert 'name="b"' in form
    page(client, "/compare?a=hand/1/10&b=hand/9/9", 404)


def test_groups_page(client: TestClient) -> None:
    text = page(client, "/groups")
    for key in GROUP_MEMBERS:
        assert f'href="/units/{key}"' in text
    assert f">{visible(' ctx')}</a>" in text
    assert "No groups" in page(client, "/groups?model=other")


def test_unknown_pages_and_units_are_404_pages(client: TestClient) -> None:
    assert "no unit" in page(client, "/units/hand/9/9", 404)
    assert "no such page" in page(client, "/nothing/here", 404)
    assert "not MODEL/LAYER/INDEX" in page(client, "/units/garbage", 422)


def test_no_answer_holds_the_database_password(client: TestClient, db_config) -> None:
    if not db_config.password:
        pytest.skip("the test database has no password")
    urls = [
        "/",
        "/search",
        f"/units/{EVERYONE_KEY}",
        f"/units/{HOSTILE_KEY}",
        "/groups",
        "/api/models",
        f"/api/units/{EVERYONE_KEY}",
        "/openapi.json",
        "/units/x/1/1",
        "/api/units/x/1/1",
        "/compare?a=hand/1/10&b=hand/3/11",
        "/static/n2g.js",
    ]
    for url in urls:
        response = client.get(url)
        assert db_config.password not in response.text, url
        assert db_config.password not in str(response.headers), url


def test_the_unit_page_shows_its_label_as_text(client: TestClient) -> None:
    from n2g.graph.label import unit_label
    from tests.serve.graphs import serve_graphs

    graph = next(g for g in serve_graphs() if g.key == HOSTILE_KEY)
    text = page(client, f"/units/{HOSTILE_KEY}")
    assert f'<p class="unit-label" id="unit-label">{escape(unit_label(graph))}</p>' in text
    assert_inert(text)
