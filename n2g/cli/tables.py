"""Terminal tables of query answers: every cell plain text, never markup or control.

A cell may hold a model name, a key or a token from somebody else's graph file: it is shown
as inert text (no rich markup, no emoji codes, control characters escaped), and `--json`
prints the rows for scripts instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text

from n2g.cli.common import echo, echo_json
from n2g.errors import printable


def print_rows(
    rows: Sequence[BaseModel], columns: Sequence[str], as_json: bool, title: str, empty: str
) -> None:
    if as_json:
        echo_json(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    if not rows:
        echo(empty)
        return
    table = Table(title=plain_text(title))
    for column in columns:
        table.add_column(column, no_wrap=column == "key")  # a key is read whole
    for row in rows:
        values = row.model_dump()
        table.add_row(*(cell(values[c]) for c in columns))
    Console(width=200).print(table)


def plain_text(value: str) -> Text:
    """Data as terminal text: no markup, no emoji codes, and every control character
    (CSI, OSC, C0/C1, bidirectional overrides) escaped, so a name or token from a graph
    file can neither style nor drive the terminal (n2g.errors.printable)."""
    return Text(printable(value))


def cell(value: Any) -> Text:
    """A table cell as plain text (`_text`; strings in lists as their repr)."""
    if value is None:
        return Text("-")
    if isinstance(value, float):
        return Text(f"{value:.3f}")
    if isinstance(value, list):
        return plain_text(", ".join(repr(v) if isinstance(v, str) else str(v) for v in value))
    return plain_text(str(value))
