"""The local ArcadeDB server: pid file, private password, ports, status."""

from __future__ import annotations

import os
import socket
import stat

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
        with pytest.raises(N2GError, match=f"port {port} .* already taken"):
            server.start(settings)
    assert not settings.pid_file.exists()


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
