"""`n2g serve`: the read-only search service and viewer (n2g.serve) over the database.

The port is bound before the database is opened, so a port in use or a bad address fails
at once with one line; the bound socket is handed to uvicorn, so no other process can take
the port in between. It serves 127.0.0.1 unless told otherwise: any other address needs an
explicit --host and earns a warning, as everyone who reaches it can read the database.
Requests must name the service by a loopback name, the --host given, or an --allow-host
name (n2g.serve.hosts: a web page elsewhere cannot read it through DNS rebinding).
Nothing prints the password: uvicorn logs warnings only (no access log), and the database
flags are never echoed.
With --warm every unit's answers are built in the background from the start (n2g.serve.warm)
and a line says when all are; the interpreter hands its lock over every SWITCH_INTERVAL_S
rather than every 5 ms, so that a thread building answers delays the event loop serving
kept ones by that much at most.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import signal
import socket
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from n2g.cli.common import echo, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_config, database_options
from n2g.db.connection import Database, DatabaseConfig
from n2g.errors import N2GError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
ANY_ADDRESS = ("0.0.0.0", "::", "")  # every interface: no name a client would send
MAX_WORKERS = 64
SWITCH_INTERVAL_S = 0.001  # Python's default, 0.005, holds kept answers back behind builders


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; N2GError (one line) when it cannot be had."""
    if not 1 <= port <= 65535:
        raise N2GError(f"port must be between 1 and 65535, got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise N2GError(f"cannot serve on {host!r}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise N2GError(
                f"port {port} on {host} is in use: stop what serves there or pick --port"
            ) from None
        raise N2GError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


AllowHostOption = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-host",
        metavar="<name>",
        help="also answer requests naming the service so (a LAN name or address; repeat "
        "for more; * for any): loopback names and --host's are always answered",
    ),
]


def served_names(host: str, allowed: list[str]) -> list[str]:
    """The names requests may give in Host beside the loopback ones: `host` (unless it is
    every interface) and each `--allow-host`; N2GError for one that is no host name. Warns
    when other machines can reach the service."""
    for name in allowed:
        if name != "*" and not re.fullmatch(r"\[?[A-Za-z0-9._:%-]+\]?", name):
            raise N2GError(f"--allow-host takes a host name or address, got {name!r}")
    if host not in LOCAL_HOSTS:
        echo(
            f"warning: serving on {host}: anyone who can reach this machine can read the database",
            err=True,
        )
    if host in ANY_ADDRESS and not allowed:
        echo(
            "note: other machines must name this one by an --allow-host name or address "
            "(requests naming it otherwise are refused)",
            err=True,
        )
    return [*([] if host in ANY_ADDRESS else [host]), *allowed]


