"""The database flags every DB-using command declares, so they read the same everywhere.

@app.command()
def search(..., uri: UriOption = None, user: UserOption = None,
           password: PasswordOption = None, database: DatabaseOption = None):
    with open_database(uri, user, password, database) as db: ...
"""

from __future__ import annotations

from typing import Annotated

import typer

from n2g.db.connection import Database
from n2g.db.resolve import resolve_database

_PANEL = "Database"

UriOption = Annotated[
    str | None,
    typer.Option(
        "--uri",
        help="Bolt address, e.g. bolt://localhost:7687 (default: $N2G_URI, else the local server)",
        rich_help_panel=_PANEL,
        show_default=False,
    ),
]
UserOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        help="database user (default: $N2G_USER, else neo4j)",
        rich_help_panel=_PANEL,
        show_default=False,
    ),
]
PasswordOption = Annotated[
    str | None,
    typer.Option(
        "--password",
        help="database password (default: $N2G_PASSWORD; prefer the "
        "variable: flags show in the process list)",
        rich_help_panel=_PANEL,
        show_default=False,
    ),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="database name (default: $N2G_DATABASE, else the server's default)",
        rich_help_panel=_PANEL,
        show_default=False,
    ),
]


def open_database(
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    *,
    start_local: bool = True,
) -> Database:
    """Resolve the flags (then N2G_*, then the local server) and connect; N2GError if not."""
    return Database.connect(
        resolve_database(uri, user, password, database, start_local=start_local)
    )
