"""The database flags, declared once for every command that uses the database.

`--uri/--user/--password/--database` read the same on every command and stand after the
command's name (`n2g search TOKEN --uri ...`), so each command must declare them; writing
the four in ten signatures let them drift. Instead a command takes one `DatabaseFlags`
parameter and `@database_options` puts the four flags in its place:

    @app.command()
    @one_line_errors
    @database_options
    def search(token: str, db_flags: DatabaseFlags = NO_FLAGS) -> None:
        with open_database(db_flags) as db: ...

`database_config(flags)` resolves them once (flags, then N2G_*, then the local server,
started there and then if it is not running) into the one DatabaseConfig the command uses.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ConfigDict, Field

from n2g.db.connection import Database, DatabaseConfig
from n2g.db.resolve import configured_database, ensure_local_server

_PANEL = "Database"

R = TypeVar("R")


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


def database_options(command: Callable[..., R]) -> Callable[..., R]:
    """Give `command` the four database flags in place of its `DatabaseFlags` parameter.

    Typer reads the returned function's signature: the command's own parameters, minus the
    `DatabaseFlags` one, plus `--uri/--user/--password/--database`; a call gathers the four
    back into one DatabaseFlags for the command.
    """
    signature = inspect.signature(command, eval_str=True)
    target = next(
        (p.name for p in signature.parameters.values() if p.annotation is DatabaseFlags), None
    )
    clash = set(_FLAG_OPTIONS) & set(signature.parameters)
    if target is None or clash:
        raise TypeError(
            f"{command.__name__}: @database_options needs one DatabaseFlags parameter "
            f"and no parameter named {sorted(_FLAG_OPTIONS)} (clash: {sorted(clash)})"
        )
    flags = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=option)
        for name, option in _FLAG_OPTIONS.items()
    ]
    kept = [p for p in signature.parameters.values() if p.name != target]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in kept):
        raise TypeError(f"{command.__name__}: @database_options cannot take **kwargs")

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> R:
        given = {name: kwargs.pop(name, None) for name in _FLAG_OPTIONS}
        return command(*args, **kwargs, **{target: DatabaseFlags(**given)})

    wrapper.__signature__ = signature.replace(parameters=[*kept, *flags])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {
        **{p.name: p.annotation for p in kept if p.annotation is not inspect.Parameter.empty},
        **_FLAG_OPTIONS,
        "return": signature.return_annotation,
    }
    return wrapper


def database_config(flags: DatabaseFlags = NO_FLAGS) -> DatabaseConfig:
    """The one database a command uses: the flags, else N2G_*, else the local server,
    started now (one line on stderr) when it is not running."""
    config = configured_database(flags.uri, flags.user, flags.password, flags.database)
    return config if config is not None else ensure_local_server()


def open_database(flags: DatabaseFlags = NO_FLAGS) -> Database:
    """Connect to `database_config(flags)`; N2GError (one line) when it does not answer."""
    return Database.connect(database_config(flags))
