"""A unit's output tokens in the service: on its page and in its JSON, and "units that
promote (suppress) TOKEN" at /api/output, over real HTTP against a real database."""

from __future__ import annotations

from html import escape

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.serve.graphs import (
    EVERYONE_KEY,
    HOSTILE_KEY,
    HOSTILE_TOKENS,
    SAE_KEY,
    SCRIPT,
    TRANSCODER_KEY,
)
from tests.serve.test_pages import assert_inert, page


def _get(live_server: str, path: str, **params: str) -> httpx.Response:
    return httpx.get(f"{live_server}{path}", params=params, timeout=10)


def test_units_that_promote_a_token(live_server: str) -> None:
    response = _get(live_server, "/api/output", token=" import")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token"] == " import" and body["suppressed"] is False
    assert [(h["key"], h["rank"], h["logit"]) for h in body["hits"]] == [
        ("hand/1/3", 1, 3.5),
        (EVERYONE_KEY, 0, 3.0),
        (SAE_KEY, 1, 2.5),  # SAE latents alike
    ]
    layer = _get(live_server, "/api/output", token=" import", layer="0").json()
    assert [h["key"] for h in layer["hits"]] == [EVERYONE_KEY]


def test_units_that_suppress_a_token(live_server: str) -> None:
    body = _get(live_server, "/api/output", token=" import", suppressed="true").json()
    assert [(h["key"], h["logit"]) for h in body["hits"]] == [
        ("hand/0/7", -3.0),
        (TRANSCODER_KEY, -3.0),  # the same logit: by key
    ]


def test_a_hostile_output_token_is_found_exactly(live_server: str) -> None:
    body = _get(live_server, "/api/output", token=SCRIPT).json()
    assert [h["key"] for h in body["hits"]] == [HOSTILE_KEY]


@pytest.mark.parametrize(
    ("params", "status", "word"),
    [
        ({"token": ""}, 422, "empty"),
        ({}, 422, "token"),
        ({"token": " a", "layer": "-1"}, 422, "layer"),
        ({"token": " a", "limit": "0"}, 422, "limit"),
        ({"token": " a", "suppressed": "maybe"}, 422, "suppressed"),
        ({"token": " a", "model": "no-such-model"}, 404, "no-such-model"),
        ({"token": " a", "layer": "9"}, 422, "out of range"),
    ],
)
def test_bad_input_is_a_one_line_4xx(live_server: str, params, status: int, word: str) -> None:
    response = _get(live_server, "/api/output", **params)
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and "\n" not in body["error"] and word in body["error"]


def test_the_units_json_carries_its_output_tokens(live_server: str) -> None:
    graph = _get(live_server, f"/api/units/{EVERYONE_KEY}").json()["graph"]
    assert graph["output_tokens"]["promoted"]["tokens"] == [" import", " from"]
    assert graph["output_tokens"]["suppressed"]["logits"] == [-3.0, -2.5]


def test_the_unit_page_shows_its_output_tokens(client: TestClient) -> None:
    text = page(client, f"/units/{EVERYONE_KEY}")
    assert 'id="output-tokens"' in text and "+3.000" in text and "-2.500" in text
    assert "\u2423import" in text  # the token's space made visible
    assert 'href="/api/output?token=+import&amp;model=hand"' in text
    assert 'href="/api/output?token=+the&amp;model=hand&amp;suppressed=true"' in text
    for key in (SAE_KEY, TRANSCODER_KEY):
        assert 'id="output-tokens"' in page(client, f"/units/{key}")


def test_a_unit_without_output_tokens_says_so(client: TestClient) -> None:
    text = page(client, "/units/hand/1/4")
    assert 'id="no-output-tokens"' in text and 'id="output-tokens"' not in text


def test_hostile_output_tokens_stay_text(client: TestClient) -> None:
    text = page(client, f"/units/{HOSTILE_KEY}")
    table = text[text.index('id="output-tokens"') : text.index("Top examples")]
    assert escape(SCRIPT) in table and len(HOSTILE_TOKENS) == 5
    assert_inert(text)
