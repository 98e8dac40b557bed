"""Warnings and log lines of the libraries a command uses reach the terminal as inert text.

What the project prints goes through `printable` (n2g.cli.common.echo), but libraries
print on their own: matplotlib warns of each glyph its font lacks and quotes the glyph, so
a model name holding ESC or BEL in a plot's title (`n2g report --out`) would put the raw
control character on the user's terminal, where an escape sequence can retitle it, rewrite
what it shows or set its clipboard. For as long as a command runs, Python's warnings, and
the log records no handler takes (the logging module's last resort, which prints a
library's warnings when nothing is configured), are handed to the CLI's escaping printer
instead. Which warnings show is unchanged: the filters (`-W`, PYTHONWARNINGS) apply.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator
from typing import Any

Show = Callable[[str], None]  # prints one message to stderr, escaped


class _LastResort(logging.Handler):
    """The logging module's last resort (records of WARNING and above that no handler
    took, printed as their message), through `show`."""

    def __init__(self, show: Show) -> None:
        super().__init__(logging.WARNING)
        self.show = show

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.show(self.format(record))
        except Exception:  # logging's own rule: a handler never raises
            self.handleError(record)


@contextlib.contextmanager
def library_messages_through(show: Show) -> Iterator[None]:
    """Within the block, warnings and last-resort log records are printed by `show`."""

    def show_warning(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        text = warnings.formatwarning(message, category, filename, lineno, line)
        with contextlib.suppress(OSError):  # as warnings' own: a closed stderr is no failure
            show(text.rstrip("\n"))

    previous: Any = logging.lastResort
    with warnings.catch_warnings():  # restores showwarning (and the filters) at the end
        warnings.showwarning = show_warning
        logging.lastResort = _LastResort(show)
        try:
            yield
        finally:
            logging.lastResort = previous
