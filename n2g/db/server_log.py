"""Reading the local server's log: why a start failed, in one line.

ArcadeDB reports a failed start only in its log (a fatal exception, or a SEVERE line)
and may keep its process alive after giving up; the server's start-up reads this start's
part of the log to fail at once with the cause instead of waiting out its timeout.
"""

from __future__ import annotations

import re
from pathlib import Path

FATAL_MARKERS = ('Exception in thread "main"', "ArcadeDB Server is down")  # the server gave up
EXCEPTION_CLASS = re.compile(r"\b(?:[a-z_]\w*\.)+([A-Z]\w*(?:Exception|Error))\b")


def log_size(log_file: Path) -> int:
    """Bytes in the log now: where this start's part of it will begin."""
    try:
        return log_file.stat().st_size
    except FileNotFoundError:
        return 0


def log_since(log_file: Path, offset: int) -> str:
    """What the server wrote to its log after `offset` (this start's part only)."""
    try:
        with open(log_file, "rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def failure_cause(log_text: str) -> str:
    """The line saying why a start failed: the fatal exception, else the first SEVERE
    message, else the first line (the JVM's own complaint, e.g. a bad -Xmx)."""
    lines = [line.strip() for line in log_text.splitlines() if line.strip()]
    cause = next((ln.split(FATAL_MARKERS[0], 1)[1] for ln in lines if FATAL_MARKERS[0] in ln), None)
    if cause is None:  # ArcadeDB's level column is five letters wide: "SEVER"
        cause = next((ln.split("> ", 1)[-1] for ln in lines if " SEVER" in ln), None)
    if cause is None:
        cause = lines[0] if lines else "nothing in its log"
    cause = EXCEPTION_CLASS.sub(r"\1", cause.strip())[:300]
    return "".join(ch if ch.isprintable() else "?" for ch in cause)  # no terminal escapes
