"""`n2g split` through CliRunner on a real server: the table, JSON, and one `error:` line
for each bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.testing.handmade import make_graph
from n2g.testing.splits import ALONE_KEY, MODEL, NEURON_KEY, SAE, latent, split_graphs

runner = CliRunner()
MARKUP_SET = "sae:[bold]x"  # a unit set name rich would read as markup
HOSTILE = f"{MODEL}/3/0"


@pytest.fixture(scope="module")
def db_args(db_config) -> list[str]:
    graphs = split_graphs() + [
        make_graph(MODEL, 3, 0, [("[/]", ["\x1b[31m"], 0.9)]),
        latent(MODEL, 3, MARKUP_SET, 0, [("[/]", ["\x1b[31m"], 0.9)]),
    ]
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, graphs)
    args = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    return args + (["--database", db_config.database] if db_config.database else [])


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_table_and_json(db_args) -> None:
    result = _run("split", NEURON_KEY, *db_args)
    assert result.exit_code == 0, result.output
    assert f"{MODEL}/{SAE}/0" in result.output and "splits into 2 of these latents" in result.output
    result = _run("split", NEURON_KEY, "--json", "--unit-set", SAE, "--inside", "0.3", *db_args)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["against"] == [SAE]
    assert [h["inside"] for h in answer["hits"]] == [True, True, True]
    result = _run("split", f"{MODEL}/{SAE}/1", *db_args)
    assert result.exit_code == 0 and "lies inside 2 of these units" in result.output


def test_terminal_text_stays_inert(db_args) -> None:
    result = _run("split", HOSTILE, *db_args)
    assert result.exit_code == 0, result.output
    assert "[/]" in result.output and "\x1b" not in result.output
    assert MARKUP_SET in result.output  # shown, not read as markup


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([f"{MODEL}/1/999"], "error: no neuron 'split/1/999' in the database"),
        ([ALONE_KEY], "error: model 'split' has no graphs of SAE or transcoder latents in layer 2"),
        ([NEURON_KEY, "--unit-set", "sae:nope"], "error: model 'split' has no graphs of sae:nope"),
        ([NEURON_KEY, "--unit-set", "nope"], "error: unit set 'nope' is not sae:NAME or tc:NAME"),
        ([NEURON_KEY, "--inside", "2"], "error: min inside must be between 0 and 1"),
        (["split/1"], "error: neuron 'split/1' is not MODEL/LAYER/INDEX"),
    ],
)
def test_bad_input_is_one_error_line(db_args, args, message) -> None:
    result = _run("split", *args, *db_args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.output
