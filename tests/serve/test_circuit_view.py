"""The path view /circuit/KEY through TestClient against the real database holding the
serve graphs and hand-written FEEDS edges: what it draws, its links, bad parameters."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from n2g.search.circuits import write_feeds
from n2g.serve import create_app
from tests.serve.conftest import LOCAL
from tests.serve.graphs import EVERYONE_KEY, HOSTILE_KEY, NO_EVIDENCE_KEY, feeds_stored
from tests.serve.test_pages import assert_inert, page

pytestmark = pytest.mark.usefixtures(feeds_stored.__name__)  # FEEDS_EDGES stored


def _svg(html: str) -> str:
    return html[html.index("<svg") : html.index("</svg>")]


def test_two_steps_up_draws_every_unit_and_weighted_edge(client) -> None:
    html = page(client, f"/circuit/{HOSTILE_KEY}?depth=2")
    svg = _svg(html)
    keys = re.findall(r'data-key="([^"]+)"', svg)
    assert sorted(keys) == sorted([EVERYONE_KEY, NO_EVIDENCE_KEY, HOSTILE_KEY])
    assert svg.count('class="feeds"') == 3
    assert "+0.500" in svg and "-0.800" in svg and "+0.250" in svg
    assert 'stroke="#1f5fbf"' in svg  # the negative edge in blue
    widths = [float(w) for w in re.findall(r'stroke-width="([\d.]+)" fill="none"', svg)]
    assert max(widths) > min(widths)  # |0.8| drawn wider than |0.25|
    assert "layer 0" in svg and "layer 2" in svg
    # layers left to right: the earliest unit's box sits left of the unit asked about
    xs = {
        k: float(x)
        for k, x in re.findall(
            r'data-key="([^"]+)">\s*<title>[^<]*</title>\s*<rect x="([\d.]+)"', svg
        )
    }
    assert xs[EVERYONE_KEY] < xs[NO_EVIDENCE_KEY] < xs[HOSTILE_KEY]
    assert 'id="circuit-edges"' in html and "/api/circuit" in html
    assert_inert(html)


def test_one_step_down_and_the_unit_alone(client) -> None:
    down = _svg(page(client, f"/circuit/{EVERYONE_KEY}?direction=down"))
    assert down.count('class="feeds"') == 2
    alone = page(client, f"/circuit/{HOSTILE_KEY}?direction=down")
    assert "No stored edge out of this unit" in alone and _svg(alone).count("data-key=") == 1


def test_the_unit_page_links_to_it(client) -> None:
    html = page(client, f"/units/{HOSTILE_KEY}")
    assert f'id="circuit-view" href="/circuit/{HOSTILE_KEY}"' in html
    assert f'href="/circuit/{EVERYONE_KEY}?direction=down"' in page(
        client, f"/units/{EVERYONE_KEY}"
    )


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("depth=5", 422, "depth must be 1 to 4"),
        ("depth=0", 422, "depth must be 1 to 4"),
        ("depth=two", 422, "whole number"),
        ("direction=sideways", 422, "up or down"),
    ],
)
def test_bad_parameters_are_one_line_pages(client, query, status, words) -> None:
    assert words in page(client, f"/circuit/{HOSTILE_KEY}?{query}", status)


def test_unknown_units_and_layer_zero_upstream(client) -> None:
    assert "no unit" in page(client, "/circuit/hand/1/404", 404)
    assert "layer 0" in page(client, f"/circuit/{EVERYONE_KEY}", 422)
    assert "MODEL/LAYER/INDEX" in page(client, "/circuit/nokey", 422)


def test_data_edges_without_a_virtual_weight_are_drawn_by_their_own_weight(serve_db) -> None:
    """'data' edges (activation x gradient, what `n2g feeds --records` writes) hold no
    virtual weight: the path view and the unit page show their own signed weight."""
    data = [{"source": EVERYONE_KEY, "target": HOSTILE_KEY, "weight": -0.375, "rank": 0}]
    assert write_feeds(serve_db, "hand", data, source="data") == 1
    # a service of its own: the module's keeps answers until its next look at the store
    try:
        with TestClient(create_app(serve_db), base_url=LOCAL) as client:
            html = page(client, f"/circuit/{HOSTILE_KEY}")
            assert re.search(r"<td>data</td><td class=\"num\">-0\.3750</td>", html)
            unit = page(client, f"/units/{HOSTILE_KEY}")
            assert re.search(r"<td>data</td><td class=\"num\">-0\.3750</td>", unit)
            assert re.search(r"<td>weights</td><td class=\"num\">\+0\.5000</td>", unit)
    finally:
        write_feeds(serve_db, "hand", [], source="data")
