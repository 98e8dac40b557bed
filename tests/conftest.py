"""Database fixtures shared by the whole suite: a real ArcadeDB server over Bolt.

`db_config` (session) starts a local ArcadeDB server on free ports in a temporary folder
and stops it by pid at the end. Set N2G_TEST_URI (and N2G_TEST_USER, N2G_TEST_PASSWORD,
N2G_TEST_DATABASE) to run the suite against another server instead, e.g. a real Neo4j.
`db` (function) yields a connected Database holding the schema and no data.
Only database fixtures live here; subfolders keep their own conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from n2g.db import server
from n2g.db.connection import Database, DatabaseConfig
from n2g.db.ingest import clear_database
from n2g.db.schema import apply_schema


def _configured_test_server() -> DatabaseConfig | None:
    return DatabaseConfig.from_env(prefix="N2G_TEST_")


@pytest.fixture(scope="session")
def local_server_settings(tmp_path_factory) -> Iterator[server.LocalServerSettings | None]:
    """Settings of the session's ArcadeDB server (None when N2G_TEST_URI names another)."""
    if _configured_test_server() is not None:
        yield None
        return
    settings = server.LocalServerSettings(
        home=tmp_path_factory.mktemp("arcadedb") / "server",
        bolt_port=server.free_port(),
        http_port=server.free_port(),
        heap="1g",
    )
    status = server.start(settings)
    try:
        yield settings
    finally:
        assert status.pid is not None
        server.stop_process(status.pid)


@pytest.fixture(scope="session")
def db_config(local_server_settings) -> DatabaseConfig:
    """Where the test database is; its schema is applied once."""
    config = _configured_test_server() or server.server_config(local_server_settings)
    with Database.connect(config) as db:
        apply_schema(db)
    return config


@pytest.fixture
def db(db_config) -> Iterator[Database]:
    """A connected Database with the schema and no data."""
    database = Database.connect(db_config)
    try:
        clear_database(database)
        yield database
    finally:
        database.close()
