"""Which database a command talks to: flags, then N2G_* variables, then the local server."""

from __future__ import annotations

import os
import sys

from n2g.db import server
from n2g.db.connection import DatabaseConfig
from n2g.errors import N2GError


def resolve_database(
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    *,
    start_local: bool = True,
) -> DatabaseConfig:
    """The database to use.

    1. `uri` given (a flag): that server; user/password/database from the flags, else from
       N2G_USER/N2G_PASSWORD/N2G_DATABASE.
    2. N2G_URI set: that server, the flags overriding the other N2G_* variables.
    3. Otherwise the local ArcadeDB server (`n2g db up`), started on demand when
       `start_local`, else an N2GError saying how to start it.
    """
    uri = uri or os.environ.get("N2G_URI") or None
    if uri:
        try:
            return DatabaseConfig(
                uri=uri,
                user=user or os.environ.get("N2G_USER") or "neo4j",
                password=password if password is not None else os.environ.get("N2G_PASSWORD", ""),
                database=database or os.environ.get("N2G_DATABASE") or None,
            )
        except ValueError as exc:  # pydantic: a bad URI scheme
            raise N2GError(
                f"bad database URI {uri!r}: use bolt://HOST:PORT or neo4j://HOST:PORT"
            ) from exc
    settings = server.LocalServerSettings()
    if server.running_pid(settings) is None:
        if not start_local:
            raise N2GError(
                "no database configured and the local server is not running: "
                "start it with `n2g db up`, or set N2G_URI / pass --uri"
            )
        print(f"starting the local database server ({settings.home}) ...", file=sys.stderr)
        server.start(settings)
    return server.server_config(settings)
