"""The local database server: ArcadeDB (from the `arcadedb-embedded` wheel) speaking Bolt.

Where there is no Docker (CI, these machines) the same Cypher runs against a local ArcadeDB
server. It listens on 127.0.0.1 only, keeps its data under the user's data directory
(`<data dir>/server`; n2g.paths: $N2G_DATA_DIR, else $XDG_DATA_HOME/n2g, else
~/.local/share/n2g), its random root password in a file only the user can read, and its
process id in a pid file so `down` stops exactly the process `up` started.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from n2g.db.connection import Database, DatabaseConfig
from n2g.errors import N2GError
from n2g.paths import data_dir
from n2g.resources import read_cypher

DATABASE_NAME = "n2g"
ROOT_USER = "root"
DEFAULT_BOLT_PORT = 7688  # not 7687: a Neo4j from docker-compose may hold that one
DEFAULT_HTTP_PORT = 2480
_MAIN_CLASS = "com.arcadedb.server.ArcadeDBServer"


class LocalServerSettings(BaseModel):
    """Where the local server keeps its files and which ports it takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path = Field(default_factory=lambda: data_dir() / "server")
    bolt_port: int = Field(DEFAULT_BOLT_PORT, ge=1, le=65535)
    http_port: int = Field(DEFAULT_HTTP_PORT, ge=1, le=65535)
    heap: str = Field("2g", pattern=r"^\d+[mMgG]$", description="Java -Xmx")
    start_timeout_s: float = Field(90.0, gt=0)

    @property
    def password_file(self) -> Path:
        return self.home / "password"

    @property
    def pid_file(self) -> Path:
        return self.home / "server.pid"

    @property
    def state_file(self) -> Path:
        return self.home / "server.json"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"


@dataclass(frozen=True)
class ServerStatus:
    """What `n2g db status` reports."""

    running: bool
    pid: int | None
    bolt_uri: str | None
    http_port: int | None
    home: Path
    n_neurons: int | None = None


