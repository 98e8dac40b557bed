"""`n2g similar` and `n2g groups` through the CLI: levels, nesting, one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.testing.handmade import handmade_graphs, random_graphs

runner = CliRunner()


@pytest.fixture(scope="module")
def db_args(db_config) -> list[str]:
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, [*handmade_graphs(), *random_graphs("rand", 150, seed=7)])
    args = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    return args + (["--database", db_config.database] if db_config.database else [])


def _run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def test_similar_reports_every_level_then_groups_list_them(db_args) -> None:
    out = _run("similar", "-m", "rand", "--resolutions", "0.5,0.1", "--floor", "0.2", *db_args)
    assert "communities:" in out and "level 1 (resolution 0.5)" in out
    assert "level 2 (resolution 0.1)" in out
    report = json.loads(_run("similar", "-m", "rand", "--resolutions", "0.5,0.1", "--floor",
                             "0.2", "--json", *db_args))  # fmt: skip
    assert [row["level"] for row in report["levels"]] == [1, 2]
    fine = json.loads(_run("groups", "-m", "rand", "--level", "1", "--json", *db_args))
    coarse = json.loads(_run("groups", "-m", "rand", "--level", "2", "--json", *db_args))
    assert len(fine) == min(report["levels"][0]["groups"], 25) and coarse
    assert all(g["level"] == 1 and g["parent"] and g["label"] for g in fine)
    inside = json.loads(
        _run("groups", "--level", "1", "--parent", coarse[0]["key"], "--json", *db_args)
    )
    assert inside and all(g["parent"] == coarse[0]["key"] for g in inside)
    assert all(set(g["members"]) <= set(coarse[0]["members"]) for g in inside)
    table = _run("groups", "-m", "rand", "--level", "1", *db_args)
    assert "groups, level 1" in table and "label" in table


def test_no_communities_keeps_the_papers_groups_only(db_args) -> None:
    _run("similar", "-m", "rand", "--no-communities", *db_args)
    assert "no groups for 'rand' at level 1" in _run(
        "groups", "-m", "rand", "--level", "1", *db_args
    )
    assert json.loads(_run("groups", "-m", "rand", "--json", *db_args))  # level 0 stays


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["similar", "-m", "rand", "--resolutions", "0.2,0.5"], "must decrease"),
        (["similar", "-m", "rand", "--resolutions", "2"], "(0, 1]"),
        (["similar", "-m", "rand", "--resolutions", "x"], "--resolutions"),
        (["similar", "-m", "rand", "--floor", "1.5"], "between 0 and 1"),
        (["groups", "--level", "9"], "--level"),
        (["groups", "--level", "0.5"], "--level"),
        (["groups", "--level", "1", "--parent", "rand:c1:nothing"], "no group 'rand:c1:nothing'"),
        (["groups", "-m", "nope", "--level", "1"], "no neuron graphs for model 'nope'"),
    ],
)
def test_bad_input_is_one_line(db_args, args: list[str], words: str) -> None:
    result = runner.invoke(app, [*args, *db_args])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert words in result.output, result.output
