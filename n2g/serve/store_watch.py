"""Knowing whether the store changed, so kept answers can live as long as it does not.

The service's answers are pure functions of the store. Expiring them on a timer alone
(n2g.serve.cache) means recomputing every page a minute, and a cache that must be refilled
that often can never hold a whole model: at 46,080 units most visits would be first
visits, each a database round trip, a decode and a render. So a watch thread reads one
stamp of the store every `every_s` seconds (queries/store_stamp.cypher: every unit's graph
hash, the FEEDS edges, the groups with their ablations and the models' properties, hashed
here): when it is the same as last time, every cache is renewed, however old its entries; when it
differs, every cache is cleared and `on_change` runs (re-warming, n2g.serve.warm). Graphs
loaded while the service runs show up within `every_s` seconds plus one read of the stamp.

Reading the stamp costs the database a pass over the units (about 3 s on 46,080 units on
a loaded 2-core machine; what the relation counts would cost, 30-40 s each on ArcadeDB,
is why similarity is vouched for by its recorded run instead). The watch reads the
database from its own thread; a failed read (the database restarting)
renews nothing, so the caches fall back on their time bound until the stamp reads again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from n2g.db.connection import Database
from n2g.errors import N2GError
from n2g.search import store

log = logging.getLogger(__name__)


class Renewable(Protocol):
    def renew(self, since: float) -> None: ...

    def clear(self) -> None: ...


def store_stamp(db: Database) -> str:
    """A hash of what the service's answers depend on (queries/store_stamp.cypher)."""
    rows = db.read(store.query("store_stamp"))
    row: dict[str, Any] = dict(rows[0]) if rows else {}
    row["graphs"] = sorted(str(h) for h in row.get("graphs") or [])
    for name in ("groups", "models"):
        row[name] = sorted(json.dumps(item, sort_keys=True) for item in row.get(name) or [])
    text = json.dumps(row, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class StoreWatch:
    """Renews or clears `caches` after each look at the store (module docstring)."""

    def __init__(
        self,
        db: Database,
        caches: Sequence[Renewable],
        *,
        every_s: float,
        on_change: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.caches = list(caches)
        self.every_s = every_s
        self.on_change = on_change
        self._clock = clock
        self._stamp: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Look at the store once: True when it differs from the last look, or this is
        the first (the caches are cleared, then `on_change` runs: nothing kept before can
        be vouched for), False when unchanged (the caches are renewed)."""
        since = self._clock()  # the store as it is from here on is what the stamp shows
        stamp = store_stamp(self.db)
        changed = stamp != self._stamp
        self._stamp = stamp
        for cache in self.caches:
            if changed:
                cache.clear()
            else:
                cache.renew(since)
        if changed:
            self.on_change()
        return changed

    def start(self) -> None:
        """Look now (before the first request: the first stamp), then every `every_s`
        seconds in a daemon thread."""
        self._look()
        self._thread = threading.Thread(target=self._run, name="n2g-store-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self._look()

    def _look(self) -> None:
        try:
            self.check()
        except (N2GError, OSError) as exc:  # the caches keep their time bound meanwhile
            log.warning("could not read the store's stamp: %s", exc)
