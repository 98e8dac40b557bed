"""The relations on the pages: communities by level on the groups page and the unit page,
and the compare page's check against the model (as the main job stores it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from n2g.search import store
from n2g.serve import create_app
from tests.serve.conftest import LOCAL
from tests.serve.test_pages import page

SUMMARY = {
    "thresholds": [0.9, 0.7, 0.5],
    "windows": 32,
    "random_windows": [
        {"category": "similar@0.9", "pairs": 17, "undefined": 0, "median": 0.81, "mean": 0.7},
        {"category": "similar@0.7", "pairs": 48, "undefined": 1, "median": 0.55, "mean": 0.5},
        {"category": "random", "pairs": 256, "undefined": 3, "median": -0.01, "mean": 0.0},
    ],
    "top_windows": [
        {"category": "similar@0.9", "pairs": 17, "undefined": 0, "median": 0.9, "mean": 0.8},
        {"category": "random", "pairs": 256, "undefined": 0, "median": 0.11, "mean": 0.1},
    ],
}


def test_compare_without_a_check_says_nothing_of_it(client) -> None:
    """(Runs before the `fresh` fixture stores a check.)"""
    text = page(client, "/compare?" + urlencode({"a": "hand/1/10", "b": "hand/3/11"}))
    assert 'id="coactivation"' not in text


@pytest.fixture(scope="module")
def fresh(serve_db) -> Iterator[TestClient]:
    """An app of its own (its caches empty) over a store with a measured check."""
    store.write_model_coactivation(serve_db, "hand", json.dumps(SUMMARY))
    try:
        with TestClient(create_app(serve_db), base_url=LOCAL) as client:
            yield client
    finally:
        serve_db.write(
            lambda tx: tx.run("MATCH (m:Model) WHERE m.name = 'hand' REMOVE m.coactivation")
        )


def test_compare_places_a_similar_pair_in_its_measured_category(fresh) -> None:
    text = page(fresh, "/compare?" + urlencode({"a": "hand/1/10", "b": "hand/3/11"}))
    assert 'id="coactivation"' in text
    assert "similar at 0.9 (this pair is one)" in text and "0.810" in text and "0.900" in text
    assert "random pairs of the same layers: median <em>r</em> -0.010" in text


def test_compare_of_unrelated_units_says_so(fresh) -> None:
    text = page(fresh, "/compare?" + urlencode({"a": "hand/1/10", "b": "hand/0/0"}))
    assert "not similar at any threshold the check measured" in text


def test_groups_page_lists_communities_by_level_and_nesting(client) -> None:
    level_one = page(client, "/groups?level=1&model=hand")
    assert "Communities of the similarity graph" in level_one
    assert 'href="/units/hand/1/10"' in level_one and "with its siblings" in level_one
    top = page(client, "/groups?level=3&model=hand")
    assert "finer groups" in top
    parent = top.split('class="key">', 1)[1].split("<", 1)[0]
    inside = page(client, "/groups?" + urlencode({"level": 2, "parent": parent}))
    assert 'id="inside"' in inside
    assert "level must lie in 0..4" in page(client, "/groups?level=9", 422)
    assert "no group" in page(client, "/groups?level=1&parent=hand:c1:none", 404)


def test_unit_page_names_its_groups_at_every_level(client) -> None:
    text = page(client, "/units/hand/1/10")
    assert "Community, level 1" in text and "resolution 0.5" in text
