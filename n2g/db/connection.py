"""Connecting to the graph database over Bolt (Neo4j, or the local ArcadeDB server).

I/O lives here; the work it serves (ingest, queries) passes Cypher text and a parameter
dict. Parameters travel as one explicit dict, so no user value can clash with a keyword
argument of ours and nothing user-supplied is ever spliced into query text.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from neo4j import Auth, Driver, GraphDatabase, ManagedTransaction, Session, basic_auth
from neo4j import exceptions as neo4j_errors
from neo4j.auth_management import AuthManager
from pydantic import BaseModel, ConfigDict, Field, field_validator

from n2g.db.identity import PeerGuard
from n2g.db.watchdog import Watchdog, address_of
from n2g.errors import N2GError

T = TypeVar("T")

# The driver logs each retry of a failed transaction as a warning ("Transaction failed and
# will be retried in 0.8s (Failed to write to defunct connection ...)"); with no logging
# configured Python prints those to stderr, several lines before the one `error:` line the
# user should see. Its records stay available to an application that configures logging
# (a handler on "neo4j" or the root logger); only Python's last-resort printer is silenced.
logging.getLogger("neo4j").addHandler(logging.NullHandler())


class DatabaseConfig(BaseModel):
    """Where the database is. Resolved from flags, then N2G_* variables, then the local server."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    uri: str = Field(description="bolt:// or neo4j:// address")
    user: str = "neo4j"
    password: str = Field(default="", repr=False)
    database: str | None = Field(default=None, description="database name (None: server default)")
    local_server: Path | None = Field(
        default=None,
        description="the local server's data folder: every connection proves that its "
        "peer is that folder's server before the password is sent (n2g.db.identity)",
    )

    @field_validator("uri")
    @classmethod
    def _bolt_scheme(cls, uri: str) -> str:
        schemes = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")
        if not uri.startswith(schemes):
            raise ValueError(f"database URI must start with bolt:// or neo4j://, got {uri!r}")
        return uri

    @classmethod
    def from_env(
        cls,
        prefix: str = "N2G_",
        *,
        uri: str | None = None,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
    ) -> DatabaseConfig | None:
        """The database named by the given values, each one not given read from
        {prefix}URI/USER/PASSWORD/DATABASE (the only place these variables are read; an
        empty one counts as unset, except the password); None when neither names a URI.
        ValueError (pydantic's) for a URI that is not bolt:// or neo4j://."""
        given = {"uri": uri, "user": user, "password": password, "database": database}
        values: dict[str, str] = {}
        for name, value in given.items():
            if not _is_set(name, value):
                value = os.environ.get(f"{prefix}{name.upper()}")
            if value is not None and _is_set(name, value):
                values[name] = value  # the others keep the field defaults
        if "uri" not in values:
            return None
        return cls(**values)


def _is_set(name: str, value: str | None) -> bool:
    """An empty password is a password; an empty address, user or database name is unset."""
    return value is not None and (value != "" or name == "password")


# ArcadeDB's answer when a record a query reaches through an edge list is gone: a store
# left inconsistent (several jobs writing at once, a killed server), which deleting the
# records does not repair (n2g.db.server.recreate_database does).
_DAMAGED_STORE = re.compile(r"Record #\d+:\d+ not found")


def _explain(exc: Exception, config: DatabaseConfig) -> N2GError:
    """One actionable line for a driver failure."""
    if isinstance(exc, neo4j_errors.AuthError):
        return N2GError(f"database at {config.uri} refused user {config.user!r}: wrong password?")
    if isinstance(exc, neo4j_errors.ServiceUnavailable | OSError):
        return N2GError(
            f"no database answers at {config.uri}: start one with `n2g db up` "
            "(or `docker compose up -d` for Neo4j), or set N2G_URI"
        )
    if isinstance(exc, StoppedAnswering):
        return N2GError(
            f"the database at {config.uri} accepts connections but stopped answering "
            "(frozen or overloaded): restart it (the local server: `n2g db down`, then "
            "`n2g db up`); the work it had finished is kept"
        )
    message = getattr(exc, "message", None) or str(exc)
    first_line = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    if _DAMAGED_STORE.search(first_line):
        return N2GError(
            f"database error: {first_line}: the store is damaged; `n2g db clear --yes` "
            "recreates the local server's database (then rerun the job to load it again)"
        )
    if config.database and "database" in first_line.lower():
        return N2GError(f"database {config.database!r} at {config.uri}: {first_line}")
    return N2GError(f"database error: {first_line}")


