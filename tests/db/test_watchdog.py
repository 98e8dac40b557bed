"""A server that stops answering ends a call in seconds, with one line; a busy one does not.

Real parts only: a real ArcadeDB server frozen with SIGSTOP in the middle of an ingest (its
sockets stay open, nothing answers: the driver alone would wait for ever), a listener that
accepts connections and never answers, and a real long query on the live test server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db import server
from n2g.db.connection import Database
from n2g.db.ingest import database_counts, ingest_files
from n2g.db.schema import apply_schema
from n2g.db.watchdog import Watchdog, answers_handshake, cut_connections
from n2g.errors import N2GError
from n2g.testing.synthetic import synthetic_graphs, write_graph_file


@pytest.fixture
def mute_listener() -> Iterator[int]:
    """A port whose listener accepts connections (the kernel's backlog) and answers nothing."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_handshake_probe_tells_a_live_server_from_a_mute_one(db_config, mute_listener) -> None:
    watched = Watchdog(db_config.uri)
    assert answers_handshake(watched.host, watched.port, watched.secure, timeout=5)
    assert not answers_handshake("127.0.0.1", mute_listener, False, timeout=0.5)


def test_cutting_connections_ends_a_blocked_read(mute_listener) -> None:
    client = socket.create_connection(("127.0.0.1", mute_listener))
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(client.recv(4)))
    reader.start()
    time.sleep(0.2)
    assert reader.is_alive()  # blocked: nothing will ever come
    assert cut_connections("127.0.0.1", mute_listener) == 1
    reader.join(timeout=5)
    assert not reader.is_alive() and received == [b""]
    client.close()


def test_a_busy_server_is_not_mistaken_for_a_dead_one(db) -> None:
    """A query computing for seconds with a watchdog probing every 0.3 s and giving up on
    the first unanswered probe: the server answers the probes, the query completes."""
    db.watchdog = Watchdog(db.config.uri, probe_after=0.3, probe_every=0.3, failures=1)
    query = "UNWIND range(1, $n) AS a UNWIND range(1, $n) AS b RETURN sum(a * b) AS s"
    assert db.read(query, {"n": 3000})[0]["s"] == (3000 * 3001 // 2) ** 2
    assert not db.watchdog.dead


def test_a_mute_server_gives_one_line_from_the_cli(mute_listener) -> None:
    started = time.monotonic()
    result = CliRunner().invoke(
        app, ["search", "x", "--uri", f"bolt://127.0.0.1:{mute_listener}", "--password", ""]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "stopped answering" in lines[0], result.output
    assert time.monotonic() - started < 60


@pytest.mark.slow
def test_a_server_frozen_mid_ingest_ends_it_in_seconds_and_resume_works(tmp_path) -> None:
    """SIGSTOP the server while `n2g-ingest` writes: the ingest ends with one line well
    within a minute (it blocked for ever before), and once the server runs again the same
    ingest resumes to the counts of a clean load."""
    settings = server.LocalServerSettings(
        home=tmp_path / "server",
        bolt_port=server.free_port(),
        http_port=server.free_port(),
        heap="1g",
    )
    status = server.start(settings)
    assert status.pid is not None
    config = server.server_config(settings)
    try:
        with Database.connect(config) as db:
            apply_schema(db)
        path = tmp_path / "graphs.jsonl"
        write_graph_file(path, synthetic_graphs(600, seed=4))
        args = [sys.executable, "-m", "n2g", "ingest", str(path), "--quiet"]
        args += ["--batch-size", "10", "--uri", config.uri, "--user", config.user]
        args += ["--database", config.database] if config.database else []
        env = {**os.environ, "N2G_PASSWORD": config.password}
        ingest = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True)
        with Database.connect(config) as db:
            deadline = time.monotonic() + 120
            while database_counts(db)["neurons"] < 30 and time.monotonic() < deadline:
                time.sleep(0.05)
        os.kill(status.pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        try:
            _, err = ingest.communicate(timeout=90)
        finally:
            ingest.kill()
        assert time.monotonic() - frozen_at < 60
        assert ingest.returncode == 2 and err.strip().splitlines()[-1].startswith("error: ")
        assert "stopped answering" in err and "Traceback" not in err
        os.kill(status.pid, signal.SIGCONT)
        with Database.connect(config) as db:
            resumed = ingest_files(db, [path], progress=False)
            assert not resumed.errors and database_counts(db)["neurons"] == 600
    finally:
        os.kill(status.pid, signal.SIGCONT)
        server.stop_process(status.pid)


def test_a_call_after_the_server_died_fails_at_once(db_config, mute_listener) -> None:
    """Once found dead, the next call probes first and fails without waiting again."""
    with Database.connect(db_config) as db:
        db.watchdog = Watchdog(f"bolt://127.0.0.1:{mute_listener}", probe_timeout=0.5)
        db.watchdog.dead = True
        started = time.monotonic()
        with pytest.raises(N2GError, match="stopped answering"):
            db.read("RETURN 1 AS ok")
        assert time.monotonic() - started < 5
