"""The local database server: ArcadeDB (from the `arcadedb-embedded` wheel) speaking Bolt.

Where there is no Docker (CI, these machines) the same Cypher runs against a local ArcadeDB
server. It listens on 127.0.0.1 only, keeps its data under the user's data directory
(`<data dir>/server`; n2g.paths: $N2G_DATA_DIR, else $XDG_DATA_HOME/n2g, else
~/.local/share/n2g), its random root password in a file only the user can read, and its
process id in a pid file so `down` stops exactly the process `up` started.

The password reaches the server as the path of that file, never as a value on the java
command line (which any local user can read with ps). The folder also remembers the ports
its server last started on (server.json), so a server started on demand comes back where
`n2g db up --bolt-port P` put it. A start that fails says why at once, from the new part
of the server's log, instead of waiting out the start-up timeout.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neo4j import exceptions as neo4j_errors
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from n2g.db.connection import Database, DatabaseConfig
from n2g.db.identity import MAIN_CLASS, PID_FILE, is_our_server, orphaned_pids, read_pid
from n2g.db.processes import free_port as free_port  # re-exported: callers use server.X
from n2g.db.processes import port_held_by, port_is_free, stop_process
from n2g.db.server_folder import check_folder, make_folder, open_log, read_file, write_file
from n2g.db.server_log import FATAL_MARKERS, failure_cause, log_since, log_size
from n2g.errors import N2GError, printable
from n2g.paths import data_dir
from n2g.resources import read_cypher

DATABASE_NAME = "n2g"
ROOT_USER = "root"
DEFAULT_BOLT_PORT = 7688  # not 7687: a Neo4j from docker-compose may hold that one
DEFAULT_HTTP_PORT = 2480
DEFAULT_HEAP = "2g"


class LocalServerSettings(BaseModel):
    """Where the local server keeps its files and which ports it takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path = Field(default_factory=lambda: data_dir() / "server")
    bolt_port: int = Field(DEFAULT_BOLT_PORT, ge=1, le=65535)
    http_port: int = Field(DEFAULT_HTTP_PORT, ge=1, le=65535)
    heap: str = Field(DEFAULT_HEAP, pattern=r"^[1-9]\d*[mMgG]$", description="Java -Xmx")
    start_timeout_s: float = Field(90.0, gt=0)

    @classmethod
    def remembered(cls, **settings: Any) -> LocalServerSettings:
        """These settings, with the ports the folder's server last started on (server.json)
        where `settings` name none, else the defaults. A damaged server.json is ignored."""
        named = cls(**{k: v for k, v in settings.items() if k == "home"})
        ports = {k: v for k, v in _read_state(named).items() if k in ("bolt_port", "http_port")}
        try:
            return cls(**{**ports, **settings})
        except ValidationError:
            return cls(**settings)

    @property
    def password_file(self) -> Path:
        return self.home / "password"

    @property
    def pid_file(self) -> Path:
        return self.home / PID_FILE

    @property
    def state_file(self) -> Path:
        return self.home / "server.json"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"

    @property
    def users_file(self) -> Path:
        """Where ArcadeDB keeps the users it made on its first start (with the password)."""
        return self.home / "root" / "config" / "server-users.jsonl"


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
            "the local server needs the arcadedb-embedded package: pip install "
            "'neuron2graph[local-db]' (or name another server: --uri or N2G_URI)"
        ) from exc
    return Path(arcadedb_embedded.__file__).resolve().parent


def _password(settings: LocalServerSettings) -> str:
    """The server's root password: made once at random, kept in a 0600 file."""
    stored = read_file(settings.password_file, secret=True)
    if stored is not None:
        return stored.strip()
    password = secrets.token_urlsafe(24)
    write_file(settings.password_file, password + "\n")
    return password


def ports_reason(settings: LocalServerSettings) -> str:
    """Why the server listens where it does, when that is not the default ports ("" when it
    is): a shared data folder can remember ports another job chose, so say it once."""
    if (settings.bolt_port, settings.http_port) == (DEFAULT_BOLT_PORT, DEFAULT_HTTP_PORT):
        return ""
    return (
        f"the ports its data folder remembers, not the defaults {DEFAULT_BOLT_PORT}/"
        f"{DEFAULT_HTTP_PORT}; `n2g db up --bolt-port N --http-port M` moves them"
    )


