"""Every usage mistake is one `error:` line naming the help to read, never a boxed usage
text: an unknown option on every command, a missing required option or argument on every
command that has one, a value of the wrong type, an unknown command. Through CliRunner,
as a user meets them (nothing here reaches a database: the mistakes stop the parse)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from n2g.cli import app, command_tree
from n2g.cli.ingest import app as ingest_app

runner = CliRunner()


def _commands(command, path: tuple[str, ...] = ()):  # (path, click command) of every leaf
    children = getattr(command, "commands", None)
    if not children:
        yield path, command
        return
    for name, child in sorted(children.items()):
        yield from _commands(child, (*path, name))


COMMANDS = list(_commands(command_tree()))
REQUIRED = [(path, [p for p in command.params if p.required]) for path, command in COMMANDS]
REQUIRED = [(path, params) for path, params in REQUIRED if params]


def _one_error_line(app_, args: list[str], help_of: str) -> str:
    result = runner.invoke(app_, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert f"see `{help_of} --help`" in lines[0] and "Traceback" not in result.output
    return lines[0]


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"search", "like", "show", "similar", "report", "db status", "serve"} <= names
    assert len(REQUIRED) >= 4  # similar, report, show, ingest at least


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_an_unknown_option_is_one_line(path) -> None:
    line = _one_error_line(app, [*path, "--no-such-flag"], " ".join(("n2g", *path)))
    assert "--no-such-flag" in line


@pytest.mark.parametrize(("path", "params"), REQUIRED, ids=[" ".join(p) for p, _ in REQUIRED])
def test_a_missing_required_value_is_one_line(path, params) -> None:
    line = _one_error_line(app, list(path), " ".join(("n2g", *path)))
    assert "missing" in line


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["search", "x", "--limit", "many"], "--limit"),
        (["search", "x", "--layer", "1.5"], "--layer"),
        (["nosuchcommand"], "nosuchcommand"),
        (["db", "nosuch"], "nosuch"),
    ],
)
def test_a_bad_value_or_command_is_one_line(args, words) -> None:
    help_of = (
        "n2g db" if args[0] == "db" else ("n2g" if args[0] == "nosuchcommand" else "n2g search")
    )
    assert words in _one_error_line(app, args, help_of)


def test_the_ingest_command_too() -> None:
    _one_error_line(ingest_app, [], "n2g-ingest")
    _one_error_line(ingest_app, ["x.jsonl", "--bogus"], "n2g-ingest")


def test_help_is_still_help() -> None:
    result = runner.invoke(app, ["search", "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_help_has_an_example_and_no_flag_type_labels(path) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "Example" in result.output and "<bool>" not in result.output
    options = [line for line in result.output.splitlines() if " --" in line]
    assert not any("<list[" in line for line in options)  # a repeated option: one value each
    assert max(map(len, result.output.splitlines())) <= 80  # reads at 80 columns
