"""The local ArcadeDB server: pid file, private password, ports, status."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from n2g.db import server
from n2g.errors import N2GError


def test_session_server_reports_where_it_listens(local_server_settings, db):
    if local_server_settings is None:
        pytest.skip("N2G_TEST_URI points the suite at another server")
    info = server.status(local_server_settings)
    assert info.running and info.n_neurons == 0
    assert info.bolt_uri == f"bolt://127.0.0.1:{local_server_settings.bolt_port}"
    assert int(local_server_settings.pid_file.read_text()) == info.pid
    mode = stat.S_IMODE(local_server_settings.password_file.stat().st_mode)
    assert mode == 0o600
    config = server.server_config(local_server_settings)
    assert (config.user, config.database) == ("root", "n2g") and len(config.password) >= 20


def test_a_taken_port_is_one_clear_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = server.LocalServerSettings(
            home=tmp_path / "s", bolt_port=port, http_port=server.free_port()
        )
        with pytest.raises(N2GError, match=f"port {port} .* already taken") as info:
            server.start(settings)
    assert "n2g db up --bolt-port" in str(info.value)  # advice any command can follow
    assert not settings.pid_file.exists()


_THIEF = """
import socket, sys
out = open(sys.argv[1], "wb")
thief = socket.socket()
thief.bind(("127.0.0.1", 0))
thief.listen()
print(thief.getsockname()[1], flush=True)
while True:
    conn, _ = thief.accept()
    conn.settimeout(2.0)
    try:
        while chunk := conn.recv(65536):
            out.write(chunk)
            out.flush()
    except OSError:
        pass
    conn.close()