def _read_state(settings: LocalServerSettings) -> dict[str, Any]:
    """server.json: the pid and ports of the last start ({} when absent or damaged)."""
    try:
        state = json.loads(read_file(settings.state_file) or "{}")
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def _ports(settings: LocalServerSettings) -> tuple[int, int]:
    """The ports the server was last started with (its state file), else the settings'."""
    state = _read_state(settings)
    try:
        return int(state["bolt_port"]), int(state["http_port"])
    except (KeyError, TypeError, ValueError):
        return settings.bolt_port, settings.http_port


def server_config(settings: LocalServerSettings) -> DatabaseConfig:
    """How to reach the local server (whether or not it is running)."""
    check_folder(settings.home)
    bolt_port, _ = _ports(settings)
    if not settings.password_file.exists() and settings.users_file.exists():
        raise _password_mismatch(settings)  # made users once, with the lost password
    return DatabaseConfig(
        uri=f"bolt://127.0.0.1:{bolt_port}",
        user=ROOT_USER,
        password=_password(settings) if settings.password_file.exists() else "",
        database=DATABASE_NAME,
        local_server=settings.home,
    )


def running_pid(settings: LocalServerSettings) -> int | None:
    """The pid of our running server, or None (a stale pid file is removed)."""
    check_folder(settings.home)
    pid = read_pid(settings.home)
    if pid is None:
        return None
    if is_our_server(pid, settings.home):
        return pid
    with contextlib.suppress(FileNotFoundError):
        settings.pid_file.unlink()
    return None


def _java_command(settings: LocalServerSettings) -> list[str]:
    """The server's command line: no secret on it (the root password is read from its
    0600 file, `rootPasswordPath`, by a server creating its users on first start)."""
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
        f"-Darcadedb.server.rootPasswordPath={settings.password_file}",
        "-Darcadedb.server.httpIncomingHost=127.0.0.1",
        f"-Darcadedb.server.httpIncomingPort={settings.http_port}",
        "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
        "-Darcadedb.bolt.host=127.0.0.1",
        f"-Darcadedb.bolt.port={settings.bolt_port}",
        f"-Darcadedb.server.defaultDatabases={DATABASE_NAME}[{ROOT_USER}]",
        "-cp",
        str(package / "jars" / "*"),
        MAIN_CLASS,
    ]


def _wait_ready(settings: LocalServerSettings, process: subprocess.Popen, log_offset: int) -> None:
    """Block until the server answers Cypher over Bolt; N2GError (with the cause from the
    server's log) as soon as it exits or gives up, or when it does not answer in time.

    The credentials go only to a listener that is the server process itself: another local
    user may bind the port in the seconds before the JVM does, and would otherwise receive
    the root password in the readiness check's Bolt HELLO."""
    config = DatabaseConfig(
        uri=f"bolt://127.0.0.1:{settings.bolt_port}",
        user=ROOT_USER,
        password=_password(settings),
        database=DATABASE_NAME,
        local_server=settings.home,
    )
    deadline = time.monotonic() + settings.start_timeout_s
    while time.monotonic() < deadline:
        exited = process.poll() is not None
        log_text = log_since(settings.log_file, log_offset)
        if exited or any(marker in log_text for marker in FATAL_MARKERS):
            stop_process(process.pid)  # a server that gave up may linger: stop it
            raise N2GError(
                f"the local server could not start: {failure_cause(log_text)} "
                f"(log {settings.log_file})"
            )
        with socket.socket() as probe:
            probe.settimeout(0.5)
            listening = probe.connect_ex(("127.0.0.1", settings.bolt_port)) == 0
        if listening and port_held_by(process.pid, settings.bolt_port) is False:
            # Someone else bound the port between the free-port check and the server: the
            # root password must not be sent there. The server itself cannot bind it.
            stop_process(process.pid)
            raise N2GError(
                f"port {settings.bolt_port} on 127.0.0.1 was taken by another process while "
                "the local server started; nothing was sent to it. Start it on another port: "
                "`n2g db up --bolt-port N`"
            )
        if listening:
            try:
                Database.connect(config).close()
                return
            except N2GError as exc:
                if isinstance(exc.__cause__, neo4j_errors.AuthError):
                    stop_process(process.pid)
                    raise _password_mismatch(settings) from None
                # otherwise the Bolt port opens before the database is ready: wait
        time.sleep(0.25)
    stop_process(process.pid)
    raise N2GError(
        f"the local server did not answer within {settings.start_timeout_s:.0f} s "
        f"(log {settings.log_file})"
    )


def _password_mismatch(settings: LocalServerSettings) -> N2GError:
    return N2GError(
        f"the local server's data in {settings.home} does not accept the password in "
        f"{settings.password_file} (the file was deleted or changed after the data was made): "
        "restore that file, or move the folder away to start a new, empty database"
    )


