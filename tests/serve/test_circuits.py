"""FEEDS edges in the service: /api/circuit over real HTTP and the unit page's section,
against a real database holding the serve graphs and hand-written edges."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.serve.graphs import EVERYONE_KEY, HOSTILE_KEY, NO_EVIDENCE_KEY, feeds_stored
from tests.serve.test_pages import assert_inert, page

pytestmark = pytest.mark.usefixtures(feeds_stored.__name__)  # FEEDS_EDGES stored


def _get(live_server: str, **params: str) -> httpx.Response:
    return httpx.get(f"{live_server}/api/circuit", params=params, timeout=10)


def test_upstream_two_steps(live_server: str) -> None:
    body = _get(live_server, key=HOSTILE_KEY, depth="2").json()
    assert [(e["source"], e["target"], e["hop"]) for e in body["edges"]] == [
        (NO_EVIDENCE_KEY, HOSTILE_KEY, 1),
        (EVERYONE_KEY, HOSTILE_KEY, 1),
        (EVERYONE_KEY, NO_EVIDENCE_KEY, 2),
    ]
    assert body["edges"][0]["virtual_weight"] == 0.5 and body["edges"][0]["kind"] == "weights"
    one = _get(live_server, key=HOSTILE_KEY).json()
    assert len(one["edges"]) == 2


def test_downstream_and_paths(live_server: str) -> None:
    body = _get(live_server, key=EVERYONE_KEY, direction="down").json()
    assert [e["target"] for e in body["edges"]] == [NO_EVIDENCE_KEY, HOSTILE_KEY]
    paths = _get(live_server, key=EVERYONE_KEY, to=HOSTILE_KEY, depth="2").json()["paths"]
    assert [p["units"] for p in paths] == [
        [EVERYONE_KEY, NO_EVIDENCE_KEY, HOSTILE_KEY],  # 0.8 x 0.5 = 0.4
        [EVERYONE_KEY, HOSTILE_KEY],  # 0.25
    ]
    assert paths[0]["strength"] == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("params", "status", "word"),
    [
        ({"key": "hand/1/404"}, 404, "no unit"),
        ({"key": "nokey"}, 422, "MODEL/LAYER/INDEX"),
        ({"key": EVERYONE_KEY}, 422, "layer 0"),
        ({"key": HOSTILE_KEY, "depth": "5"}, 422, "depth"),
        ({"key": HOSTILE_KEY, "depth": "0"}, 422, "depth"),
        ({"key": HOSTILE_KEY, "direction": "sideways"}, 422, "direction"),
        ({"key": HOSTILE_KEY, "source": "data"}, 404, "n2g feeds"),
        ({}, 422, "key"),
    ],
)
def test_bad_input_is_a_one_line_4xx(live_server: str, params, status: int, word: str) -> None:
    response = _get(live_server, **params)
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and "\n" not in body["error"] and word in body["error"]


def test_the_unit_page_shows_feeders_and_fed_units(client: TestClient) -> None:
    text = page(client, f"/units/{NO_EVIDENCE_KEY}")
    assert 'id="circuit-heading"' in text and 'id="feeders"' in text and 'id="fed"' in text
    feeders = text.split('id="feeders"')[1].split("</table>")[0]
    assert f'href="/units/{EVERYONE_KEY}"' in feeders and "-0.8000" in feeders
    fed = text.split('id="fed"')[1].split("</table>")[0]
    assert f'href="/units/{HOSTILE_KEY}"' in fed and "+0.5000" in fed
    assert_inert(text)


def test_a_hostile_label_on_the_circuit_is_inert(client: TestClient) -> None:
    text = page(client, f"/units/{NO_EVIDENCE_KEY}")  # the hostile unit is fed by it
    assert_inert(text)
    text = page(client, f"/units/{HOSTILE_KEY}")
    assert 'id="feeders"' in text
    assert_inert(text)


def test_a_model_without_edges_says_how_to_compute_them(client: TestClient) -> None:
    text = page(client, "/units/org/tiny/0/1")
    assert 'id="circuit-note"' in text and "n2g feeds -m org/tiny" in text
