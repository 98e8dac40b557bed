"""The database flags, declared once for every command that uses the database.

`--uri/--user/--password/--database` read the same on every command and stand after the
command's name (`n2g search TOKEN --uri ...`), so each command must declare them; writing
the four in ten signatures let them drift. Instead a command takes one `DatabaseFlags`
parameter, `db_flags`, and `@database_options` (an `n2g.cli.options.option_group`) puts
the four flags in its place:

    @app.command()
    @one_line_errors
    @database_options
    def search(token: str, db_flags: DatabaseFlags = NO_FLAGS) -> None:
        with open_database(db_flags) as db: ...

`database_config(flags)` resolves them once (flags, then N2G_*, then the local server,
started there and then if it is not running) into the one DatabaseConfig the command uses.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import BaseModel, ConfigDict, Field

from n2g.cli.options import option_group
from n2g.db.connection import Database, DatabaseConfig
from n2g.db.resolve import configured_database, ensure_local_server

_PANEL = "Database"


class DatabaseFlags(BaseModel):
    """The four database flags as given (None: not given)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    uri: str | None = None
    user: str | None = None
    password: str | None = Field(default=None, repr=False)
    database: str | None = None


NO_FLAGS = DatabaseFlags()

_FLAG_OPTIONS: dict[str, Any] = {
    "uri": Annotated[
        str | None,
        typer.Option(
            "--uri",
            help="Bolt address, e.g. bolt://localhost:7687 "
            "(default: $N2G_URI, else the local server, started if needed)",
            rich_help_panel=_PANEL,
            show_default=False,
        ),
    ],
    "user": Annotated[
        str | None,
        typer.Option(
            "--user",
            help="database user (default: $N2G_USER, else neo4j)",
            rich_help_panel=_PANEL,
            show_default=False,
        ),
    ],
    "password": Annotated[
        str | None,
        typer.Option(
            "--password",
            help="database password (default: $N2G_PASSWORD; prefer the "
            "variable: flags show in the process list)",
            rich_help_panel=_PANEL,
            show_default=False,
        ),
    ],
    "database": Annotated[
        str | None,
        typer.Option(
            "--database",
            help="database name (default: $N2G_DATABASE, else the server's default)",
            rich_help_panel=_PANEL,
            show_default=False,
        ),
    ],
}


# Gives a command the four database flags in place of its `db_flags: DatabaseFlags`
# parameter; a call gathers them back into one DatabaseFlags for the command.
database_options = option_group(
    "db_flags",
    {name: (option, None) for name, option in _FLAG_OPTIONS.items()},
    lambda values: DatabaseFlags(**values),
)


def database_config(flags: DatabaseFlags = NO_FLAGS) -> DatabaseConfig:
    """The one database a command uses: the flags, else N2G_*, else the local server,
    started now (one line on stderr) when it is not running."""
    config = configured_database(flags.uri, flags.user, flags.password, flags.database)
    return config if config is not None else ensure_local_server()


def open_database(flags: DatabaseFlags = NO_FLAGS) -> Database:
    """Connect to `database_config(flags)`; N2GError (one line) when it does not answer."""
    return Database.connect(database_config(flags))
