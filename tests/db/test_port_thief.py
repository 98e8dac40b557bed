"""A process that takes the Bolt port after the local server goes down gets no credential.

`n2g serve` and a long ingest outlive their server (`n2g db down`, a crash). The driver
re-connects on its own; another local user listening on the freed port (SO_REUSEADDR)
then answered the Bolt handshake and received `LOGON {principal: root, credentials: ...}`.
Here a thief, run as user `nobody` where the suite runs as root, records every byte it is
sent and answers the handshake as a Bolt 5.4 server would; the password must never be
among those bytes, and the command must end (or answer) with one line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from n2g.db import server
from n2g.db.connection import Database
from n2g.db.ingest import clear_database
from n2g.graph.file import dump_graph_line
from n2g.testing.synthetic import synthetic_graphs

N2G = str(Path(sys.executable).with_name("n2g"))

# Binds the freed port, answers every Bolt handshake with version 5.4 and writes each
# chunk it receives as one hex line on stdout.
_THIEF = r"""
import socket, sys, threading, time
port = int(sys.argv[1])
thief = socket.socket()
thief.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
deadline = time.monotonic() + 30
while True:
    try:
        thief.bind(("127.0.0.1", port))
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.05)
thief.listen(64)
lock = threading.Lock()
def record(chunk):
    with lock:
        sys.stdout.write(chunk.hex() + "\n")
        sys.stdout.flush()
def handle(conn):
    try:
        conn.settimeout(20)
        hello = b""
        while len(hello) < 20:
            chunk = conn.recv(20 - len(hello))
            if not chunk:
                return
            hello += chunk
        record(hello)
        conn.sendall(bytes([0, 0, 4, 5]))
        while chunk := conn.recv(65536):
            record(chunk)
    except OSError:
        pass
    finally:
        conn.close()
print("listening", flush=True)
while True:
    conn, _ = thief.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
"""


class Thief:
    """The thief process, as another user where it can be (`nobody` under root). It starts
    trying to bind at once and takes the port the moment it is free; `listening` waits for
    that."""

    def __init__(self, port: int) -> None:
        as_root = os.geteuid() == 0
        python = "/usr/bin/python3" if as_root and Path("/usr/bin/python3").exists() else None
        self.process = subprocess.Popen(
            [python or sys.executable, "-c", _THIEF, str(port)],
            stdout=subprocess.PIPE,
            text=True,
            user=65534 if as_root else None,
            group=65534 if as_root else None,
            extra_groups=[] if as_root else None,
            cwd="/",
        )

    def listening(self) -> Thief:
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "listening"
        return self

    def received(self) -> bytes:
        """Everything it was sent (it is stopped first)."""
        self.process.kill()
        out, _ = self.process.communicate(timeout=30)
        return b"".join(bytes.fromhex(line) for line in out.split())


@pytest.fixture
def local(tmp_path, monkeypatch) -> Iterator[server.LocalServerSettings]:
    """A local server of its own, found by the commands through N2G_DATA_DIR."""
    monkeypatch.setenv("N2G_DATA_DIR", str(tmp_path / "data"))
    for name in ("N2G_URI", "N2G_USER", "N2G_PASSWORD", "N2G_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    settings = server.LocalServerSettings(
        home=tmp_path / "data" / "server",
        bolt_port=server.free_port(),
        http_port=server.free_port(),
        heap="512m",
    )
    server.start(settings)
    try:
        yield settings
    finally:
        server.stop(settings)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "n2g serve exited"
        try:
            _get(url)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def _assert_nothing_secret(sent: bytes, password: str, output: str = "") -> None:
    assert sent.startswith(bytes.fromhex("6060b017")), f"the thief was never reached: {output}"
    assert password.encode() not in sent
    assert b"credentials" not in sent and b"principal" not in sent


def test_serve_sends_no_credential_to_a_listener_that_took_the_port(local, tmp_path):
    port = server.free_port()
    serve = subprocess.Popen(
        [N2G, "serve", "--port", str(port), "--cache-seconds", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/api/models", serve)
        assert _get(f"{base}/api/models")[0] == 200
        thief = Thief(local.bolt_port)
        try:
            server.stop(local)  # `n2g db down`
            thief.listening()
            status, body = _get(f"{base}/api/models")
            page_status, _ = _get(f"{base}/")
            time.sleep(1.0)  # anything in flight reaches the thief
        finally:
            sent = thief.received()
    finally:
        serve.send_signal(signal.SIGINT)
        serve.communicate(timeout=30)
    _assert_nothing_secret(sent, local.password_file.read_text().strip())
    assert status >= 500 and page_status >= 500
    assert "nothing was sent" in body and "n2g db up" in body and "\n" not in body.strip()


def _crash_under_ingest(local: server.LocalServerSettings, path: Path) -> tuple[bytes, str, int]:
    """Start an ingest, crash its server once it has written, let the thief take the port;
    (what the thief received, the ingest's stderr, its exit status)."""
    server.start(local)
    with Database.connect(server.server_config(local)) as db:
        clear_database(db)  # a try counts only what its own ingest writes
    ingest = subprocess.Popen(
        [N2G, "ingest", str(path), "--batch-size", "2", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with Database.connect(server.server_config(local)) as db:
        deadline = time.monotonic() + 120
        while db.read("MATCH (n:Neuron) RETURN count(n) AS n")[0]["n"] < 10:
            assert time.monotonic() < deadline and ingest.poll() is None, "ingest never wrote"
            time.sleep(0.1)
    pid = server.running_pid(local)
    assert pid is not None
    thief = Thief(local.bolt_port)  # binds the moment the port is free
    try:
        # Paused while its server crashes and the thief binds: its next connection meets
        # the thief at once.
        ingest.send_signal(signal.SIGSTOP)
        os.kill(pid, signal.SIGKILL)
        thief.listening()
        ingest.send_signal(signal.SIGCONT)
        _, stderr = ingest.communicate(timeout=120)
    finally:
        sent = thief.received()
    return sent, stderr, ingest.returncode


def test_a_live_ingest_sends_no_credential_after_its_server_dies(local, tmp_path):
    """A crash during a commit ends the ingest at once (a commit is not retried: the driver
    cannot know whether it happened), before it re-connects; the crash lands there about one
    time in three. So the crash is repeated until the ingest did re-connect, and every try
    is checked: nothing secret ever reaches the thief, and the ingest ends with one line."""
    path = tmp_path / "graphs.jsonl"
    graphs = synthetic_graphs(3000, seed=11)
    path.write_text("".join(dump_graph_line(g) + "\n" for g in graphs), encoding="utf-8")
    password = local.password_file.read_text().strip()
    reached = False
    for _ in range(8):
        sent, stderr, status = _crash_under_ingest(local, path)
        assert password.encode() not in sent and b"credentials" not in sent
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert status != 0 and len(lines) == 1 and "Traceback" not in stderr, stderr
        if sent:
            _assert_nothing_secret(sent, password, stderr)
            assert "nothing was sent" in lines[0], stderr
            reached = True
            break
    assert reached, "no ingest re-connected after its server crashed in 8 tries"
