"""Which database: flags, then N2G_* variables, then the local server; never a start."""

from __future__ import annotations

import pytest

from n2g.db.connection import DatabaseConfig
from n2g.db.resolve import configured_database, resolve_database
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


def test_a_bad_uri_in_the_environment_is_one_clear_error(clean_env):
    clean_env.setenv("N2G_URI", "http://env:7474")
    with pytest.raises(N2GError, match="bad database URI 'http://env:7474'"):
        configured_database()


def test_resolving_never_starts_a_server(clean_env, tmp_path):
    with pytest.raises(N2GError, match="n2g db up"):
        resolve_database()
    assert configured_database() is None  # nothing configured: the local server is meant
    assert not (tmp_path / "server").exists()  # nothing was started, nothing created


def test_the_environment_is_read_in_one_place(clean_env):
    clean_env.setenv("N2G_USER", "envuser")
    clean_env.setenv("N2G_PASSWORD", "")
    assert configured_database(password="x") is None  # no URI anywhere
    via_flag = configured_database("bolt://flag:1")
    assert via_flag == DatabaseConfig.from_env(uri="bolt://flag:1")
    assert via_flag is not None and (via_flag.user, via_flag.password) == ("envuser", "")
    assert DatabaseConfig.from_env(prefix="N2G_NONE_") is None


def test_driver_retry_warnings_do_not_reach_the_terminal() -> None:
    """The driver warns on each retry of a failed transaction; a command prints one
    `error:` line, not those warnings before it (applications that configure logging
    still receive them)."""
    import subprocess
    import sys

    probe = (
        "import logging, n2g.db.connection\n"
        "logging.getLogger('neo4j.pool').warning('Transaction failed and will be retried')\n"
        "seen = []\n"
        "class Keep(logging.Handler):\n"
        "    def emit(self, record): seen.append(record.getMessage())\n"
        "logging.getLogger().addHandler(Keep())\n"
        "logging.getLogger('neo4j.io').warning('second')\n"
        "print(seen)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stderr == ""
    assert result.stdout.strip() == "['second']"
