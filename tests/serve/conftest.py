"""A real database loaded once per module for the service tests, and the app over it.

The graphs (tests/serve/graphs.py) go in through n2g-ingest's own code, similarity and
groups are computed by NeuronSearch, and the app is the one `n2g serve` runs; requests go
through FastAPI's TestClient, or over real HTTP to uvicorn (`live_server`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from n2g.db import server
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.search import NeuronSearch
from n2g.serve import create_app
from tests.serve.graphs import serve_graphs

# The service answers requests naming it by a loopback name (n2g.serve.hosts); TestClient
# would send Host: testserver.
LOCAL = "http://127.0.0.1"


@pytest.fixture(scope="module")
def serve_db(db_config) -> Iterator[Database]:
    """The database holding exactly the serve graphs, with similarity and groups."""
    database = Database.connect(db_config)
    try:
        clear_database(database)
        ingest_graphs(database, serve_graphs())
        NeuronSearch(database).compute_similarity(["hand"])
        yield database
    finally:
        database.close()


@pytest.fixture(scope="module")
def app(serve_db) -> FastAPI:
    return create_app(serve_db)


@pytest.fixture(scope="module")
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url=LOCAL) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def live_server(app) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port (a background thread); its URL."""
    port = server.free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