"""


def test_a_listener_that_takes_the_port_during_start_up_gets_no_credentials(tmp_path):
    """Another process (another local user) binds the Bolt port between the free-port
    check and the JVM: the readiness check must not send the root password there (it
    used to, in a Bolt HELLO). The thief records every byte it receives."""
    received = tmp_path / "received.bin"
    thief = subprocess.Popen(
        [sys.executable, "-c", _THIEF, str(received)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert thief.stdout is not None
        port = int(thief.stdout.readline())
        settings = server.LocalServerSettings(
            home=tmp_path / "s", bolt_port=port, http_port=server.free_port()
        )
        with pytest.raises(N2GError, match=f"port {port} .* another process") as info:
            server._launch(settings)  # as if the port was taken right after the check
        time.sleep(0.5)  # anything in flight reaches the thief's file
    finally:
        thief.kill()
        thief.wait()
    password = settings.password_file.read_text().strip()
    sent = received.read_bytes()
    assert password.encode() not in sent and b"root" not in sent
    assert "n2g db up --bolt-port" in str(info.value)
    assert server.running_pid(settings) is None


def test_the_server_does_not_inherit_the_password_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("N2G_PASSWORD", "client-side-secret-1234")
    monkeypatch.setenv("N2G_URI", "bolt://127.0.0.1:1")
    settings = server.LocalServerSettings(
        home=tmp_path / "s", bolt_port=server.free_port(), http_port=server.free_port()
    )
    status = server.start(settings)
    try:
        assert status.pid is not None
        environ = Path(f"/proc/{status.pid}/environ").read_bytes()
        assert b"client-side-secret-1234" not in environ and b"N2G_PASSWORD" not in environ
        assert b"N2G_URI=bolt://127.0.0.1:1" in environ  # the rest is passed on
    finally:
        server.stop(settings)


def test_a_lost_or_changed_password_file_is_one_line_at_once(tmp_path):
    """The server's users were made with the password in its file: with that file deleted
    or changed, a start says so at once (it used to wait 90 s and blame a timeout)."""
    settings = server.LocalServerSettings(
        home=tmp_path / "s", bolt_port=server.free_port(), http_port=server.free_port()
    )
    server.start(settings)
    server.stop(settings)
    settings.password_file.unlink()
    started = time.monotonic()
    with pytest.raises(N2GError, match="does not accept the password") as info:
        server.start(settings)
    assert "restore that file" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(N2GError, match="does not accept the password"):
        server.server_config(settings)  # every command, not only a start
    settings.password_file.write_text("not-the-password\n")
    settings.password_file.chmod(0o600)
    with pytest.raises(N2GError, match="does not accept the password"):
        server.start(settings)
    assert time.monotonic() - started < 60
    assert server.running_pid(settings) is None


def test_down_stops_a_server_whose_data_folder_was_deleted(tmp_path):
    """The folder (pid file and all) deleted while the server runs: `n2g db down` still
    finds and stops it (it used to say "not running" and leave the JVM orphaned)."""
    import shutil

    settings = server.LocalServerSettings(
        home=tmp_path / "s", bolt_port=server.free_port(), http_port=server.free_port()
    )
    status = server.start(settings)
    assert status.pid is not None
    shutil.rmtree(settings.home)
    assert server.running_pid(settings) is None  # no pid file to go by
    assert server.orphaned_pids(settings.home) == [status.pid]
    assert server.stop(settings) is True
    assert not Path(f"/proc/{status.pid}").exists() or _is_zombie(status.pid)
    assert server.stop(settings) is False


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def _shares_a_part(secret: str, text: str, part: int = 8) -> bool:
    return any(secret[i : i + part] in text for i in range(len(secret) - part + 1))


def test_the_password_is_in_no_command_line_and_no_log(local_server_settings, db):
    if local_server_settings is None:
        pytest.skip("N2G_TEST_URI points the suite at another server")
    pid = server.running_pid(local_server_settings)
    password = server.server_config(local_server_settings).password
    assert pid is not None and len(password) >= 20
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    assert "ArcadeDBServer" in cmdline and not _shares_a_part(password, cmdline)
    logs = [local_server_settings.log_file, *(local_server_settings.home / "log").glob("*")]
    for path in logs:
        assert not _shares_a_part(password, path.read_text(errors="replace")), path


def test_one_port_for_bolt_and_http_is_refused_at_once(tmp_path):
    port = server.free_port()
    settings = server.LocalServerSettings(
        home=tmp_path / "s", bolt_port=port, http_port=port, start_timeout_s=30
    )
    started = time.monotonic()
    with pytest.raises(N2GError, match=f"Bolt and HTTP ports are both {port}"):
        server.start(settings)
    assert time.monotonic() - started < 5
    assert not settings.pid_file.exists() and not settings.state_file.exists()


def _failing_settings(tmp_path, **ports: int) -> server.LocalServerSettings:
    settings = server.LocalServerSettings(
        home=tmp_path / "s",
        bolt_port=ports.get("bolt_port") or server.free_port(),
        http_port=ports.get("http_port") or server.free_port(),
        heap="1g",
        start_timeout_s=60,
    )
    settings.home.mkdir()
    settings.log_file.write_text("2026-01-01 SEVER [Old] <ArcadeDB_0> an old failure\n")
    return settings


def test_a_server_that_exits_at_start_says_why_at_once(tmp_path):
    settings = _failing_settings(tmp_path)
    config_dir = settings.home / "root" / "config"
    config_dir.mkdir(parents=True)
    (config_dir / "server-configuration.json").write_text("{not json")
    started = time.monotonic()
    with pytest.raises(N2GError, match="Invalid JSON") as info:
        server.start(settings)
    assert time.monotonic() - started < 30
    message = str(info.value)
    assert "\n" not in message and "old failure" not in message
    assert server.running_pid(settings) is None


def test_a_server_that_fails_but_lingers_is_stopped_and_says_why(tmp_path):
    # start() refuses one port for both; launching without that check makes ArcadeDB fail
    # to open HTTP after Bolt, log why, and keep its process alive: it must not be waited on.
    port = server.free_port()
    settings = _failing_settings(tmp_path, bolt_port=port, http_port=port)
    started = time.monotonic()
    with pytest.raises(N2GError, match="Unable to listen to a HTTP port") as info:
        server._launch(settings)
    assert time.monotonic() - started < 30
    assert "old failure" not in str(info.value)
    assert server.running_pid(settings) is None
    assert _port_is_free_soon(port)


def _port_is_free_soon(port: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if server.port_is_free(port):
            return True
        time.sleep(0.2)
    return False


def test_the_data_folder_remembers_its_ports(tmp_path):
    home = tmp_path / "s"
    fresh = server.LocalServerSettings.remembered(home=home)
    assert (fresh.bolt_port, fresh.http_port) == (
        server.DEFAULT_BOLT_PORT,
        server.DEFAULT_HTTP_PORT,
    )
    home.mkdir()
    (home / "server.json").write_text(json.dumps({"pid": 1, "bolt_port": 4321, "http_port": 4322}))
    remembered = server.LocalServerSettings.remembered(home=home)
    assert (remembered.bolt_port, remembered.http_port) == (4321, 4322)
    assert server.LocalServerSettings.remembered(home=home, bolt_port=5000).bolt_port == 5000
    (home / "server.json").write_text('{"bolt_port": "no", "http_port": 0}')
    assert server.LocalServerSettings.remembered(home=home).bolt_port == server.DEFAULT_BOLT_PORT


def test_stale_pid_file_is_ignored_and_removed(tmp_path):
    settings = server.LocalServerSettings(home=tmp_path / "s")
    settings.home.mkdir()
    settings.pid_file.write_text(f"{os.getpid()}\n")  # alive, but not our server
    assert server.running_pid(settings) is None
    assert not settings.pid_file.exists()
    assert server.stop(settings) is False
    assert not server.status(settings).running


def test_the_password_is_random_and_kept(tmp_path):
    first = server.LocalServerSettings(home=tmp_path / "a")
    second = server.LocalServerSettings(home=tmp_path / "b")
    for settings in (first, second):
        settings.home.mkdir()
    password = server.server_config(first).password
    assert password == ""  # no password file yet: nothing is created by asking
    made = server._password(first)
    assert made == server._password(first) != server._password(second)
    assert stat.S_IMODE(first.password_file.stat().st_mode) == 0o600


def test_data_lives_under_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("N2G_DATA_DIR", str(tmp_path))
    assert server.LocalServerSettings().home == tmp_path / "server"
