"""Every command line the README and the `--help` texts show parses: no option that does
not exist, no value of the wrong type, no command that was renamed. (That the read-side
ones answer something on the main job's kind of data: test_documented_answers.py.)"""

from __future__ import annotations

import shlex

import pytest
import typer

from n2g.cli.ingest import app as ingest_app
from tests.cli.documented import ROOT, argvs, help_examples, readme_examples


def _parse(argv: list[str]) -> None:
    """Parse `argv` as the CLI would, down to the command it names; raises on a mistake."""
    if argv[0] == "n2g-ingest":
        command = typer.main.get_command(ingest_app)
        command.make_context("n2g-ingest", argv[1:])
        return
    command, args, parent = ROOT, argv[1:], None
    while hasattr(command, "commands"):
        context = command.make_context(command.name or "n2g", args, parent=parent)
        rest = [*getattr(context, "_protected_args", []), *context.args]
        name, command, args = command.resolve_command(context, rest)
        parent = context
        assert command is not None, f"no command {name!r}"
    command.make_context(command.name, args, parent=parent)


EXAMPLES = sorted(
    {" ".join(argv) for line in [*readme_examples(), *help_examples()] for argv in [*argvs(line)]}
)


def test_the_examples_are_found_and_a_wrong_one_would_fail() -> None:
    assert len(readme_examples()) >= 20 and len(help_examples()) >= 19
    for wrong in ("n2g search x --no-such", "n2g top --layer two", "n2g nosuch", "n2g db nope"):
        with pytest.raises(Exception, match="(?i)no such|invalid|valid integer"):
            _parse(shlex.split(wrong))


@pytest.mark.parametrize("line", [*readme_examples(), *help_examples()])
def test_every_documented_command_line_parses(line) -> None:
    for argv in argvs(line):
        _parse(argv)
