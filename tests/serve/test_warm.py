"""`warm`: every unit's API answer and page kept before anyone asks, so that a first visit
needs no database (the real app over the real database, closed once warming is done)."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from n2g.db.connection import Database
from n2g.serve import create_app
from n2g.serve.warm import Warmed
from tests.serve.conftest import LOCAL
from tests.serve.graphs import GRAPHS_BY_KEY as GRAPHS


def test_warm_keeps_every_units_answers_before_any_visit(db_config, serve_db) -> None:
    db = Database.connect(db_config)
    warmed: list[int] = []
    kept: list[bool] = []
    done = threading.Event()

    def on_warm(report: Warmed) -> None:
        warmed.append(report.units)
        kept.append(report.all_kept and report.kept_mb > 0)
        done.set()

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
            assert client.get("/api/units/hand/1/99").status_code == 503  # never stored
    finally:
        db.close()
    assert warmed == [len(GRAPHS)] and kept == [True]
