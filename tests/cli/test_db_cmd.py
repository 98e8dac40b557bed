"""`n2g db up|down|status|init|clear` through the CLI, and one-line database errors."""

from __future__ import annotations

import socket
import time

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.cli.ingest import app as ingest_app
from n2g.db import server
from n2g.graph.file import dump_graph_line
from n2g.testing.synthetic import synthetic_graphs

runner = CliRunner()


def graph_file_lines(n: int) -> str:
    return "".join(dump_graph_line(g) + "\n" for g in synthetic_graphs(n))


def _db_args(config, **override) -> list[str]:
    values = {
        "uri": config.uri,
        "user": config.user,
        "password": config.password,
        "database": config.database,
        **override,
    }
    return [arg for name, value in values.items() if value for arg in (f"--{name}", value)]


@pytest.fixture
def isolated_env(monkeypatch, tmp_path):
    for name in ("N2G_URI", "N2G_USER", "N2G_PASSWORD", "N2G_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("N2G_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.mark.slow
def test_local_server_lifecycle(isolated_env):
    bolt, http = str(server.free_port()), str(server.free_port())
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 3 and "not running" in status.output
    try:
        up = runner.invoke(app, ["db", "up", "--bolt-port", bolt, "--http-port", http])
        assert up.exit_code == 0, up.output
        assert "started (pid" in up.output and f"bolt://127.0.0.1:{bolt}" in up.output
        password = server.server_config(server.LocalServerSettings()).password
        assert len(password) >= 20 and password not in up.output
        again = runner.invoke(app, ["db", "up", "--bolt-port", bolt, "--http-port", http])
        assert again.exit_code == 0 and "already running" in again.output
        # No flags, no N2G_URI: every command finds the local server.
        assert runner.invoke(app, ["db", "init"]).exit_code == 0
        path = isolated_env / "g.jsonl"
        path.write_text(graph_file_lines(4), encoding="utf-8")
        loaded = runner.invoke(app, ["ingest", str(path), "--quiet"])
        assert loaded.exit_code == 0, loaded.output
        status = runner.invoke(app, ["db", "status"])
        assert status.exit_code == 0 and "neurons: 4" in status.output
        assert f"bolt://127.0.0.1:{bolt}" in status.output and password not in status.output
        refused = runner.invoke(app, ["db", "clear"])
        assert refused.exit_code != 0 and "--yes" in refused.stderr
        # Clearing the local server recreates its database from new files: a file the
        # old database held is gone, the schema is back, and the store takes graphs again.
        stale = isolated_env / "data" / "server" / "databases" / server.DATABASE_NAME / "stale"
        stale.write_text("from the old files", encoding="utf-8")
        cleared = runner.invoke(app, ["db", "clear", "--yes"])
        assert cleared.exit_code == 0 and "recreated" in cleared.output, cleared.output
        assert not stale.exists()
        assert "neurons: 0" in runner.invoke(app, ["db", "status"]).output
        reloaded = runner.invoke(app, ["ingest", str(path), "--quiet"])
        assert reloaded.exit_code == 0, reloaded.output
        assert "neurons: 4" in runner.invoke(app, ["db", "status"]).output
        assert f"bolt://127.0.0.1:{bolt}" in runner.invoke(app, ["db", "status"]).output
    finally:
        down = runner.invoke(app, ["db", "down"])
    assert down.exit_code == 0 and "stopped" in down.output
    assert runner.invoke(app, ["db", "status"]).exit_code == 3


def test_init_applies_the_schema(db_config, isolated_env):
    result = runner.invoke(app, ["db", "init", *_db_args(db_config)])
    assert result.exit_code == 0 and "schema applied" in result.output


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"password": "wrong-password"}, "wrong password"),
        ({"uri": "bolt://127.0.0.1:9"}, "no database answers"),
        ({"database": "no_such_db"}, "no_such_db"),
    ],
)
def test_database_faults_are_one_clear_line(db_config, isolated_env, override, message):
    if "database" in override and db_config.database is None:
        pytest.skip("the configured test server has no named database")
    result = runner.invoke(app, ["db", "init", *_db_args(db_config, **override)])
    assert result.exit_code != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_up_on_a_taken_port_is_one_clear_line(isolated_env):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = runner.invoke(
            app, ["db", "up", "--bolt-port", port, "--http-port", str(server.free_port())]
        )
    assert result.exit_code != 0 and "already taken" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_up_with_one_port_for_both_is_refused_at_once(isolated_env):
    port = str(server.free_port())
    started = time.monotonic()
    result = runner.invoke(app, ["db", "up", "--bolt-port", port, "--http-port", port])
    assert time.monotonic() - started < 5
    assert result.exit_code != 0 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"ports are both {port}" in lines[0]


