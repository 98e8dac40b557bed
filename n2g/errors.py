"""User-facing errors: one clear line, printed by the CLI without a traceback.

A message may quote input (a file name, a field name of a bad line, a model name), and
input can hold control characters: an escape sequence echoed raw can retitle the user's
terminal, rewrite what it shows or set its clipboard. `printable` turns every such
character into a visible escape, so a message is always one line of inert text.

The core package is the read side; recording and building, the local server and Ray come
with extras (pyproject.toml). A command reaching a library of an extra that is not
installed says which extra to install (`missing_extra`), in one line.
"""


class N2GError(Exception):
    """An error the user can act on; its message is a single line saying what to do."""

    exit_code = 2


class DatabaseUnavailable(N2GError):
    """The database cannot be used now (not the input's fault): the service answers 503."""


class MissingExtra(N2GError):
    """A library of one of the package's extras is not installed."""


# The top-level modules each extra brings, and what the extra is for.
EXTRAS: dict[str, tuple[str, frozenset[str]]] = {
    "build": (
        "recording activations and building graphs",
        frozenset({"torch", "transformer_lens", "transformers", "sae_lens", "safetensors", "gguf"}),
    ),
    "local-db": ("the local database server", frozenset({"arcadedb_embedded"})),
    "ray": ("--executor ray", frozenset({"ray"})),
}


def extra_of(module: str | None) -> str | None:
    """The extra that installs `module` (a dotted name), or None when none does."""
    top = (module or "").split(".")[0]
    return next((name for name, (_, tops) in EXTRAS.items() if top in tops), None)


def missing_extra(exc: ImportError) -> MissingExtra | None:
    """The one-line error for an import of an extra's library that failed because it is
    not installed; None for any other import error (a bug, not a choice of install)."""
    if not isinstance(exc, ModuleNotFoundError):
        return None
    extra = extra_of(exc.name)
    if extra is None:
        return None
    purpose = EXTRAS[extra][0]
    return MissingExtra(
        f"this needs {exc.name.split('.')[0] if exc.name else 'a library'}, which is not "
        f"installed ({purpose}): pip install 'neuron2graph[{extra}]'"
    )


def printable(text: str) -> str:
    """`text` with every character that is not printable (C0 and C1 controls, ESC, DEL,
    line and paragraph separators, bidirectional and other format characters) written as
    its Python escape (`\\x1b`, `\\u202e`); the rest, spaces and Unicode, unchanged."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )
