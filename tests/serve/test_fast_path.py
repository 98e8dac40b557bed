"""A kept answer goes out before any route runs (n2g.serve.fast_path) exactly as its route
sent it the first time: body, type, encoding, length, security headers, HEAD."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from n2g.db.connection import Database
from n2g.serve import create_app
from n2g.serve.responses import HTML_TYPE, Decompressed, pack
from tests.serve.conftest import LOCAL
from tests.serve.graphs import EVERYONE_KEY, SAE_KEY

SAME = ("content-type", "content-length", "content-encoding", "vary", "content-security-policy")


@pytest.mark.parametrize(
    "path", [f"/api/units/{EVERYONE_KEY}", f"/units/{SAE_KEY}", "/api/models", "/search?token=x"]
)
@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_kept_answer_is_sent_as_its_route_sent_it(
    serve_db: Database, path: str, encoding: str
) -> None:
    headers = {"Accept-Encoding": encoding}
    with TestClient(create_app(serve_db), base_url=LOCAL) as client:
        first = client.get(path, headers=headers)  # built by its route
        again = client.get(path, headers=headers)  # kept now: the fast path answers
        head = client.head(path, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    for name in SAME:
        assert again.headers.get(name) == first.headers.get(name), name
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == again.headers["content-length"]


def test_a_client_without_gzip_gets_the_kept_body_decompressed(serve_db: Database) -> None:
    path = f"/units/{EVERYONE_KEY}"
    with TestClient(create_app(serve_db), base_url=LOCAL) as client:
        compressed = client.get(path, headers={"Accept-Encoding": "gzip"})
        plain = client.get(path, headers={"Accept-Encoding": "identity"})  # kept, compressed
    assert compressed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) == len(plain.content)
    assert plain.content == compressed.content  # httpx decoded the gzip one: the same page


def test_the_most_asked_plain_bodies_are_kept_and_a_new_body_is_never_answered_old() -> None:
    page = ("<p>unit</p>" * 400).encode()
    kept = Decompressed(max_bytes=2 * len(page))
    old = pack(page, HTML_TYPE)
    new = pack(page.replace(b"unit", b"UNIT"), HTML_TYPE)
    third = pack(page.replace(b"unit", b"xxxx"), HTML_TYPE)
    assert old.compressed
    first = kept(old)
    assert first == page and kept(old) is first  # kept: not decompressed again
    assert kept(new) == page.replace(b"unit", b"UNIT")  # built anew: its own bytes
    kept(third)  # a third page passes the bound: the least recently asked (old) goes
    again = kept(old)
    assert again == page and again is not first
