"""Neurons against latents in the service: /api/splits over real HTTP, the unit page's
section (escaped, shown only where the layer has the other kind of unit), and in a real
browser its links lead to each latent."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.serve.text import unit_url
from n2g.testing.handmade import make_graph
from n2g.testing.splits import ALONE_KEY, MODEL, NEURON_KEY, SAE, TRANSCODER, latent, split_graphs
from tests.serve.graphs import HOSTILE_TOKENS, SCRIPT, serve_graphs
from tests.serve.test_browser import WAIT_S, browser, console_errors, open_page
from tests.serve.test_pages import assert_inert, page

__all__ = ["browser"]  # the fixture, imported for this module's browser test
HOSTILE_NEURON = f"{MODEL}/5/0"
HOSTILE_LATENT = f"{MODEL}/{SAE}/9"
INSIDE = [f"{MODEL}/{SAE}/0", f"{MODEL}/{SAE}/1"]


@pytest.fixture(scope="module")
def serve_db(db_config) -> Iterator[Database]:
    """The serve graphs, the layer with known splits, and a hostile neuron and latent."""
    hostile = [(token, [SCRIPT], 0.9) for token in HOSTILE_TOKENS]
    graphs = [
        *serve_graphs(),
        *split_graphs(),
        make_graph(MODEL, 5, 0, hostile),
        latent(MODEL, 5, SAE, 9, hostile[:2]),
    ]
    database = Database.connect(db_config)
    try:
        clear_database(database)
        ingest_graphs(database, graphs)
        yield database
    finally:
        database.close()


def _api(live_server: str, status: int, **params: str | float) -> dict:
    response = httpx.get(f"{live_server}/api/splits", params=params, timeout=30)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_api_answers_over_http(live_server) -> None:
    answer = _api(live_server, 200, key=NEURON_KEY)
    assert answer["against"] == [SAE, TRANSCODER] and answer["unit_set"] is None
    assert [hit["key"] for hit in answer["hits"] if hit["inside"]] == INSIDE
    answer = _api(live_server, 200, key=INSIDE[1], min_inside=1.0, limit=1)
    assert [(hit["key"], hit["inside"]) for hit in answer["hits"]] == [(f"{MODEL}/1/1", True)]


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"key": f"{MODEL}/1/999"}, 404, "no unit 'split/1/999' in the database"),
        ({"key": ALONE_KEY}, 404, "no graphs of SAE or transcoder latents in layer 2"),
        ({"key": NEURON_KEY, "unit_set": "tc:nope"}, 404, "no graphs of tc:nope in layer 1"),
        ({"key": NEURON_KEY, "unit_set": "nope"}, 422, "is not sae:NAME or tc:NAME"),
        ({"key": NEURON_KEY, "min_inside": 2}, 422, "min_inside"),
        ({"key": "split/1"}, 422, "is not MODEL/LAYER/INDEX"),
        ({}, 422, "key"),
    ],
)
def test_api_refusals_are_one_line(live_server, params, status, words) -> None:
    answer = _api(live_server, status, **params)
    assert list(answer) == ["error"] and words in answer["error"]
    assert "\n" not in answer["error"]


def test_unit_page_section(client: TestClient) -> None:
    text = page(client, unit_url(NEURON_KEY))
    assert 'id="splits"' in text and "Latents it splits into" in text
    assert "splits into 2 of these latents" in text
    for key in INSIDE:
        assert f'href="{unit_url(key)}"' in text
    text = page(client, unit_url(INSIDE[0]))
    assert "Neurons it lies inside" in text and f'href="{unit_url(NEURON_KEY)}"' in text


def test_section_only_where_the_layer_has_the_other_kind(client: TestClient) -> None:
    assert 'id="splits-heading"' not in page(client, unit_url(ALONE_KEY))
    assert 'id="splits-heading"' not in page(client, "/units/hand/0/0")  # no latents in 0
    # the layer has latents, none sharing a token: the section says so
    assert "No unit there shares an activating token" in page(client, "/units/hand/1/3")


def test_hostile_tokens_are_escaped(client: TestClient) -> None:
    for key in (HOSTILE_NEURON, HOSTILE_LATENT):
        text = page(client, unit_url(key))
        assert 'id="splits"' in text
        assert_inert(text)


def test_a_latent_link_leads_to_its_page(browser: WebDriver, live_server: str) -> None:
    open_page(browser, f"{live_server}{unit_url(NEURON_KEY)}")
    links = browser.find_elements(By.CSS_SELECTOR, "#splits a.unit")
    assert [link.text for link in links][:2] == INSIDE
    links[0].click()
    WebDriverWait(browser, WAIT_S).until(expected_conditions.url_contains(f"/{SAE}/0"))
    assert browser.find_element(By.ID, "unit-key").text == INSIDE[0]
    assert browser.find_element(By.ID, "splits-heading").text == "Neurons it lies inside"
    assert console_errors(browser) == []
