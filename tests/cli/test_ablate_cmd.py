"""`n2g ablate` through CliRunner on a tiny model loaded by name, its records and a real
database: the three ways to name a set, a group's result stored and listed, and every
refusal as one `error:` line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.models.tiny import tiny_model
from n2g.search import NeuronSearch
from n2g.search.group_ablation import SetAblation
from n2g.testing.handmade import make_graph
from tests.builder.conftest import write_records

runner = CliRunner()
MODEL = "tiny-gelu-2l-s0"
SMALL = ["--windows", "3", "--control", "3", "--random", "2", "--per-unit", "1"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory, db_config) -> tuple[list[str], list[str], str]:
    """(records and database flags, database flags alone, a group's key)."""
    records = tmp_path_factory.mktemp("ablate") / "records"
    records.mkdir()
    write_records(records, tiny_model(n_layers=2, seed=0), [0, 1], k=6, window=16)
    graphs = [make_graph(MODEL, 0, u, [("e", ["x"], 0.9)]) for u in (1, 2)]
    graphs += [make_graph(MODEL, 1, 4, [("q", ["y"], 0.9)])]
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, graphs)
        NeuronSearch(db).compute_similarity([MODEL])
        (group,) = NeuronSearch(db).groups(model=MODEL, level=0)
    flags = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    flags += ["--database", db_config.database] if db_config.database else []
    return ["-m", MODEL, "--records", str(records), *flags], flags, group.key


def _ablate(*args: str):
    return runner.invoke(app, ["ablate", *args])


def test_units_by_key_measured_and_answered_as_json(setup) -> None:
    base, _, _ = setup
    keys = f"{MODEL}/0/1,{MODEL}/1/4"
    result = _ablate(*base, "--units", keys, *SMALL, "--json")
    assert result.exit_code == 0, result.output
    answer = SetAblation.model_validate_json(result.output)
    assert answer.units == [f"{MODEL}/0/1", f"{MODEL}/1/4"] and answer.layers == [0, 1]
    assert answer.random_sets == 2 and answer.control_windows == 3 and answer.mode == "zero"
    text = _ablate(*base, "--units", keys, *SMALL, "--mode", "mean")
    assert text.exit_code == 0, text.output
    assert "mean ablation" in text.output and "control texts (3 random windows" in text.output


def test_a_context_cuts_the_windows(setup) -> None:
    base, _, _ = setup
    result = _ablate(*base, "--units", f"{MODEL}/0/1", *SMALL, "--context", "6")
    assert result.exit_code == 0, result.output
    assert "cut to 6 tokens" in result.output


def test_a_group_is_stored_and_listed(setup) -> None:
    base, flags, key = setup
    result = _ablate(*base, "--group", key, *SMALL)
    assert result.exit_code == 0, result.output
    assert f"stored on group {key}" in result.output
    listed = runner.invoke(app, ["groups", "-m", MODEL, "--json", *flags])
    assert listed.exit_code == 0, listed.output
    (group,) = [g for g in json.loads(listed.output) if g["key"] == key]
    assert group["ablation"]["units"] == [f"{MODEL}/0/1", f"{MODEL}/0/2"]
    assert group["ablation"]["group"] == key


def test_units_by_token(setup) -> None:
    base, _, _ = setup
    result = _ablate(*base, "--token", "e", *SMALL, "--json")
    assert result.exit_code == 0, result.output
    assert SetAblation.model_validate_json(result.output).units == [f"{MODEL}/0/1", f"{MODEL}/0/2"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--group", f"{MODEL}:nope"], "no group"),
        (["--token", "never"], "fires on"),
        (["--units", f"{MODEL}/0/1,other/0/1"], "mixes models"),
        (["--units", "nokey"], "MODEL/LAYER/INDEX"),
        (["--units", f"{MODEL}/0/999"], "no unit 999"),
        (["--units", f"{MODEL}/0/1", "--group", "g"], "one way"),
        (["--units", f"{MODEL}/0/1", "--mode", "half"], "--mode"),
        (["--units", f"{MODEL}/0/1", "--memory-gb", "0.000001"], "GiB"),
        (["--units", f"{MODEL}/0/1", "--windows", "0"], "--windows"),
        (["--units", f"{MODEL}/0/1", "--context", "1"], "--context"),
    ],
)
def test_bad_input_is_one_error_line(setup, args, words) -> None:
    base, _, _ = setup
    result = _ablate(*base, *args)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], result.output


def test_records_missing_a_layer_or_of_another_model(setup, tmp_path) -> None:
    _, flags, _ = setup
    records = tmp_path / "records"
    records.mkdir()
    write_records(records, tiny_model(n_layers=2, seed=0), [0], k=6, window=16)
    result = _ablate("-m", MODEL, "--records", str(records), "--units", f"{MODEL}/1/4", *flags)
    assert result.exit_code != 0 and "not 1" in result.output and "Traceback" not in result.output
    other = _ablate(
        "-m", "tiny-gelu-2l-s1", "--records", str(records), "--units", "tiny-gelu-2l-s1/0/1"
    )
    assert other.exit_code != 0 and "are of tiny-gelu-2l-s0" in other.output
    missing = _ablate("-m", MODEL, "--records", str(tmp_path / "none"), "--units", f"{MODEL}/0/1")
    assert missing.exit_code != 0 and "no records folder" in missing.output
