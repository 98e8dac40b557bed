"""The fuzz corpus through the service: every one of its 112 hostile tokens comes back
exactly from the JSON API and shows as inert text on the pages.

The same graphs as tests/cli/test_fuzz_tokens.py (Cypher and injection fragments, arrows
and comments, quotes, backslashes, NUL, newlines, ANSI and OSC escapes, RTL and zero-width
marks, emoji, rich markup, HTML, 5,000-character tokens), loaded by `n2g-ingest` into the
real test server, read by the app `n2g serve` runs (FastAPI's TestClient).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient

from n2g.graph.levels import FIRING_LEVEL
from n2g.serve import create_app
from tests.cli.test_fuzz_tokens import GRAPHS, IDS, TEXTS, _activating_rows, loaded

__all__ = ["loaded"]  # the module-scoped fixture that loads the fuzz graphs

LOCAL = "http://127.0.0.1"  # a Host the service answers to (n2g.serve.hosts)

# Characters that must never reach a page raw: C0 controls but tab and newline, DEL, C1
# controls, bidirectional overrides and isolates.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def client(loaded) -> Iterator[TestClient]:
    with TestClient(create_app(loaded.db), base_url=LOCAL) as test_client:
        yield test_client


def _inert(page: str) -> None:
    assert RAW.search(page) is None
    assert re.findall(r"<script[^>]*>", page) in ([], ['<script src="/static/n2g.js" defer>'])
    assert "<b>" not in page and "alert(1)</script>" not in page


@pytest.mark.parametrize("index", range(len(GRAPHS)), ids=[g.key for g in GRAPHS])
def test_a_unit_comes_back_exactly_and_its_page_is_inert(client, index) -> None:
    graph = GRAPHS[index]
    response = client.get(f"/api/units/{quote(graph.key)}")
    assert response.status_code == 200, response.text[:300]
    nodes = response.json()["graph"]["nodes"]
    stored = sorted((n["kind"], n.get("token") or "", n["depth"]) for n in nodes)
    assert stored == sorted((n.kind.value, n.token or "", n.depth) for n in graph.nodes)
    page = client.get(f"/units/{quote(graph.key)}")
    assert page.status_code == 200
    _inert(page.text)


@pytest.mark.parametrize("token", TEXTS, ids=IDS)
def test_searching_each_token_finds_exactly_its_units(client, token) -> None:
    response = client.get("/api/search", params={"token": token, "limit": 500})
    # the service searches at the firing level (n2g.graph.levels)
    expected = [key for key, level in _activating_rows(token) if level >= FIRING_LEVEL]
    assert response.status_code == 200, response.text[:300]
    assert sorted(hit["key"] for hit in response.json()["hits"]) == sorted(expected)
    page = client.get(f"/search?{urlencode({'token': token})}")
    assert page.status_code == 200
    _inert(page.text)