class LocalServerAuth(AuthManager):
    """The local server's credentials, handed to the driver only for a connection whose
    peer is that server: the driver asks for them after connecting and before HELLO, for
    every connection it opens (its pool re-connects on its own) and on reuse."""

    def __init__(self, config: DatabaseConfig, home: Path) -> None:
        self._auth = basic_auth(config.user, config.password)
        self._guard = PeerGuard(home, address_of(config.uri)[1])

    def get_auth(self) -> Auth:
        self._guard.check()  # UntrustedListener: the driver drops the connection
        return self._auth

    def handle_security_exception(
        self, auth: tuple[str, str] | Auth | None, error: neo4j_errors.Neo4jError
    ) -> bool:
        return False  # a refused password stays refused


def _auth(config: DatabaseConfig) -> tuple[str, str] | AuthManager:
    if config.local_server is None:
        return (config.user, config.password)
    return LocalServerAuth(config, config.local_server)


class StoppedAnswering(Exception):
    """The watchdog found the server no longer answering during a call."""


DRIVER_ERRORS = (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError)


class Database:
    """A connected database: run read queries, run write work in one transaction. Every
    call is watched (`n2g.db.watchdog`), so a server that stops answering ends it in
    seconds instead of never."""

    def __init__(self, config: DatabaseConfig, driver: Driver) -> None:
        self.config = config
        self._driver = driver
        self.watchdog = Watchdog(config.uri)

    @contextlib.contextmanager
    def _call(self) -> Iterator[None]:
        """Bracket one call: watched, and its driver failure turned into one line."""
        if self.watchdog.dead and not self.watchdog.alive():
            raise _explain(StoppedAnswering(), self.config)
        try:
            with self.watchdog.watching():
                yield
        except DRIVER_ERRORS as exc:
            cause: Exception = exc
            if self.watchdog.dead:
                cause = StoppedAnswering()
            elif isinstance(exc, neo4j_errors.DatabaseError) and not self.watchdog.alive():
                cause = neo4j_errors.ServiceUnavailable()  # it failed because it went away
            raise _explain(cause, self.config) from exc

    @classmethod
    def connect(cls, config: DatabaseConfig) -> Database:
        """Open a driver and check the server answers; N2GError (one line) when it does not."""
        driver = GraphDatabase.driver(
            config.uri,
            auth=_auth(config),
            connection_timeout=5.0,
            max_transaction_retry_time=5.0,
        )
        db = cls(config, driver)
        try:
            db.read("RETURN 1 AS ok", {})
        except N2GError:
            driver.close()
            raise
        return db

    def close(self) -> None:
        self.watchdog.close()
        self._driver.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _session(self) -> Session:
        return self._driver.session(database=self.config.database)

    def read(
        self, query: str, params: dict[str, Any] | None = None, *, plain: bool = True
    ) -> list[dict[str, Any]]:
        """Run a read query; return its records as dicts.

        `plain`: nodes and relationships inside the values become dicts of their
        properties (a deep copy). With False they stay the driver's read-only node objects,
        which answer `node[name]`, `name in node` and `node.get(name)` like those dicts:
        the copy costs as much as decoding for records holding thousands of values (a unit
        with its trie and evidence), and readers that only look properties up skip it."""
        with self._call(), self._session() as session:
            result = session.run(query, params or {})
            if not plain:
                return [dict(record) for record in result]
            return [record.data() for record in result]

    def write(self, work: Callable[[ManagedTransaction], T]) -> T:
        """Run `work(tx)` in one write transaction: all of it commits, or none of it."""
        with self._call(), self._session() as session:
            return session.execute_write(work)

    def execute(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one write query in its own transaction; return its records as dicts."""
        return self.write(lambda tx: [r.data() for r in tx.run(query, params or {})])
