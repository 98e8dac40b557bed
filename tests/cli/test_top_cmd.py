"""`n2g top`: the best and worst units by a stored score, through the CLI, on a real server."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.graph.evaluation import Classification, Delphi, DelphiMethod, Evaluation, Scores
from n2g.testing.handmade import make_graph

runner = CliRunner()
F1 = {(0, 0): 0.9, (0, 1): 0.2, (0, 2): 0.6, (1, 0): 0.4, (1, 1): 0.95}


def _scored(layer: int, neuron: int, f1: float | None):
    tokens = [(f" t{layer}{neuron}{i}", [], 1.0 - i / 10) for i in range(7)]
    graph = make_graph("m", layer, neuron, tokens)
    undefined = f1 is None
    graph.evaluation = Evaluation(
        n_train_examples=10, n_test_examples=10, n_test_tokens=100,
        n_test_firing=0 if undefined else 5,
        n2g=Scores() if undefined else Scores(precision=f1, recall=1.0, f1=f1),
        baselines={"token_lookup": Scores(), "ngram": Scores()},
        delphi=None if undefined else _delphi(1.0 - f1),
    )  # fmt: skip
    return graph


def _delphi(tpr: float) -> Delphi:
    """delphi's scores with N2G's detection TPR `tpr` (every TNR 1: a balanced accuracy of
    (tpr + 1) / 2) and token lookup's the other way round."""

    def judged(rate: float) -> Classification:
        return Classification(balanced_accuracy=(rate + 1.0) / 2, true_positive_rate=rate,
                              true_negative_rate=1.0, decile_hits=[0])  # fmt: skip

    return Delphi(
        context_tokens=32, decile_sizes=[1], n_non_activating=5, n_highlighted=1,
        n2g=DelphiMethod(detection=judged(tpr), fuzzing=judged(tpr)),
        baselines={"token_lookup": DelphiMethod(detection=judged(1 - tpr), fuzzing=judged(0))},
    )  # fmt: skip


@pytest.fixture(scope="module")
def args(db_config) -> list[str]:
    graphs = [_scored(layer, neuron, f1) for (layer, neuron), f1 in F1.items()]
    graphs.append(_scored(1, 7, None))  # no firing test token: no score, never ranked
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, graphs)
    flags = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    return flags + (["--database", db_config.database] if db_config.database else [])


def _keys(*argv: str) -> list[str]:
    result = runner.invoke(app, ["top", *argv, "--json"])
    assert result.exit_code == 0, result.output
    return [unit["key"] for unit in json.loads(result.stdout)]


def test_best_and_worst_overall_and_in_a_layer(args) -> None:
    assert _keys(*args) == ["m/1/1", "m/0/0", "m/0/2", "m/1/0", "m/0/1"]
    assert _keys("--worst", "-n", "2", *args) == ["m/0/1", "m/1/0"]
    assert _keys("--layer", "0", *args) == ["m/0/0", "m/0/2", "m/0/1"]
    assert _keys("--by", "precision", "-m", "m", "-n", "1", *args) == ["m/1/1"]


def test_units_rank_by_delphis_scores(args) -> None:
    """N2G's detection here runs against F1 (1 - F1 as its TPR), token lookup's with it."""
    assert _keys("--by", "detection_n2g", *args) == ["m/0/1", "m/1/0", "m/0/2", "m/0/0", "m/1/1"]
    assert _keys("--by", "detection_token_lookup", "-n", "2", *args) == ["m/1/1", "m/0/0"]
    assert _keys("--by", "fuzzing_n2g_tpr", "--worst", "-n", "1", *args) == ["m/1/1"]
    result = runner.invoke(app, ["top", "--by", "detection_n2g", "-n", "1", "--json", *args])
    assert json.loads(result.stdout)[0]["score"] == pytest.approx((0.8 + 1.0) / 2)


def test_per_layer_rankings_with_tokens_strongest_first(args) -> None:
    result = runner.invoke(app, ["top", "--per-layer", "-n", "1", "--json", *args])
    assert result.exit_code == 0, result.output
    rankings = json.loads(result.stdout)
    assert {layer: [u["key"] for u in units] for layer, units in rankings.items()} == {
        "0": ["m/0/0"],
        "1": ["m/1/1"],
    }
    unit = rankings["0"][0]
    assert unit["score"] == 0.9 and unit["n_activating_tokens"] == 7
    assert unit["tokens"] == [f" t00{i}" for i in range(5)]  # the 5 strongest, in order


def test_the_table_rounds_and_names_the_ranking(args) -> None:
    result = runner.invoke(app, ["top", "--layer", "1", *args])
    assert result.exit_code == 0, result.output
    assert "highest f1 in layer 1" in result.stdout and "0.950" in result.stdout
    assert "m/1/7" not in result.stdout  # undefined score: left out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--by", "bogus"], "unknown score 'bogus'"),
        (["-m", "nosuch"], "no neuron graphs for model 'nosuch'"),
        (["--layer", "5"], "layer 5 is out of range"),
        (["-n", "0"], "limit must be at least 1"),
    ],
)
def test_mistakes_are_one_line(args, argv, words) -> None:
    result = runner.invoke(app, ["top", *argv, *args])
    assert result.exit_code == 2 and result.output.startswith("error: ") and words in result.output
