"""What the service takes from a request before it answers: a Host it serves under, GET or
HEAD, numbers in range. Over real HTTP (uvicorn, `live_server`) where the header or the
method matters, as a browser sends them; through TestClient for the parameters."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from n2g.serve import create_app
from tests.serve.graphs import EVERYONE_KEY

HUGE = "99999999999999999999"  # past Bolt's 64-bit integers
FOREIGN_HOSTS = ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "[::2]:80"]


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    (line,) = response.json().values()
    assert line and "\n" not in line and "Traceback" not in line
    return line


# -- numbers out of range: a one-line 4xx, never a 500 ------------------------------------
@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/api/search", {"token": " everyone", "layer": HUGE}, "layer"),
        ("/api/search", {"repeated": "true", "layer": HUGE}, "layer"),
        ("/api/search", {"token": " everyone", "limit": HUGE}, "limit"),
        ("/api/search", {"token": " everyone", "layer": f"-{HUGE}"}, "layer"),
        ("/api/groups", {"min_size": HUGE}, "min_size"),
        ("/api/groups", {"limit": HUGE}, "limit"),
        ("/api/like", {"key": "hand/1/10", "limit": HUGE}, "limit"),
        ("/api/like", {"key": "hand/1/10", "min_score": "nan"}, "min_score"),
        ("/api/like", {"text": "ab", "model": "hand", "threshold": "nan"}, "threshold"),
    ],
)
def test_api_numbers_out_of_range_are_a_one_line_422(client, path, params, name) -> None:
    assert name in _error(client.get(path, params=params), 422)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        (f"token=x&layer={HUGE}", "layer"),
        (f"repeated=true&layer={HUGE}", "layer"),
        (f"token=x&layer=-{HUGE}", "layer"),
        (f"token=x&limit={HUGE}", "limit"),
        ("like=hand/1/10&min_score=nan", "min"),
        ("text=ab&model=hand&tokenizer=byte&threshold=inf", "threshold"),
    ],
)
def test_page_numbers_out_of_range_are_a_422_page(client, query: str, name: str) -> None:
    response = client.get(f"/search?{query}")
    assert response.status_code == 422, response.text[:300]
    assert name in response.text


@pytest.mark.parametrize("query", [f"min_size={HUGE}", f"limit={HUGE}", "min_size=-1"])
def test_groups_page_numbers_out_of_range_are_a_422_page(client, query: str) -> None:
    response = client.get(f"/groups?{query}")
    assert response.status_code == 422, response.text[:300]
    assert query.split("=")[0] in response.text


@pytest.mark.parametrize(
    "key", [f"hand/{HUGE}/1", f"hand/0/{HUGE}", "hand/\u00b2/1", "hand/0/\u00b9"]
)
def test_unit_keys_with_huge_or_odd_numbers_are_4xx(client, key: str) -> None:
    assert _error(client.get(f"/api/units/{key}"), 404 if HUGE in key else 422)
    assert _error(client.get("/api/like", params={"key": key}), 404 if HUGE in key else 422)
    assert client.get(f"/units/{key}").status_code in (404, 422)


# -- the Host header: loopback names only, unless allowed ---------------------------------
@pytest.mark.parametrize("host", FOREIGN_HOSTS)
@pytest.mark.parametrize("path", ["/api/models", "/", f"/units/{EVERYONE_KEY}", "/static/n2g.js"])
def test_a_foreign_host_is_refused_over_http(live_server: str, host: str, path: str) -> None:
    """DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 would
    read the service from the user's browser; the browser still sends Host: evil.example."""
    response = httpx.get(f"{live_server}{path}", headers={"Host": host}, timeout=10)
    assert response.status_code == 400, response.text[:300]
    assert "hand/0/0" not in response.text and "smollm" not in response.text
    if path.startswith("/api/"):
        assert "host" in _error(response, 400)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST:1234", "[::1]:8000"])
def test_loopback_names_are_served(live_server: str, host: str) -> None:
    response = httpx.get(f"{live_server}/api/models", headers={"Host": host}, timeout=10)
    assert response.status_code == 200, response.text[:300]


def test_a_redirect_never_names_a_foreign_host(live_server: str) -> None:
    for host in ("evil.example", "127.0.0.1:1"):
        response = httpx.get(f"{live_server}/api/models/", headers={"Host": host}, timeout=10)
        assert "evil.example" not in response.headers.get("location", "")
        if response.status_code in (301, 302, 307, 308):
            assert response.headers["location"].startswith("/")
    response = httpx.get(f"{live_server}/api/models/", timeout=10)
    assert response.status_code == 307 and response.headers["location"] == "/api/models"


def test_allowed_hosts_are_configurable(serve_db) -> None:
    app = create_app(serve_db, allowed_hosts=["n2g.lan"])
    with TestClient(app, base_url="http://n2g.lan:8000") as lan:
        assert lan.get("/api/models").status_code == 200
        assert lan.get("/api/models", headers={"Host": "127.0.0.1"}).status_code == 200
        assert "host" in _error(lan.get("/api/models", headers={"Host": "other.lan"}), 400)
    with TestClient(create_app(serve_db, allowed_hosts=["*"])) as anywhere:
        assert anywhere.get("/api/models", headers={"Host": "other.lan"}).status_code == 200


# -- HEAD: every page and API answer, without its body ------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/",
        f"/units/{EVERYONE_KEY}",
        f"/units?key={EVERYONE_KEY}",
        "/search?token=%20everyone",
        "/compare",
        "/groups",
        "/api/models",
        f"/api/units/{EVERYONE_KEY}",
        f"/api/units?key={EVERYONE_KEY}",
        "/api/search?token=%20everyone",
        f"/api/like?key={EVERYONE_KEY}",
        "/api/groups",
        "/openapi.json",
        "/static/n2g.js",
    ],
)
def test_head_answers_like_get_without_a_body(live_server: str, path: str) -> None:
    got = httpx.get(f"{live_server}{path}", timeout=10)
    head = httpx.head(f"{live_server}{path}", timeout=10)
    assert got.status_code == 200 and head.status_code == 200, head.text
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["x-content-type-options"] == "nosniff"


def test_head_of_a_missing_unit_is_a_404_without_a_body(live_server: str) -> None:
    head = httpx.head(f"{live_server}/api/units/hand/9/9", timeout=10)
    assert head.status_code == 404 and head.content == b""