def _check_can_start(settings: LocalServerSettings) -> None:
    """Refuse at once what cannot work: one port for both, or a port already taken."""
    if settings.bolt_port == settings.http_port:
        raise N2GError(
            f"the Bolt and HTTP ports are both {settings.bolt_port}: give them different ones, "
            "e.g. `n2g db up --bolt-port N --http-port M`"
        )
    for name, port in (("Bolt", settings.bolt_port), ("HTTP", settings.http_port)):
        if not port_is_free(port):
            flag = "--bolt-port" if name == "Bolt" else "--http-port"
            raise N2GError(
                f"port {port} on 127.0.0.1 ({name}) is already taken: start the local server "
                f"on a free one with `n2g db up {flag} N`, or set N2G_URI to use another database"
            )


def _server_environment() -> dict[str, str]:
    """The server's environment: ours without the database credentials (a process's
    environment is readable wherever its command line is, and the server needs none)."""
    secret = ("N2G_PASSWORD", "N2G_TEST_PASSWORD", "NEO4J_PASSWORD", "NEO4J_AUTH")
    return {name: value for name, value in os.environ.items() if name not in secret}


def _launch(settings: LocalServerSettings) -> None:
    """Start the server process and wait until it answers (no checks: see `start`)."""
    make_folder(settings.home)
    _password(settings)  # made before the first start: the server reads it from its file
    previous_state = _read_state(settings)
    log_offset = log_size(settings.log_file)
    with open_log(settings.log_file) as log:
        # A new session: Ctrl-C in the shell that ran `n2g db up` does not stop the server.
        process = subprocess.Popen(
            _java_command(settings),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=settings.home,
            env=_server_environment(),
        )
    write_file(settings.pid_file, f"{process.pid}\n")
    state = {"pid": process.pid, "bolt_port": settings.bolt_port, "http_port": settings.http_port}
    write_file(settings.state_file, json.dumps(state) + "\n")
    try:
        _wait_ready(settings, process, log_offset)
    except N2GError:  # stopped: the folder keeps the ports of its last good start
        with contextlib.suppress(FileNotFoundError):
            settings.pid_file.unlink()
        if previous_state:
            write_file(settings.state_file, json.dumps(previous_state) + "\n")
        else:
            settings.state_file.unlink(missing_ok=True)
        raise


def start(settings: LocalServerSettings | None = None) -> ServerStatus:
    """Start the local server (no-op if it already runs) and wait until it answers."""
    settings = settings or LocalServerSettings.remembered()
    if running_pid(settings) is not None:
        return status(settings, count_neurons=False)
    refuse_orphans(settings)
    if not settings.password_file.exists() and settings.users_file.exists():
        raise _password_mismatch(settings)  # a new password would never be accepted
    _check_can_start(settings)
    _launch(settings)
    return status(settings, count_neurons=False)


def refuse_orphans(settings: LocalServerSettings) -> None:
    """N2GError (one line) when a server of ours still runs from this folder although its
    pid file is gone (the folder was deleted or emptied under it): a new server beside it
    would answer with an empty store while the old one holds the data and the memory."""
    orphans = orphaned_pids(settings.home)
    if orphans:
        raise N2GError(
            f"the local server's folder {printable(str(settings.home))} was deleted or moved "
            f"while its server ran on (pid {orphans[0]}): `n2g db down` stops it, then "
            "`n2g db up` starts a new, empty one (or restore the folder)"
        )


def recreate_database(settings: LocalServerSettings | None = None) -> ServerStatus:
    """Replace the local server's database with an empty one: stop the server, delete the
    database's folder, start it again (it creates the database on start).

    Why not delete the records: a store left inconsistent (several jobs writing at once,
    a killed server) can keep answering "Record #B:P not found" to reads after every node
    is deleted, because the damage is in the files, not in the records a query can reach.
    New files cannot carry it. The users, the password and the ports stay."""
    settings = settings or LocalServerSettings.remembered()
    stop(settings)
    folder = settings.home / "databases" / DATABASE_NAME
    if folder.is_dir():
        shutil.rmtree(folder)
    return start(settings)


def stop(settings: LocalServerSettings | None = None) -> bool:
    """Stop the local server, and any server of ours left orphaned in the same folder;
    False when none was running."""
    settings = settings or LocalServerSettings()
    pid = running_pid(settings)
    pids = sorted({*([pid] if pid is not None else []), *orphaned_pids(settings.home)})
    for each in pids:
        stop_process(each)
    with contextlib.suppress(FileNotFoundError):
        settings.pid_file.unlink()
    return bool(pids)


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
