"""User-facing errors: one clear line, printed by the CLI without a traceback.

A message may quote input (a file name, a field name of a bad line, a model name), and
input can hold control characters: an escape sequence echoed raw can retitle the user's
terminal, rewrite what it shows or set its clipboard. `printable` turns every such
character into a visible escape, so a message is always one line of inert text.
"""


class N2GError(Exception):
    """An error the user can act on; its message is a single line saying what to do."""

    exit_code = 2


class DatabaseUnavailable(N2GError):
    """The database cannot be used now (not the input's fault): the service answers 503."""


def printable(text: str) -> str:
    """`text` with every character that is not printable (C0 and C1 controls, ESC, DEL,
    line and paragraph separators, bidirectional and other format characters) written as
    its Python escape (`\\x1b`, `\\u202e`); the rest, spaces and Unicode, unchanged."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )
