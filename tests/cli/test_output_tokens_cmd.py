"""`n2g search --promotes / --suppresses` and the output tokens of `n2g show`, through
CliRunner on a real server holding the hand-made graphs (whose output tokens are known)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.testing.handmade import TRICKY_TOKENS, handmade_graphs

runner = CliRunner()


@pytest.fixture(scope="module")
def db_args(db_config) -> list[str]:
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, handmade_graphs())
    args = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    return args + (["--database", db_config.database] if db_config.database else [])


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_units_that_promote_a_token(db_args) -> None:
    result = _run("search", "--promotes", " import", "--json", *db_args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["key"], r["rank"], r["logit"]) for r in rows] == [
        ("hand/1/3", 1, 3.5),
        ("hand/0/0", 0, 3.0),
    ]
    table = _run("search", "--promotes", " import", "-l", "0", *db_args)
    assert table.exit_code == 0 and "hand/0/0" in table.output and "hand/1/3" not in table.output


def test_units_that_suppress_a_token(db_args) -> None:
    result = _run("search", "--suppresses", " import", "--json", *db_args)
    assert [r["key"] for r in json.loads(result.stdout)] == ["hand/0/7"]


def test_tricky_output_tokens_print_as_text(db_args) -> None:
    for flag, token in (("--promotes", "$token"), ("--suppresses", "[/]")):
        result = _run("search", flag, token, *db_args)
        assert result.exit_code == 0, result.output
        assert "hand/0/7" in result.output and repr(token) in result.output  # in the title


def test_no_unit_is_an_answer_not_an_error(db_args) -> None:
    result = _run("search", "--promotes", " nowhere", *db_args)
    assert result.exit_code == 0 and "no unit promotes ' nowhere'" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--promotes", " a", "--suppresses", " b"], "not both"),
        (["--promotes", " a", " everyone"], "alone"),
        (["--promotes", " a", "--repeated"], "alone"),
        (["--promotes", ""], "empty"),
        (["--promotes", " a", "-m", "nope"], "no neuron graphs for model"),
        (["--promotes", " a", "-l", "9"], "out of range"),
    ],
)
def test_bad_input_is_one_error_line(db_args, args, message) -> None:
    result = _run("search", *args, *db_args)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], lines


def test_show_lists_the_output_tokens(db_args) -> None:
    result = _run("show", "hand/0/7", *db_args)
    assert result.exit_code == 0, result.output
    assert "promotes" in result.output and "suppresses" in result.output
    for token in (*TRICKY_TOKENS[:5], " import"):
        assert repr(token) in result.output
    assert "+3.000" in result.output and "-3.000" in result.output
    plain = _run("show", "hand/1/4", *db_args)  # no output tokens: no such table
    assert plain.exit_code == 0 and "promotes" not in plain.output
