"""The command lines the user docs show: the README's code blocks and the `--help` texts.

Shared by the test that parses every one (test_documented_examples.py) and the test that
runs the read-side ones on the main job's kind of data (test_documented_answers.py).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer

from n2g.cli import command_tree
from n2g.cli.ingest import app as ingest_app

README = Path(__file__).resolve().parents[2] / "README.md"
ROOT = command_tree()


def readme_examples() -> list[str]:
    lines, inside = [], False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = not inside
        elif inside and re.match(r"n2g(-ingest)?\s", line):
            lines.append(line)
    return lines


def help_examples() -> list[str]:
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


def argvs(line: str) -> list[list[str]]:
    """The argument lists a documented line stands for ("a | b" alternatives, "[--opt v]"
    optional parts given)."""
    words = shlex.split(line.replace("[", "").replace("]", ""), comments=True)
    if "|" not in words:
        return [words]
    head = words[: words.index("|") - 1]
    choices = [w for w in words[len(head) :] if w != "|"]
    return [[*head, choice] for choice in choices]
