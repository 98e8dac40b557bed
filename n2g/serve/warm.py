"""Every unit's answers built ahead of the visits, so that none is a first visit.

People browse a model's units with a long tail: on the whole of SmolLM2 (46,080 units)
about a third of the unit visits in the first minutes ask for a unit nobody asked for yet.
Each such visit is a database round trip, a decode and a render (8-11 ms of CPU on a
2-core machine, where the database and the clients share the cores), and with 50 clients
those queue behind each other: the unit pages' p95 was hundreds of milliseconds however
fast the kept answers were. `n2g serve --warm` therefore builds every unit's API answer and
page once, in key order, in one background thread, through the same builders and into the
same kept answers as a request would (n2g.serve.responses): requests meanwhile are served
as before (a unit not built yet is built on demand, once). Kept answers then live as long
as the store is unchanged (n2g.serve.store_watch); when it changes they are cleared and the
warming starts again.

Units are read BATCH at a time in one round trip (n2g.serve.unit_rows), not one by one:
profiled, a unit's own CPU is about 4.5 ms (decode 1, page 2.2, JSON and gzip 1), and
what made warming cost 69 ms a unit was three database round trips a unit (its row, and
two for the unit page's circuit section, now one query a model: n2g.serve.circuits)
waiting behind everything else on a loaded machine. After the units come the most
frequent tokens' searches (n2g.serve.warm_searches).

One thread, not a pool: building is Python work under one interpreter lock, and the event
loop serving kept answers needs that lock too; the thread gives it up between units.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from n2g.errors import N2GError

log = logging.getLogger(__name__)

PAUSE_S = 0.0  # between two units: give up the interpreter lock (a 1 ms sleep cost 50 s on 46,080)
BATCH = 256  # units read in one round trip (queries/unit_views.cypher)


@dataclass(frozen=True)
class Warmed:
    """What one warming did: `units` built in `units_s` and `searches` after them, in
    `seconds` in all; the kept answers then weigh `kept_mb` MiB, and `all_kept` is False
    when the cache was too small to hold every unit's."""

    units: int
    seconds: float
    units_s: float = 0.0
    searches: int = 0
    kept_mb: float = 0.0
    all_kept: bool = True


class Warmer:
    """Runs `steps` (each builds and keeps one answer of a unit) on every key `keys()`
    lists, in a daemon thread, from each `restart()` on (the store was seen anew): `batch`
    keys at a time, `prefetch` reading them all first in one round trip; then
    `after(interrupted)` (answers that are not a unit's: the most asked searches; it
    returns how many it kept)."""

    def __init__(
        self,
        keys: Callable[[], Sequence[str]],
        steps: Sequence[Callable[[str], object]],
        *,
        prefetch: Callable[[Sequence[str]], object] = lambda keys: None,
        after: Callable[[Callable[[], bool]], int] = lambda interrupted: 0,
        on_done: Callable[[Warmed], None] = lambda warmed: None,
        batch: int = BATCH,
    ) -> None:
        self.keys = keys
        self.steps = list(steps)
        self.prefetch = prefetch
        self.after = after
        self.on_done = on_done
        self.batch = batch
        self.done = threading.Event()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def restart(self) -> None:
        """Build everything (again: the kept answers were cleared); the thread starts on
        the first call."""
        self.done.clear()
        self._wake.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="n2g-warm", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _interrupted(self) -> bool:
        return self._stop.is_set() or self._wake.is_set()

    def _run(self) -> None:
        while self._wake.wait() and not self._stop.is_set():
            self._wake.clear()
            started = time.perf_counter()
            try:
                units = self._warm_all()
                units_s = time.perf_counter() - started
                searches = 0 if units is None else self.after(self._interrupted)
            except N2GError as exc:  # the database went away: the next change retries
                log.warning("could not warm the kept answers: %s", exc)
                continue
            if units is not None and not self._interrupted():
                self.done.set()
                seconds = time.perf_counter() - started
                self.on_done(Warmed(units, seconds, units_s=units_s, searches=searches))

    def _warm_all(self) -> int | None:
        """Build every unit's answers; None when stopped or restarted midway."""
        keys = self.keys()
        for start in range(0, len(keys), self.batch):
            batch = keys[start : start + self.batch]
            try:
                self.prefetch(batch)
            except N2GError as exc:  # each unit is then read on its own
                log.warning("could not read %d units at once: %s", len(batch), exc)
            for key in batch:
                if self._interrupted():
                    return None
                for step in self.steps:
                    try:
                        step(key)
                    except N2GError as exc:  # one unit that fails is built again on demand
                        log.warning("could not build %s: %s", key, exc)
                time.sleep(PAUSE_S)
        return len(keys)
