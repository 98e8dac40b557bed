"""The local server's folder is used only when it is ours, and a deleted one says so.

Through the real commands (`n2g db up`, `n2g search`) with N2G_DATA_DIR pointing at the
folder under test. Another user's folder is made by handing it to `nobody` (uid 65534),
which needs root; those cases skip elsewhere.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db import server

runner = CliRunner()
NOBODY = 65534
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder away needs root")


@pytest.fixture
def data(monkeypatch, tmp_path) -> Path:
    for name in ("N2G_URI", "N2G_USER", "N2G_PASSWORD", "N2G_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "data"
    monkeypatch.setenv("N2G_DATA_DIR", str(folder))
    return folder


def _up() -> tuple[int, str]:
    ports = ["--bolt-port", str(server.free_port()), "--http-port", str(server.free_port())]
    result = runner.invoke(app, ["db", "up", *ports, "--heap", "512m"])
    return result.exit_code, result.output


def _one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


@needs_root
def test_another_users_folder_is_refused_and_its_links_not_followed(data, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("root's own file\n")
    home = data / "server"
    home.mkdir(parents=True)
    (home / "server.log").symlink_to(victim)
    (home / "server.pid").symlink_to(victim)
    (home / "password").write_text("planted-by-another-user\n")
    os.chmod(home / "password", 0o644)
    for path in (data, home, home / "password"):
        os.chown(path, NOBODY, NOBODY)
    for link in (home / "server.log", home / "server.pid"):
        os.lchown(link, NOBODY, NOBODY)
    code, output = _up()
    line = _one_line(output)
    assert code != 0 and "belongs to another user" in line and str(data) in line
    assert "N2G_DATA_DIR" in line
    assert victim.read_text() == "root's own file\n"
    assert server.orphaned_pids(home) == []


@needs_root
def test_a_data_folder_inside_another_users_folder_is_refused(data, tmp_path):
    parent = data.parent / "theirs"
    parent.mkdir()
    os.chown(parent, NOBODY, NOBODY)
    os.environ["N2G_DATA_DIR"] = str(parent / "mine")  # monkeypatch restores it
    code, output = _up()
    line = _one_line(output)
    assert code != 0 and str(parent) in line and "another user" in line
    assert not (parent / "mine").exists()


def test_a_folder_others_can_write_is_refused_with_the_fix(data):
    home = data / "server"
    home.mkdir(parents=True)
    os.chmod(data, 0o700)
    os.chmod(home, 0o777)
    code, output = _up()
    line = _one_line(output)
    assert code != 0 and "writable by other users" in line and f"chmod go-w {home}" in line
    assert not (home / "password").exists()


def test_a_link_planted_at_a_file_of_our_folder_is_not_followed(data, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched\n")
    home = data / "server"
    home.mkdir(parents=True, mode=0o700)
    os.chmod(data, 0o700)
    (home / "server.log").symlink_to(victim)
    code, output = _up()
    line = _one_line(output)
    assert code != 0 and "server.log" in line and "symbolic link" in line
    assert victim.read_text() == "untouched\n"
    assert server.orphaned_pids(home) == []


def test_an_open_password_file_is_refused(data):
    home = data / "server"
    home.mkdir(parents=True, mode=0o700)
    os.chmod(data, 0o700)
    (home / "password").write_text("readable-by-everyone-0123456789\n")
    os.chmod(home / "password", 0o644)
    code, output = _up()
    line = _one_line(output)
    assert code != 0 and "open to other users" in line and "chmod 600" in line


@pytest.mark.slow
def test_a_folder_deleted_under_its_server_is_one_line_and_no_second_server(data):
    code, output = _up()
    assert code == 0, output
    home = data / "server"
    pid = server.running_pid(server.LocalServerSettings())
    assert pid is not None
    try:
        shutil.rmtree(home)
        for command in (["search", "anything"], ["db", "up"]):
            result = runner.invoke(app, command)
            line = _one_line(result.output)
            assert result.exit_code != 0, result.output
            assert "was deleted or moved" in line and f"pid {pid}" in line
            assert "`n2g db down`" in line
            assert server.orphaned_pids(home) == [pid]  # no new, empty server beside it
    finally:
        down = runner.invoke(app, ["db", "down"])
    assert down.exit_code == 0, down.output
    assert server.orphaned_pids(home) == []
