"""A bounded, expiring, single-flight cache: why the read-only server is fast.

The service only reads, and most of what it shows (a unit's page, a search's results, the
models' quality table) changes only when someone loads new graphs. So each answer is
computed once and kept: later requests for it cost no database round trip at all. Three
properties keep that honest under load:

- bounded: least recently used entries go first once the entries, or their total weight
  (e.g. bytes of rendered pages), pass the limit, so memory stays flat on 46,080 units;
- expiring: an entry older than `ttl_s` is recomputed, so graphs loaded while the server
  runs appear within that time; until the new value is ready the old one is still served
  (one caller recomputes, the others do not wait);
- single-flight: when many clients ask for the same missing entry at once, one computes it
  and the rest wait for that result instead of sending the same queries again.

Errors are not cached: a failed computation is retried by the next request.

Expiry is a time bound on what was not checked: the service's store watch
(n2g.serve.store_watch) reads a stamp of the store every so often and either renews every
entry (the store is unchanged: nothing needs recomputing, however old) or clears them all
(it changed). A value computed across a clear is not kept, since it may come from the store
as it was before.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass
class _Entry(Generic[V]):
    value: V
    weight: int
    born: float


@dataclass
class _Flight:
    """One computation in progress; waiters block on `done`."""

    done: threading.Event = field(default_factory=threading.Event)


class ExpiringCache(Generic[V]):
    """Thread-safe LRU map from a hashable key to a computed value (module docstring)."""

    def __init__(
        self,
        max_entries: int,
        *,
        ttl_s: float = 60.0,
        max_weight: int | None = None,
        weigh: Callable[[V], int] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("a cache holds at least one entry")
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self.max_weight = max_weight
        self._weigh = weigh or (lambda _value: 1)
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry[V]] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}
        self._weight = 0
        self._renewed = -math.inf  # the store was last seen unchanged at this time
        self._generation = 0  # bumped by clear(): a value computed across it is not kept
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def weight(self) -> int:
        return self._weight

    def fresh(self, key: Hashable) -> V | None:
        """The cached value of `key` when it has not expired, else None; never computes
        (cheap enough to call on the event loop before handing work to a thread)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._expired(entry):
                return None
            self._entries.move_to_end(key)
            return entry.value

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The value of `key`, computing it (once, whoever asks at the same time) when it is
        missing; an expired value is recomputed by one caller while the others get it."""
        while True:
            with self._lock:
                entry = self._entries.get(key)
                flight = self._flights.get(key)
                if entry is not None and (not self._expired(entry) or flight is not None):
                    self._entries.move_to_end(key)
                    return entry.value
                if flight is None:
                    flight = self._flights[key] = _Flight()
                    generation = self._generation
                    break
            flight.done.wait()  # someone else computes it; then look again
        try:
            value = compute()
        except BaseException:
            with self._lock:
                del self._flights[key]
            flight.done.set()
            raise
        with self._lock:
            if generation == self._generation:
                self._store(key, value)
            del self._flights[key]
        flight.done.set()
        return value

    def clear(self) -> None:
        """Forget every entry; a computation in flight returns its value but keeps nothing."""
        with self._lock:
            self._entries.clear()
            self._weight = 0
            self._generation += 1

    def renew(self, since: float) -> None:
        """Every entry counts as computed at `since` (this cache's clock) at the latest: the
        store was seen unchanged then, so what was kept before still holds."""
        with self._lock:
            self._renewed = max(self._renewed, since)

    def _expired(self, entry: _Entry[V]) -> bool:
        return self._clock() - max(entry.born, self._renewed) > self.ttl_s

    def _store(self, key: Hashable, value: V) -> None:
        """Insert under the lock, then evict the least recently used beyond the bounds."""
        old = self._entries.pop(key, None)
        if old is not None:
            self._weight -= old.weight
        weight = self._weigh(value)
        self._entries[key] = _Entry(value, weight, self._clock())
        self._weight += weight
        while len(self._entries) > 1 and (
            len(self._entries) > self.max_entries
            or (self.max_weight is not None and self._weight > self.max_weight)
        ):
            _, evicted = self._entries.popitem(last=False)
            self._weight -= evicted.weight
