"""`warm`: every unit's API answer and page kept before anyone asks, so that a first visit
needs no database (the real app over the real database, closed once warming is done)."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from n2g.db.connection import Database
from n2g.search import NeuronSearch
from n2g.serve import create_app
from n2g.serve.warm import Warmed
from n2g.serve.warm_searches import WARM_SEARCHES, frequent_tokens
from tests.serve.conftest import LOCAL
from tests.serve.graphs import GRAPHS_BY_KEY as GRAPHS


def test_warm_keeps_every_units_answers_before_any_visit(db_config, serve_db) -> None:
    db = Database.connect(db_config)
    warmed: list[int] = []
    searches: list[int] = []
    kept: list[bool] = []
    done = threading.Event()

    def on_warm(report: Warmed) -> None:
        warmed.append(report.units)
        searches.append(report.searches)
        kept.append(report.all_kept and report.kept_mb > 0)
        done.set()

    models = sorted({graph.model for graph in GRAPHS.values()})
    tokens = frequent_tokens(NeuronSearch(serve_db), models, WARM_SEARCHES)
    with TestClient(create_app(serve_db), base_url=LOCAL) as fresh:  # a request's answers
        expected = {token: fresh.get("/api/search", params={"token": token}) for token in tokens}
    assert tokens and all(answer.status_code == 200 for answer in expected.values())
    app = create_app(db, warm=True, on_warm=on_warm)
    try:
        with TestClient(app, base_url=LOCAL) as client:
            assert done.wait(300), "warming did not finish"
            db.close()  # from now on every query fails: what answers was kept
            for key in GRAPHS:
                if ".." in key:  # asked for as /units?key=..., not kept by its path
                    continue
                answer = client.get(f"/api/units/{key}")
                assert answer.status_code == 200 and answer.json()["key"] == key
                page = client.get(f"/units/{key}")
                assert page.status_code == 200 and "text/html" in page.headers["content-type"]
            for token, answer in expected.items():  # every stored token's search was kept
                assert client.get("/api/search", params={"token": token}).json() == answer.json()
            assert client.get("/api/units/hand/1/99").status_code == 503  # never stored
            assert client.get("/api/search", params={"token": "never"}).status_code == 503
    finally:
        db.close()
    assert warmed == [len(GRAPHS)] and kept == [True] and searches == [len(tokens)]


def test_frequent_tokens_come_most_units_first(serve_db) -> None:
    search = NeuronSearch(serve_db)
    sets = search.token_sets(["hand"])
    counts = {t: sum(t in s.activating for s in sets) for s in sets for t in s.activating}
    tokens = frequent_tokens(search, ["hand"], 3)
    assert len(tokens) == 3
    assert [counts[t] for t in tokens] == sorted(counts.values(), reverse=True)[:3]
