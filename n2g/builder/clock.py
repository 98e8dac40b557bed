"""Where a build's time goes, stage by stage (prune, saliency, helper, augment, evaluate...).

One process-wide clock: the stages add their wall time to it, `build_graphs` resets it and
reports it in its summary, `n2g build` prints it. Timing is cheap (two perf_counter calls a
stage a batch) and never changes what is computed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

STAGES = (
    "plan",
    "prune",
    "saliency",
    "helper",
    "augment",
    "trie",
    "evaluate",
    "ood",
    "correlation",
    "delphi",
    "output",
)


class StageClock:
    """Seconds spent per stage since the last reset."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def reset(self) -> None:
        self.seconds = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def breakdown(self) -> dict[str, float]:
        """Seconds per stage, in pipeline order, rounded to milliseconds."""
        order = [s for s in STAGES if s in self.seconds] + sorted(set(self.seconds) - set(STAGES))
        return {name: round(self.seconds[name], 3) for name in order}


CLOCK = StageClock()
