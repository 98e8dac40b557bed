"""The garbage collector while the command line starts (the `n2g` process only).

Why: a command's imports make a few hundred thousand objects (the driver, numpy, pydantic's
schemas), none of them garbage, and Python's collector, run after every 700 new container
objects, walks them again and again; reading graphs adds as many again. It was 0.1-0.2 s of
CPU of `n2g export` on 219 graphs, and a twentieth to a tenth of `n2g report`, on these
machines (issue 40, item 5). So `main` pauses the collector before a command's module is
imported; once it is, everything made so far is frozen (`gc.freeze`: never walked again)
and the collector resumes; a read-side command, which lives a second or two and holds what
it reads until it prints, collects every READ_SIDE_THRESHOLD[0] new objects instead of 700.
Writing commands (record, build, run, serve: long jobs) keep Python's thresholds. Library
users and tests never pause it: only `main` calls `pause`.
"""

from __future__ import annotations

import gc

READ_SIDE_THRESHOLD = (20_000, 20, 20)
_paused = False


def pause() -> None:
    """Stop collecting until `resume` (called by `main` before any command loads)."""
    global _paused
    _paused = gc.isenabled()
    gc.disable()


def resume(reads: bool) -> None:
    """After a command's module loaded: freeze what exists, and collect again (less often
    for a read-side command). Nothing to do unless `pause` stopped the collector."""
    global _paused
    if not _paused:
        return
    _paused = False
    gc.freeze()
    if reads:
        gc.set_threshold(*READ_SIDE_THRESHOLD)
    gc.enable()