def url_of(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


@one_line_errors
@database_options
def serve_command(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="address to serve on; anything but 127.0.0.1/localhost/::1 lets other "
            "machines read the database",
        ),
    ] = LOCAL_HOSTS[0],
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port to serve on")] = 8000,
    cache_seconds: Annotated[
        float,
        typer.Option(
            "--cache-seconds",
            help="keep answers this long (graphs loaded meanwhile appear after it)",
        ),
    ] = 60.0,
    cache_mb: Annotated[
        int,
        typer.Option(
            "--cache-mb", help="memory for kept answers (pages and JSON), MiB, per worker"
        ),
    ] = 512,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            help="processes serving the port (each with its own database connections and "
            "cache); more use more cores",
        ),
    ] = 1,
    warm: Annotated[
        bool,
        typer.Option(
            "--warm",
            help="build every unit's page and JSON in the background from the start, so "
            "that none waits on the database (memory: about 15 kB a unit, per worker; "
            "raise --cache-mb to hold them all)",
        ),
    ] = False,
    allow_host: AllowHostOption = None,
    live_model: Annotated[
        bool,
        typer.Option(
            "--live-model",
            help="let a unit page's text box run the unit's model (loaded from this machine "
            "on the first such request) to show true activations beside the graph's",
        ),
    ] = False,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Serve the neuron graphs over HTTP: pages to browse and a JSON API. Read-only.

    Pages: / (models and quality), /units/KEY, /search, /compare, /groups; the API is
    under /api (described at /openapi.json). Examples:

      n2g serve                       (http://127.0.0.1:8000/)

      n2g serve --port 8080 --uri bolt://db:7687     (password from $N2G_PASSWORD)

      n2g serve --host 0.0.0.0 --allow-host n2g.lan   (others open http://n2g.lan:8000/)

      n2g serve --live-model          (true activations in a unit page's text box)
    """
    if not (math.isfinite(cache_seconds) and cache_seconds >= 0):
        raise N2GError(f"--cache-seconds must be a number, 0 or more, got {cache_seconds}")
    if cache_mb < 1:
        raise N2GError(f"--cache-mb must be at least 1, got {cache_mb}")
    if warm and cache_seconds == 0:
        raise N2GError("--warm keeps answers: give it --cache-seconds above 0")
    if not 1 <= workers <= MAX_WORKERS:
        raise N2GError(f"--workers must be between 1 and {MAX_WORKERS}, got {workers}")
    names = served_names(host, allow_host or [])
    sock = bind(host, port)
    try:
        config = database_config(db_flags)  # the local server started here, once
        echo(f"serving on {url_of(host, port)} (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it stops
            in_workers(
                workers,
                lambda: _serve(
                    sock, cache_seconds, cache_mb, names, config, warm=warm, live_model=live_model
                ),
            )
    finally:
        sock.close()
    echo("stopped")


def register(app: typer.Typer) -> None:
    """Add `n2g serve` to the `n2g` app."""
    app.command("serve")(serve_command)


def in_workers(workers: int, serve: Callable[[], None]) -> None:
    """Run `serve` in `workers` processes sharing the bound socket: this one and
    `workers - 1` forked before any database connection or thread exists. Ctrl-C reaches
    every process of the terminal's group; when this one stops, so do the others."""
    children: list[int] = []
    for _ in range(workers - 1):
        pid = os.fork()
        if pid == 0:  # a worker: serve until stopped, never return into the CLI
            code = 0
            try:
                serve()
            except KeyboardInterrupt:
                pass
            except BaseException:
                code = 1
            os._exit(code)
        children.append(pid)
    try:
        serve()
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _serve(
    sock: socket.socket,
    cache_seconds: float,
    cache_mb: int,
    names: list[str],
    config: DatabaseConfig,
    *,
    warm: bool,
    live_model: bool = False,
) -> None:
    # A tokenizer for /api/like?text= comes from this machine or not at all: a request
    # must never wait on the Hugging Face hub (n2g.serve.tokenizers).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import uvicorn

    from n2g.serve import create_app
    from n2g.serve.warm import Warmed

    sys.setswitchinterval(SWITCH_INTERVAL_S)

    def warmed(done: Warmed) -> None:
        what = (
            f"{done.units:,} units in {done.units_s:.0f} s, then {done.searches:,} frequent "
            f"searches, {done.seconds:.0f} s in all, {done.kept_mb:,.0f} MiB kept"
        )
        if done.all_kept:
            echo(f"warm: every unit's page and JSON kept ({what})")
        else:
            echo(f"warm: not every unit's answers fit in --cache-mb {cache_mb} ({what})", err=True)

    with Database.connect(config) as db:
        app = create_app(
            db,
            cache_ttl_s=cache_seconds,
            cache_mb=cache_mb,
            allowed_hosts=names,
            live_model=live_model,
            warm=warm,
            on_warm=warmed,
        )
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                server_header=False,
                proxy_headers=False,
                timeout_graceful_shutdown=5,
            )
        )
        # uvicorn re-raises Ctrl-C after its graceful shutdown: the caller catches it
        server.run(sockets=[sock])