def _arcadedb_dir() -> Path:
    try:
        import arcadedb_embedded
    except ImportError as exc:  # a broken install: say what to install
        raise N2GError(
            "the local server needs the arcadedb-embedded package: pip install arcadedb-embedded"
        ) from exc
    return Path(arcadedb_embedded.__file__).resolve().parent


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _read_pid(settings: LocalServerSettings) -> int | None:
    try:
        return int(settings.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _is_our_server(pid: int, settings: LocalServerSettings) -> bool:
    """True when `pid` is alive and is the ArcadeDB server rooted in our home folder."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        if sys.platform.startswith("linux"):
            return False
        try:  # no /proc: settle for "alive"
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    root_flag = f"-Darcadedb.server.rootPath={settings.home / 'root'}".encode()
    return _MAIN_CLASS.encode() in cmdline and root_flag in cmdline


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` readable by the user only (created 0600, then renamed)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _password(settings: LocalServerSettings) -> str:
    """The server's root password: made once at random, kept in a 0600 file."""
    try:
        return settings.password_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    password = secrets.token_urlsafe(24)
    _write_private(settings.password_file, password + "\n")
    return password


def _ports(settings: LocalServerSettings) -> tuple[int, int]:
    """The ports the running server was started with (its state file), else the settings'."""
    try:
        state = json.loads(settings.state_file.read_text(encoding="utf-8"))
        return int(state["bolt_port"]), int(state["http_port"])
    except (OSError, ValueError, KeyError, TypeError):
        return settings.bolt_port, settings.http_port


def server_config(settings: LocalServerSettings) -> DatabaseConfig:
    """How to reach the local server (whether or not it is running)."""
    bolt_port, _ = _ports(settings)
    return DatabaseConfig(
        uri=f"bolt://127.0.0.1:{bolt_port}",
        user=ROOT_USER,
        password=_password(settings) if settings.password_file.exists() else "",
        database=DATABASE_NAME,
    )


def running_pid(settings: LocalServerSettings) -> int | None:
    """The pid of our running server, or None (a stale pid file is removed)."""
    pid = _read_pid(settings)
    if pid is None:
        return None
    if _is_our_server(pid, settings):
        return pid
    with contextlib.suppress(FileNotFoundError):
        settings.pid_file.unlink()
    return None


def _java_command(settings: LocalServerSettings, password: str) -> list[str]:
    package = _arcadedb_dir()
    java = package / "jre" / "bin" / ("java.exe" if os.name == "nt" else "java")
    if not java.exists():
        raise N2GError(f"the arcadedb-embedded package has no Java runtime at {java}")
    home = settings.home
    return [
        str(java),
        f"-Xmx{settings.heap}",
        f"-Darcadedb.server.rootPath={home / 'root'}",
        f"-Darcadedb.server.databaseDirectory={home / 'databases'}",
        f"-Darcadedb.server.rootPassword={password}",
        "-Darcadedb.server.httpIncomingHost=127.0.0.1",
        f"-Darcadedb.server.httpIncomingPort={settings.http_port}",
        "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
        "-Darcadedb.bolt.host=127.0.0.1",
        f"-Darcadedb.bolt.port={settings.bolt_port}",
        f"-Darcadedb.server.defaultDatabases={DATABASE_NAME}[{ROOT_USER}]",
        "-cp",
        str(package / "jars" / "*"),
        _MAIN_CLASS,
    ]


def _last_log_line(settings: LocalServerSettings) -> str:
    try:
        lines = [ln.strip() for ln in settings.log_file.read_text(errors="replace").splitlines()]
    except OSError:
        return "no log"
    severe = [ln for ln in lines if "SEVERE" in ln or "Exception" in ln or "Error" in ln]
    return (severe or [ln for ln in lines if ln] or ["empty log"])[-1][:300]


def _wait_ready(settings: LocalServerSettings, process: subprocess.Popen, password: str) -> None:
    """Block until the server answers Cypher over Bolt, or fail with its last log line."""
    config = DatabaseConfig(
        uri=f"bolt://127.0.0.1:{settings.bolt_port}",
        user=ROOT_USER,
        password=password,
        database=DATABASE_NAME,
    )
    deadline = time.monotonic() + settings.start_timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise N2GError(
                f"the local server exited during start-up "
                f"(log {settings.log_file}): {_last_log_line(settings)}"
            )
        with socket.socket() as probe:
            probe.settimeout(0.5)
            listening = probe.connect_ex(("127.0.0.1", settings.bolt_port)) == 0
        if listening:
            try:
                Database.connect(config).close()
                return
            except N2GError:
                pass  # the Bolt port opens before the database is ready
        time.sleep(0.25)
    stop_process(process.pid)
    raise N2GError(
        f"the local server did not answer within {settings.start_timeout_s:.0f} s "
        f"(log {settings.log_file})"
    )


def start(settings: LocalServerSettings | None = None) -> ServerStatus:
    """Start the local server (no-op if it already runs) and wait until it answers."""
    settings = settings or LocalServerSettings()
    pid = running_pid(settings)
    if pid is not None:
        return status(settings, count_neurons=False)
    for name, port in (("Bolt", settings.bolt_port), ("HTTP", settings.http_port)):
        if not _port_is_free(port):
            flag = "--bolt-port" if name == "Bolt" else "--http-port"
            raise N2GError(
                f"port {port} on 127.0.0.1 ({name}) is already taken: choose another with {flag}"
            )
    settings.home.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.home, 0o700)  # the server's files hold the user's data
    password = _password(settings)
    command = _java_command(settings, password)
    with open(settings.log_file, "ab") as log:
        # A new session: Ctrl-C in the shell that ran `n2g db up` does not stop the server.
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=settings.home,
        )
    settings.pid_file.write_text(f"{process.pid}\n")
    state = {"pid": process.pid, "bolt_port": settings.bolt_port, "http_port": settings.http_port}
    _write_private(settings.state_file, json.dumps(state) + "\n")
    _wait_ready(settings, process, password)
    return status(settings, count_neurons=False)


def stop_process(pid: int, timeout_s: float = 30.0) -> None:
    """Stop one process by id: SIGTERM (ArcadeDB shuts down cleanly), SIGKILL if it lingers."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our child: reap it
                return
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def stop(settings: LocalServerSettings | None = None) -> bool:
    """Stop the local server; False when it was not running."""
    settings = settings or LocalServerSettings()
    pid = running_pid(settings)
    if pid is None:
        return False
    stop_process(pid)
    with contextlib.suppress(FileNotFoundError):
        settings.pid_file.unlink()
    return True


def status(
    settings: LocalServerSettings | None = None, *, count_neurons: bool = True
) -> ServerStatus:
    """Whether the local server runs, where it listens and (optionally) its neuron count."""
    settings = settings or LocalServerSettings()
    pid = running_pid(settings)
    if pid is None:
        return ServerStatus(
            running=False, pid=None, bolt_uri=None, http_port=None, home=settings.home
        )
    config = server_config(settings)
    n_neurons = None
    if count_neurons:
        with Database.connect(config) as db:
            n_neurons = int(db.read(read_cypher("ingest", "counts"))[0]["neurons"])
    _, http_port = _ports(settings)
    return ServerStatus(
        running=True,
        pid=pid,
        bolt_uri=config.uri,
        http_port=http_port,
        home=settings.home,
        n_neurons=n_neurons,
    )
