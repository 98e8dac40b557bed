"""Which database: flags, then N2G_* variables, then the local server."""

from __future__ import annotations

import pytest

from n2g.db.resolve import resolve_database
from n2g.errors import N2GError


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("N2G_URI", "N2G_USER", "N2G_PASSWORD", "N2G_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("N2G_DATA_DIR", str(tmp_path))  # no local server runs here
    return monkeypatch


def test_flags_win_over_the_environment(clean_env):
    clean_env.setenv("N2G_URI", "bolt://env:7687")
    clean_env.setenv("N2G_USER", "envuser")
    clean_env.setenv("N2G_PASSWORD", "envpw")
    config = resolve_database("bolt://flag:1", password="flagpw", database="db1")
    assert (config.uri, config.user, config.password, config.database) == (
        "bolt://flag:1",
        "envuser",
        "flagpw",
        "db1",
    )


def test_environment_is_used_without_flags(clean_env):
    clean_env.setenv("N2G_URI", "neo4j://env:7687")
    clean_env.setenv("N2G_DATABASE", "graphs")
    config = resolve_database()
    assert (config.uri, config.user, config.database) == ("neo4j://env:7687", "neo4j", "graphs")


def test_a_bad_uri_is_one_clear_error(clean_env):
    with pytest.raises(N2GError, match="bad database URI"):
        resolve_database("http://localhost:7474")


def test_no_database_and_no_local_server_says_how_to_start(clean_env):
    with pytest.raises(N2GError, match="n2g db up"):
        resolve_database(start_local=False)
