"""`n2g serve`: its one-line errors through CliRunner, and a real server in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db import server
from tests.serve.graphs import EVERYONE_KEY
from tests.serve.graphs import GRAPHS_BY_KEY as GRAPHS

runner = CliRunner()


@contextmanager
def busy_port(host: str) -> Iterator[int]:
    """A port on `host` that something else is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.mark.parametrize("port", ["0", "70000", "-5"])
def test_bad_port_is_one_line(port: str) -> None:
    result = runner.invoke(app, ["serve", "--port", port])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: port must be between 1 and 65535, got {port}"


def test_port_in_use_is_one_line() -> None:
    with busy_port("127.0.0.1") as port:
        result = runner.invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: port {port} on 127.0.0.1 is in use: stop what serves there or pick --port"
    )


def test_unknown_host_is_one_line() -> None:
    result = runner.invoke(app, ["serve", "--host", "no-such-host.invalid", "--port", "8000"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("warning: serving on no-such-host.invalid")
    assert lines[1].startswith("error: cannot serve on 'no-such-host.invalid'")


def test_a_host_other_than_loopback_is_warned_about() -> None:
    # 127.0.0.2 is a loopback address too, but not one of the names served quietly: it
    # stands for any other address here (nothing is exposed: the port is taken).
    with busy_port("127.0.0.2") as port:
        result = runner.invoke(app, ["serve", "--host", "127.0.0.2", "--port", str(port)])
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == (
        "warning: serving on 127.0.0.2: anyone who can reach this machine can read the database"
    )
    assert "in use" in result.output.splitlines()[1]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--cache-seconds", "-1"], "error: --cache-seconds must be a number, 0 or more, got -1.0"),
        (["--cache-seconds", "nan"], "error: --cache-seconds must be a number, 0 or more, got nan"),
        (["--cache-seconds", "inf"], "error: --cache-seconds must be a number, 0 or more, got inf"),
        (
            ["--cache-seconds", "-inf"],
            "error: --cache-seconds must be a number, 0 or more, got -inf",
        ),
        (["--cache-mb", "0"], "error: --cache-mb must be at least 1, got 0"),
        (
            ["--warm", "--cache-seconds", "0"],
            "error: --warm keeps answers: give it --cache-seconds above 0",
        ),
        (["--allow-host", "a b"], "error: --allow-host takes a host name or address, got 'a b'"),
        (["--allow-host", "x/y"], "error: --allow-host takes a host name or address, got 'x/y'"),
    ],
)
def test_bad_cache_settings_are_refused(flags: list[str], message: str) -> None:
    result = runner.invoke(app, ["serve", *flags])
    assert result.exit_code == 2 and result.output.strip() == message


def _wait_until_serving(url: str, process: subprocess.Popen, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"n2g serve exited with {process.returncode}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("n2g serve did not answer in time")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_over_http_and_stops_on_ctrl_c(db_config, serve_db, workers) -> None:
    port = server.free_port()
    command = [
        sys.executable,
        "-m",
        "n2g",
        "serve",
        "--port",
        str(port),
        "--uri",
        db_config.uri,
        "--user",
        db_config.user,
        "--workers",
        str(workers),
        "--allow-host",
        "n2g.lan",
    ]
    if db_config.database:
        command += ["--database", db_config.database]
    env = {**os.environ, "N2G_PASSWORD": db_config.password}  # never on the command line
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(f"{base}/api/models", process)
        models = httpx.get(f"{base}/api/models", timeout=10).json()["models"]
        assert "hand" in {model["name"] for model in models}
        unit = httpx.get(f"{base}/units/{EVERYONE_KEY}", timeout=10)
        assert unit.status_code == 200 and "hand/0/0" in unit.text
        assert unit.headers["x-content-type-options"] == "nosniff"
        assert "server" not in unit.headers  # uvicorn does not announce itself
        missing = httpx.get(f"{base}/api/units/hand/9/9", timeout=10)
        assert missing.status_code == 404
        for host, status in (("evil.example", 400), (f"n2g.lan:{port}", 200)):
            named = httpx.get(f"{base}/api/models", headers={"Host": host}, timeout=10)
            assert named.status_code == status, named.text
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert len(children) == workers - 1  # the other workers, forked on the same socket
        for _ in range(20):  # every worker answers (connections land on either)
            assert httpx.get(f"{base}/api/models", timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        try:
            stdout, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
    assert process.returncode == 0, stderr
    assert stdout.splitlines()[0] == f"serving on {base}/ (Ctrl-C stops)"
    assert stdout.splitlines()[-1] == "stopped"
    assert not stderr.strip(), stderr  # no access log, no warnings
    if db_config.password:
        assert db_config.password not in stdout + stderr


@pytest.mark.slow
def test_serve_warm_says_when_every_unit_is_kept(db_config, serve_db, tmp_path: Path) -> None:
    port = server.free_port()
    command = [sys.executable, "-m", "n2g", "serve", "--port", str(port), "--warm"]
    command += ["--uri", db_config.uri, "--user", db_config.user]
    if db_config.database:
        command += ["--database", db_config.database]
    env = {**os.environ, "N2G_PASSWORD": db_config.password}
    out = tmp_path / "stdout"
    with out.open("w") as stdout:
        process = subprocess.Popen(command, env=env, stdout=stdout, stderr=subprocess.PIPE)
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}/api/models", process)
        deadline = time.monotonic() + 120
        while "warm:" not in out.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        unit = httpx.get(f"http://127.0.0.1:{port}/units/{EVERYONE_KEY}", timeout=10)
        assert unit.status_code == 200 and "hand/0/0" in unit.text
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    lines = out.read_text().splitlines()
    assert f"warm: every unit's page and JSON kept ({len(GRAPHS):,} units" in "\n".join(lines)
    assert "frequent searches" in "\n".join(lines)
    assert lines[-1] == "stopped" and process.returncode == 0
    assert not stderr.strip(), stderr