def test_bad_heap_is_one_clear_line(isolated_env):
    result = runner.invoke(app, ["db", "up", "--heap", "0m"])
    assert result.exit_code != 0 and "bad heap size '0m'" in result.stderr


@pytest.mark.slow
def test_commands_start_the_server_on_the_ports_db_up_chose(isolated_env):
    bolt, http = server.free_port(), server.free_port()
    path = isolated_env / "g.jsonl"
    path.write_text(graph_file_lines(2), encoding="utf-8")
    try:
        up = runner.invoke(app, ["db", "up", "--bolt-port", str(bolt), "--http-port", str(http)])
        assert up.exit_code == 0, up.output
        assert runner.invoke(app, ["db", "down"]).exit_code == 0
        # No flags, no N2G_URI: search starts the server where `db up` had put it.
        found = runner.invoke(app, ["search", " a"])
        assert found.exit_code == 0, found.output
        assert f"starting the local database server on 127.0.0.1:{bolt}" in found.stderr
        assert "the ports its data folder remembers, not the defaults 7688/2480" in found.stderr
        again = runner.invoke(app, ["db", "up"])  # no flags: the remembered ports, said why
        assert again.exit_code == 0, again.output
        assert f"ports {bolt}/{http}: the ports its data folder remembers" in again.output
        status = runner.invoke(app, ["db", "status"])
        assert status.exit_code == 0 and f"bolt://127.0.0.1:{bolt}" in status.output
        assert f"HTTP 127.0.0.1:{http}" in status.output
        assert runner.invoke(app, ["db", "down"]).exit_code == 0
        loaded = runner.invoke(ingest_app, [str(path), "--quiet"])  # n2g-ingest too
        assert loaded.exit_code == 0, loaded.output
        assert f"127.0.0.1:{bolt}" in loaded.stderr
        assert runner.invoke(app, ["db", "down"]).exit_code == 0
        with socket.socket() as busy:  # its port taken meanwhile: advice one can follow
            busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT
            busy.bind(("127.0.0.1", bolt))
            busy.listen()
            refused = runner.invoke(app, ["show", "m/0/0"])
        assert refused.exit_code != 0 and "Traceback" not in refused.output
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 2 and lines[0].startswith("starting the local database server")
        assert f"port {bolt}" in lines[1] and "`n2g db up --bolt-port N`" in lines[1]
        assert "N2G_URI" in lines[1]
    finally:
        runner.invoke(app, ["db", "down"])


@pytest.mark.parametrize(
    "command",
    [
        ["search"],
        ["similar"],
        ["groups"],
        ["like"],
        ["show"],
        ["db", "init"],
        ["db", "clear"],
        ["ingest"],
        ["run"],
    ],
)
def test_every_database_command_takes_the_database_flags(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    for flag in ("--uri", "--user", "--password", "--database"):
        assert flag in result.output


def test_n2g_ingest_takes_the_database_flags():
    result = runner.invoke(ingest_app, ["--help"])
    assert result.exit_code == 0
    assert all(flag in result.output for flag in ("--uri", "--user", "--password", "--database"))
