"""Kept answers live while the store is unchanged and go when it changes: the real app
over the real database, its watch made to look by hand (no waiting on its thread)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from n2g.db.connection import Database
from n2g.db.ingest import ingest_graphs
from n2g.search.circuits import write_ablation
from n2g.search.group_ablation import SetAblation, write_group_ablation
from n2g.serve import create_app
from n2g.serve.cache import ExpiringCache
from n2g.serve.store_watch import StoreWatch, store_stamp
from tests.serve.conftest import LOCAL
from tests.serve.graphs import EVERYONE_KEY, FEEDS_EDGES, feeds_stored, first_group_ablation
from tests.serve.graphs import GRAPHS_BY_KEY as GRAPHS


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_reloaded_graph_is_served_once_the_watch_has_seen_the_store_change(
    serve_db: Database,
) -> None:
    app = create_app(serve_db, cache_ttl_s=3600)  # only the watch makes answers go
    with TestClient(app, base_url=LOCAL) as client:
        watch: StoreWatch = app.state.store_watch
        before = client.get(f"/api/units/{EVERYONE_KEY}").json()
        page_before = client.get(f"/units/{EVERYONE_KEY}").text
        changed = GRAPHS[EVERYONE_KEY].model_copy(update={"a_max": 7.25})
        try:
            ingest_graphs(serve_db, [changed])
            assert client.get(f"/api/units/{EVERYONE_KEY}").json() == before  # kept
            assert watch.check() is True
            after = client.get(f"/api/units/{EVERYONE_KEY}").json()
            assert after["graph"]["a_max"] == 7.25 and before["graph"]["a_max"] != 7.25
            assert client.get(f"/units/{EVERYONE_KEY}").text != page_before
            assert watch.check() is False  # nothing changed since
        finally:
            ingest_graphs(serve_db, [GRAPHS[EVERYONE_KEY]])
        assert watch.check() is True
        assert client.get(f"/api/units/{EVERYONE_KEY}").json() == before


def test_an_unchanged_store_keeps_answers_past_their_time(serve_db: Database) -> None:
    clock = Clock()
    cache: ExpiringCache[str] = ExpiringCache(4, ttl_s=10, clock=clock)
    cleared: list[bool] = []
    watch = StoreWatch(
        serve_db, [cache], every_s=5, clock=clock, on_change=lambda: cleared.append(True)
    )
    cache.get("before", lambda: "from a store never looked at")
    assert watch.check() is True and cleared == [True]  # the first look vouches for nothing
    assert cache.fresh("before") is None
    cache.get("k", lambda: "v")
    clock.now = 8
    assert watch.check() is False and cleared == [True]
    clock.now = 17
    assert cache.fresh("k") == "v"  # 17 s old, 9 s after the store was seen unchanged


def test_the_stamp_changes_with_a_graph_and_only_then(serve_db: Database) -> None:
    first = store_stamp(serve_db)
    assert store_stamp(serve_db) == first
    changed = GRAPHS[EVERYONE_KEY].model_copy(update={"a_max": 3.5})
    try:
        ingest_graphs(serve_db, [changed])
        assert store_stamp(serve_db) != first
    finally:
        ingest_graphs(serve_db, [GRAPHS[EVERYONE_KEY]])
    assert store_stamp(serve_db) == first


def test_a_group_ablation_stored_while_serving_shows_once_the_watch_looks(
    serve_db: Database,
) -> None:
    app = create_app(serve_db, cache_ttl_s=3600)  # only the watch makes answers go
    params = {"model": "hand", "level": 0}
    with TestClient(app, base_url=LOCAL) as client:
        watch: StoreWatch = app.state.store_watch
        before = client.get("/api/groups", params=params).json()["groups"]
        assert before and all(group["ablation"] is None for group in before)
        key, result = first_group_ablation(serve_db)
        write_group_ablation(serve_db, key, result)
        assert client.get("/api/groups", params=params).json()["groups"] == before  # kept
        assert watch.check() is True  # the ablation is part of the stamp
        after = {g["key"]: g for g in client.get("/api/groups", params=params).json()["groups"]}
        assert SetAblation.model_validate(after[key]["ablation"]) == result


@pytest.mark.usefixtures(feeds_stored.__name__)  # FEEDS_EDGES stored
def test_an_edge_ablation_stored_while_serving_shows_once_the_watch_looks(
    serve_db: Database,
) -> None:
    """`n2g feeds --ablate` sets effects on edges already stored (their count unchanged)."""
    edge = FEEDS_EDGES[1]
    measured = {"source": edge["source"], "target": edge["target"], "zero": 0.375, "mean": 0.125}
    app = create_app(serve_db, cache_ttl_s=3600)  # only the watch makes answers go
    with TestClient(app, base_url=LOCAL) as client:
        watch: StoreWatch = app.state.store_watch
        params = {"key": edge["target"]}
        before = client.get("/api/circuit", params=params).json()
        assert [e["ablation_effect"] for e in before["edges"]] == [None, None]
        try:
            assert write_ablation(serve_db, [measured]) == 1
            assert client.get("/api/circuit", params=params).json() == before  # kept
            assert watch.check() is True
            after = client.get("/api/circuit", params=params).json()["edges"]
            effects = {e["source"]: e["ablation_effect"] for e in after}
            assert effects[edge["source"]] == 0.375
        finally:
            write_ablation(serve_db, [{**measured, "zero": None, "mean": None}])
        assert watch.check() is True
        assert client.get("/api/circuit", params=params).json() == before
