"""Every command line the README and the `--help` texts show parses: no option that does
not exist, no value of the wrong type, no command that was renamed. (Whether an example
answers something depends on the data it is run on: the README's are taken from the main
job's own report, docs/report-smollm2.md.)"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer

from n2g.cli import app
from n2g.cli.ingest import app as ingest_app

README = Path(__file__).resolve().parents[2] / "README.md"
ROOT = typer.main.get_command(app)


def _readme_examples() -> list[str]:
    lines, inside = [], False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = not inside
        elif inside and re.match(r"n2g(-ingest)?\s", line):
            lines.append(line)
    return lines


def _help_examples() -> list[str]:
    found = []

    def walk(command) -> None:
        for line in (command.help or "").splitlines():
            text = re.sub(r"^\s*Examples?:\s*", "", line).strip()
            if text.startswith("n2g"):
                found.append(re.split(r"\s{2,}\(", text)[0])  # drop a trailing "(note)"
        for child in getattr(command, "commands", {}).values():
            walk(child)

    walk(ROOT)
    walk(typer.main.get_command(ingest_app))
    return found


def _argvs(line: str) -> list[list[str]]:
    """The argument lists a documented line stands for ("a | b" alternatives, "[--opt v]"
    optional parts given)."""
    words = shlex.split(line.replace("[", "").replace("]", ""), comments=True)
    if "|" not in words:
        return [words]
    head = words[: words.index("|") - 1]
    choices = [w for w in words[len(head) :] if w != "|"]
    return [[*head, choice] for choice in choices]


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
    {
        " ".join(argv)
        for line in [*_readme_examples(), *_help_examples()]
        for argv in [*_argvs(line)]
    }
)


def test_the_examples_are_found_and_a_wrong_one_would_fail() -> None:
    assert len(_readme_examples()) >= 20 and len(_help_examples()) >= 19
    for wrong in ("n2g search x --no-such", "n2g top --layer two", "n2g nosuch", "n2g db nope"):
        with pytest.raises(Exception, match="(?i)no such|invalid|valid integer"):
            _parse(shlex.split(wrong))


@pytest.mark.parametrize("line", [*_readme_examples(), *_help_examples()])
def test_every_documented_command_line_parses(line) -> None:
    for argv in _argvs(line):
        _parse(argv)
