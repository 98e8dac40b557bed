"""Which database a command talks to: flags, then N2G_* variables, then the local server.

Answering that question never starts anything: a library call or a `--dry-run` that only
asks where the database is must not leave a Java server running. Starting the local server
is its own explicit step, `ensure_local_server`, which the commands that connect call when
no database is configured; it starts the server on the ports the data folder remembers.
"""

from __future__ import annotations

import sys

from pydantic import ValidationError

from n2g.db import server
from n2g.db.connection import DatabaseConfig
from n2g.errors import N2GError, printable


def configured_database(
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
) -> DatabaseConfig | None:
    """The database the flags name, each flag not given taken from N2G_URI, N2G_USER,
    N2G_PASSWORD, N2G_DATABASE; None when neither names a URI (the local server is meant)."""
    try:
        return DatabaseConfig.from_env(uri=uri, user=user, password=password, database=database)
    except ValidationError as exc:  # a bad URI scheme, from a flag or from N2G_URI
        bad = exc.errors()[0].get("input")
        raise N2GError(
            f"bad database URI {bad!r}: use bolt://HOST:PORT or neo4j://HOST:PORT"
        ) from None


def resolve_database(
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
) -> DatabaseConfig:
    """The database to use, starting nothing.

    1. `uri` given (a flag): that server; user/password/database from the flags, else from
       N2G_USER/N2G_PASSWORD/N2G_DATABASE.
    2. N2G_URI set: that server, the flags overriding the other N2G_* variables.
    3. Otherwise the local ArcadeDB server if it runs, else an N2GError saying how to start
       it (`n2g db up`, or `ensure_local_server()` from Python).
    """
    config = configured_database(uri, user, password, database)
    if config is not None:
        return config
    settings = server.LocalServerSettings()
    if server.running_pid(settings) is None:
        server.refuse_orphans(settings)
        raise N2GError(
            "no database configured and the local server is not running: "
            "start it with `n2g db up`, or set N2G_URI / pass --uri"
        )
    return server.server_config(settings)


def ensure_local_server(settings: server.LocalServerSettings | None = None) -> DatabaseConfig:
    """The local server's address, starting it first when it is not running (one line on
    stderr), on the ports its data folder last used (`n2g db up --bolt-port` sets them)."""
    settings = settings or server.LocalServerSettings.remembered()
    if server.running_pid(settings) is None:
        server.refuse_orphans(settings)
        reason = server.ports_reason(settings)
        print(
            f"starting the local database server on 127.0.0.1:{settings.bolt_port} "
            f"({printable(str(settings.home))}{'; ' + reason if reason else ''}) ...",
            file=sys.stderr,
        )
        server.start(settings)
    return server.server_config(settings)
