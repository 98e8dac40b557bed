"""The command group that imports a command's module only when that command runs.

A command module imports what its command needs (the database driver, the graph models,
the config objects its options are made from): importing all of them made every start,
`n2g --help` included, pay for every command (1-2 s on these machines; issue 40). Here
the group knows each command's name, its module and the first paragraph of its help (what
`n2g --help` lists), so listing the commands imports no module, and running one imports
only its own. tests/cli/test_lazy_commands.py checks the table against the modules (every
command they register is listed, under its own help) and that `n2g --help` reads the same
as the group loaded whole.

The neo4j driver imports pandas and pyarrow (with pyarrow.compute) whenever they are
installed, for `Result.to_df` and Arrow vectors, which n2g never calls: 0.4-0.5 s of every
database command's start. In the command line's own process (`main`, not a library
user's nor a test's) those imports are answered "not installed" to the driver's probe
alone (`SKIPPED`); everything else imports them as usual. pyarrow, too, imports pandas
on its first conversion of a list in `n2g export` (only to ask whether the list is a
pandas object: 0.4-1 s); the rows n2g converts are plain lists and dicts, written to the
same bytes either way (tests/cli/test_lazy_commands.py compares the files).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

import typer
from typer.core import TyperCommand

from n2g.cli import collector
from n2g.cli.common import OneLineErrorsGroup, fail, no_flag_labels
from n2g.errors import N2GError


@dataclass(frozen=True)
class Entry:
    """A command: the module of n2g.cli that registers it, its help's first paragraph, and
    whether it is read-side: it answers from the store or graph files and changes neither,
    so a user waits for its start-up alone (kept light: tests/cli/test_lazy_commands.py
    runs each, bench.cli_startup times them)."""

    module: str
    summary: str
    reads: bool = False


class LazyCommandsGroup(OneLineErrorsGroup):
    """A command group whose commands are loaded from `ENTRIES` when first asked for."""

    entries: dict[str, Entry] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.entries, *(name for name in self.commands if name not in self.entries)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = self.entries.get(cmd_name)
        if cmd_name not in self.commands and entry is not None:
            if self._listing:  # the help's list: the summary, without importing the module
                return TyperCommand(name=cmd_name, help=entry.summary)
            self.load(entry.module)
            collector.resume(entry.reads)  # paused by `main` alone (n2g.cli.collector)
        return self.commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def load(self, module_name: str) -> None:
        """Import `n2g.cli.MODULE` and add the commands it registers."""
        try:
            module = importlib.import_module(f"n2g.cli.{module_name}")
        except N2GError as exc:  # a broken plug-in read on import (the scoring methods)
            raise fail(str(exc), exc.exit_code) from None
        commands = typer.Typer()
        module.register(commands)
        for name, command in typer.main.get_group(commands).commands.items():
            no_flag_labels(command)
            self.add_command(command, name)

    def load_all(self) -> LazyCommandsGroup:
        """Every command loaded (what tests walking the whole tree need)."""
        for module in dict.fromkeys(entry.module for entry in self.entries.values()):
            self.load(module)
        return self


# The optional imports skipped in the command line's process: while a frame of the first
# module is on the stack, the modules named are "not installed" to it.
SKIPPED: dict[str, tuple[str, ...]] = {
    "neo4j._optional_deps": ("pandas", "pyarrow"),  # Result.to_df, Arrow vectors
    "n2g.export": ("pandas",),  # pyarrow's probe of each list it converts
}


class _SkipUnusedOptionalImports:
    """A meta path finder answering "not installed" for the imports in `SKIPPED`."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if any(fullname in hidden for hidden in SKIPPED.values()):
            frame = sys._getframe(1)
            while frame is not None:
                if fullname in SKIPPED.get(frame.f_globals.get("__name__", ""), ()):
                    raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
                frame = frame.f_back  # type: ignore[assignment]
        return None


def skip_unused_optional_imports() -> None:
    """Install the finder (once); for the command line's own process only."""
    if not any(isinstance(f, _SkipUnusedOptionalImports) for f in sys.meta_path):
        sys.meta_path.insert(0, _SkipUnusedOptionalImports())
