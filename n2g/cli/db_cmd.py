"""`n2g db up|down|status|init|clear` (the local server and the schema), and `n2g ingest`."""

from __future__ import annotations

from typing import Annotated

import typer

from n2g.cli.common import echo, fail, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_options, open_database
from n2g.cli.ingest import ingest_command
from n2g.db import server
from n2g.db.ingest import clear_database, database_counts
from n2g.db.resolve import configured_database
from n2g.db.schema import apply_schema
from n2g.errors import N2GError

db_app = typer.Typer(
    help="The graph database: the local server, the schema, clearing.",
    no_args_is_help=True,
)

_REMEMBERED = "(default: the one the server last started on, else {})"
BoltPort = Annotated[
    int | None,
    typer.Option(
        "--bolt-port",
        min=1,
        max=65535,
        help=f"Bolt port on 127.0.0.1 {_REMEMBERED.format(server.DEFAULT_BOLT_PORT)}",
        show_default=False,
    ),
]
HttpPort = Annotated[
    int | None,
    typer.Option(
        "--http-port",
        min=1,
        max=65535,
        help=f"HTTP port on 127.0.0.1 {_REMEMBERED.format(server.DEFAULT_HTTP_PORT)}",
        show_default=False,
    ),
]


@db_app.command("up")
@one_line_errors
def up(
    bolt_port: BoltPort = None,
    http_port: HttpPort = None,
    heap: Annotated[
        str | None,
        typer.Option("--heap", help=f"Java heap (default: {server.DEFAULT_HEAP})"),
    ] = None,
) -> None:
    """Start the local ArcadeDB server (127.0.0.1 only; data under $N2G_DATA_DIR).

    The ports are remembered: commands that start the server on demand reuse them.

    Example: n2g db up --bolt-port 7690 --http-port 2481
    """
    given = {"bolt_port": bolt_port, "http_port": http_port, "heap": heap}
    try:
        settings = server.LocalServerSettings.remembered(
            **{name: value for name, value in given.items() if value is not None}
        )
    except ValueError:
        raise fail(f"bad heap size {heap!r}: use e.g. 512m or 2g") from None
    already = server.running_pid(settings) is not None
    status = server.start(settings)
    echo(
        f"local server {'already running' if already else 'started'} "
        f"(pid {status.pid}) at {status.bolt_uri}, database {server.DATABASE_NAME!r}"
    )
    echo(f"data: {settings.home}   password file: {settings.password_file}")
    remembered = bolt_port is None and http_port is None
    if remembered and server.ports_reason(settings):
        echo(f"ports {settings.bolt_port}/{settings.http_port}: {server.ports_reason(settings)}")


@db_app.command("down")
@one_line_errors
def down() -> None:
    """Stop the local server (its data stays). Example:

    n2g db down
    """
    stopped = server.stop()
    echo("local server stopped" if stopped else "local server was not running")


@db_app.command("status")
@one_line_errors
def status() -> None:
    """Whether the local server runs, where it listens and how many neurons it holds
    (exit status 3 when it does not run). Example:

      n2g db status
    """
    info = server.status()
    if not info.running:
        echo(f"local server not running (data: {info.home}); start it with `n2g db up`")
        raise typer.Exit(3)
    echo(
        f"local server running (pid {info.pid}) at {info.bolt_uri}, "
        f"HTTP 127.0.0.1:{info.http_port}, database {server.DATABASE_NAME!r}"
    )
    echo(f"neurons: {info.n_neurons:,}   data: {info.home}")


@db_app.command("init")
@one_line_errors
@database_options
def init(db_flags: DatabaseFlags = NO_FLAGS) -> None:
    """Create the schema's constraints and indexes (idempotent). Example:

    n2g db init --uri bolt://localhost:7687 --user neo4j
    """
    with open_database(db_flags) as db:
        n = apply_schema(db)
    echo(f"schema applied ({n} constraints and indexes, existing ones kept)")


@db_app.command("clear")
@one_line_errors
@database_options
def clear(
    yes: Annotated[bool, typer.Option("--yes", help="really delete everything")] = False,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Delete every node and relationship (the schema stays). Needs --yes. The local
    server's database is recreated from new files (the server restarts), which also repairs
    a damaged store; another server's records are deleted in batches. Example:

    n2g db clear --yes
    """
    flags = (db_flags.uri, db_flags.user, db_flags.password, db_flags.database)
    local = configured_database(*flags) is None
    with open_database(db_flags) as db:
        try:
            neurons = f"{database_counts(db)['neurons']:,}"
        except N2GError:
            if not local:
                raise
            neurons = "every"  # a damaged local store may not even count: clearing mends it
        if not yes:
            raise fail(
                f"this deletes {neurons} neuron(s) and everything else in "
                f"{db.config.uri}: add --yes to go ahead"
            )
        if not local:
            echo(f"deleted {clear_database(db):,} node(s)")
            return
    server.recreate_database()
    with open_database(db_flags) as db:
        apply_schema(db)
    echo(f"deleted {neurons} neuron(s) and everything else: the local database was recreated")


def register(app: typer.Typer) -> None:
    """Add `n2g db ...` and `n2g ingest` to the `n2g` app."""
    app.add_typer(db_app, name="db")
    app.command("ingest")(ingest_command)
