"""The command line imports a command's module only when that command runs (n2g.cli.lazy),
and reads the same as if it had imported them all.

The group lists each command from its table (name, module, the help's first paragraph):
these tests keep the table true to the modules, keep `n2g --help` the same text as the
group loaded whole, and check in a fresh interpreter what a start imports.
"""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import typer
from typer._click import Context

from n2g.cli import app, command_tree
from n2g.cli.lazy import LazyCommandsGroup

# The probes run this checkout's package, wherever pytest was started.
CHECKOUT = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
HEAVY = ("torch", "transformers", "transformer_lens", "sae_lens", "neo4j", "numpy")


def _registered() -> dict[str, tuple[str, str]]:
    """Every command the command modules register: name -> (module, first paragraph)."""
    found = {}
    for module in dict.fromkeys(e.module for e in LazyCommandsGroup.entries.values()):
        commands = typer.Typer()
        importlib.import_module(f"n2g.cli.{module}").register(commands)
        for name, command in typer.main.get_group(commands).commands.items():
            text = command.short_help or command.help or ""
            found[name] = (module, inspect.cleandoc(text).split("\n\n")[0])
    return found


def test_the_table_names_every_command_with_its_module_and_help() -> None:
    table = {name: (e.module, e.summary) for name, e in LazyCommandsGroup.entries.items()}
    assert table == _registered()


def test_every_command_module_is_in_the_table() -> None:
    """A new command module must be listed, or its commands would never load."""
    import n2g.cli

    modules = {p.stem for p in Path(n2g.cli.__file__).parent.glob("*_cmd.py")}
    assert modules == {e.module for e in LazyCommandsGroup.entries.values()}


def test_help_reads_as_the_whole_group() -> None:
    lazy = typer.main.get_command(app)
    whole = command_tree()
    assert lazy is not whole and not lazy.commands  # type: ignore[attr-defined]
    assert lazy.get_help(Context(lazy, info_name="n2g")) == whole.get_help(
        Context(whole, info_name="n2g")
    )
    assert not lazy.commands  # type: ignore[attr-defined]  # listing imported nothing


def _imported_after(argv: list[str]) -> set[str]:
    probe = (
        "import sys\n"
        "from n2g.cli import main\n"
        f"sys.argv = ['n2g', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=CHECKOUT,
    )
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if line.startswith("MODULES ")]
    return set(line.split()[1:])


def test_help_imports_no_command_module_nor_heavy_library() -> None:
    modules = _imported_after(["--help"])
    assert not {m for m in modules if m.startswith("n2g.cli.") and m.endswith("_cmd")}
    assert not {m for m in modules if m.split(".")[0] in HEAVY}


def test_a_command_imports_its_own_module_only_and_no_dataframes() -> None:
    """`n2g search --help` loads search_cmd (and the driver), no other command's module,
    and the driver's probe does not import pandas or pyarrow."""
    modules = _imported_after(["search", "--help"])
    commands = {m for m in modules if m.startswith("n2g.cli.") and m.endswith("_cmd")}
    assert commands == {"n2g.cli.search_cmd"}
    assert "neo4j" in modules
    assert not {m for m in modules if m.split(".")[0] in ("pandas", "pyarrow", "torch")}


def test_the_driver_still_sees_dataframes_outside_the_command_line() -> None:
    """The imports are skipped only in the command line's process; a library user's
    neo4j keeps Result.to_df."""
    probe = "import neo4j._optional_deps as d, n2g.db.connection; print(d.pd is not None)"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=CHECKOUT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
