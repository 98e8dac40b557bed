"""The service's cache with real threads: one computation per key, bounds, expiry."""

from __future__ import annotations

import threading
import time

import pytest

from n2g.serve.cache import ExpiringCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_concurrent_misses_compute_once() -> None:
    cache: ExpiringCache[int] = ExpiringCache(10)
    calls = 0
    start = threading.Barrier(20)
    results: list[int] = []

    def compute() -> int:
        nonlocal calls
        calls += 1
        time.sleep(0.2)  # long enough for every thread to arrive meanwhile
        return 42

    def ask() -> None:
        start.wait()
        results.append(cache.get("k", compute))

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == 1 and results == [42] * 20


def test_least_recently_used_go_first_by_count_and_by_weight() -> None:
    cache: ExpiringCache[bytes] = ExpiringCache(3, max_weight=10, weigh=len)
    for key in "abc":
        cache.get(key, lambda: b"x")
    cache.get("a", lambda: b"new")  # a hit: "a" is now the most recent
    cache.get("d", lambda: b"x")
    assert cache.fresh("b") is None and cache.fresh("a") == b"x"
    cache.get("big", lambda: b"123456789")  # 9 bytes: the older entries make room
    assert len(cache) == 2 and cache.weight == 10 and cache.fresh("big") == b"123456789"
    cache.get("huge", lambda: b"x" * 50)  # larger than the bound: kept alone
    assert len(cache) == 1 and cache.fresh("huge") is not None


def test_expired_entries_are_recomputed_while_others_get_the_old_value() -> None:
    clock = Clock()
    cache: ExpiringCache[str] = ExpiringCache(4, ttl_s=10, clock=clock)
    assert cache.get("k", lambda: "old") == "old"
    clock.now = 11
    assert cache.fresh("k") is None  # expired
    recomputing = threading.Event()
    release = threading.Event()

    def slow_new() -> str:
        recomputing.set()
        release.wait(5)
        return "new"

    refresher = threading.Thread(target=lambda: cache.get("k", slow_new))
    refresher.start()
    recomputing.wait(5)
    assert cache.get("k", lambda: "never") == "old"  # no waiting, no second computation
    release.set()
    refresher.join()
    assert cache.get("k", lambda: "never") == "new"


def test_errors_are_not_cached() -> None:
    cache: ExpiringCache[int] = ExpiringCache(4)

    def fail() -> int:
        raise ValueError("down")

    with pytest.raises(ValueError):
        cache.get("k", fail)
    assert cache.get("k", lambda: 1) == 1


def test_clear_forgets_everything() -> None:
    cache: ExpiringCache[int] = ExpiringCache(4, max_weight=100, weigh=lambda v: v)
    cache.get("k", lambda: 7)
    cache.clear()
    assert len(cache) == 0 and cache.weight == 0 and cache.fresh("k") is None


def test_a_renewed_cache_keeps_entries_past_their_time_from_the_renewal() -> None:
    clock = Clock()
    cache: ExpiringCache[str] = ExpiringCache(4, ttl_s=10, clock=clock)
    cache.get("k", lambda: "v")
    clock.now = 8
    cache.renew(8)  # the store was seen unchanged at 8
    clock.now = 17
    assert cache.fresh("k") == "v"
    clock.now = 19  # 11 s after the renewal: the time bound holds again
    assert cache.fresh("k") is None


def test_a_value_computed_across_a_clear_is_returned_but_not_kept() -> None:
    cache: ExpiringCache[str] = ExpiringCache(4)
    computing = threading.Event()
    release = threading.Event()
    results: list[str] = []

    def from_the_old_store() -> str:
        computing.set()
        release.wait(5)
        return "old"

    asker = threading.Thread(target=lambda: results.append(cache.get("k", from_the_old_store)))
    asker.start()
    computing.wait(5)
    cache.clear()  # the store changed while "old" was being computed
    release.set()
    asker.join()
    assert results == ["old"] and cache.fresh("k") is None
    assert cache.get("k", lambda: "new") == "new"
