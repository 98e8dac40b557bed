"""A scoring method is one module: the bigram lookup (n2g/scoring/bigram.py) was added with
its module and its test only, and every stage picks it up from the registry.

A real build on a tiny model writes its scores (in distribution, out of distribution,
correlation), the graph file keeps them, the database stores them under `bigram_*`
properties and gives them back, `n2g top --by bigram_f1` ranks by them, the report has
its columns, the service its cells, export its field, synthetic data its scores.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from n2g.builder.batch import build_neuron_graphs
from n2g.builder.config import BuildConfig
from n2g.builder.evaluate import firing_scores
from n2g.builder.plan import normalised, plan_neuron
from n2g.builder.random_windows import RandomWindows
from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.db.mapping import neuron_properties
from n2g.db.score_properties import SCORE_PROPERTIES
from n2g.export import row_schema, unit_row
from n2g.graph.file import dump_graph_line, parse_graph_line
from n2g.graph.model import NeuronGraph
from n2g.report.tables import build_report, to_markdown
from n2g.scoring import baseline_names
from n2g.scoring.bigram import BigramLookup
from n2g.search import store
from n2g.serve import create_app
from n2g.testing.synthetic import synthetic_graphs

CONFIG = BuildConfig(n_examples=8, pivots="argmax", n_substitutes=2, batch_rows=64)
NEURONS = [0, 1, 2, 3, 4, 5]


@pytest.fixture(scope="module")
def built(gelu_model, gelu_records) -> list[NeuronGraph]:
    _, records = gelu_records
    windows = [gelu_model.encode("completely different text, 12345 !?"), gelu_model.encode("zzz")]
    ood = RandomWindows.compute(gelu_model, 1, "other", windows)
    sample = RandomWindows.compute(gelu_model, 1, "sample", windows[:1])
    return build_neuron_graphs(gelu_model, records[1], NEURONS, CONFIG, ood=ood, sample=sample)


def test_a_build_scores_the_bigram_as_its_module_defines_it(built, gelu_records) -> None:
    _, records = gelu_records
    for graph in built:
        evaluation = graph.evaluation
        assert evaluation is not None and evaluation.out_of_distribution is not None
        assert list(evaluation.baselines) == list(baseline_names())
        assert "bigram" in evaluation.out_of_distribution.baselines
        assert evaluation.correlation is not None
        plan = plan_neuron(records[1], graph.neuron, CONFIG)
        train = [(t, normalised(plan, a)) for t, a in plan.train]
        bigram = BigramLookup(train)
        truth = np.concatenate([normalised(plan, a) for _, a in plan.test]) >= 0.5
        predicted = np.concatenate([bigram.predict(t) for t, _ in plan.test]) >= 0.5
        assert evaluation.baselines["bigram"] == firing_scores(truth, predicted)
        assert parse_graph_line(dump_graph_line(graph)) == graph


def test_the_database_stores_ranks_and_serves_it(built, db_config) -> None:
    assert {"bigram_f1", "ood_bigram_false_positive_rate", "correlation_bigram"} <= set(
        SCORE_PROPERTIES
    )
    ranked = [g for g in built if g.evaluation and g.evaluation.baselines["bigram"].f1 is not None]
    assert ranked, "no built graph has a defined bigram F1"
    assert neuron_properties(ranked[0])["bigram_f1"] == ranked[0].evaluation.baselines["bigram"].f1
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, built)
        keys = [g.key for g in built]
        assert store.read_graphs_from_nodes(db, keys) == {g.key: g for g in built}
        client = TestClient(create_app(db), base_url="http://127.0.0.1")
        (model,) = client.get("/api/models").json()["models"]
        assert model["quality"][0]["f1"]["bigram"] is not None
        page = client.get(f"/units/{built[0].key}").text
        assert "bigram lookup" in page
    flags = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    flags += ["--database", db_config.database] if db_config.database else []
    result = CliRunner().invoke(app, ["top", "--by", "bigram_f1", "-n", "100", "--json", *flags])
    assert result.exit_code == 0, result.output
    scores = {u["key"]: u["score"] for u in json.loads(result.stdout)}
    assert scores == {g.key: g.evaluation.baselines["bigram"].f1 for g in ranked}


def test_the_report_export_and_synthetic_data_carry_it(built) -> None:
    markdown = to_markdown(build_report(built))
    assert "Bigram lookup P | Bigram lookup R | Bigram lookup F1" in markdown
    assert "Bigram lookup r" in markdown and "Bigram lookup FPR" in markdown
    row = unit_row(built[0])
    assert row["evaluation"]["baselines"]["bigram"] == built[0].evaluation.baselines[
        "bigram"
    ].model_dump(mode="json")
    assert "bigram" in str(row_schema())
    (synthetic,) = synthetic_graphs(1)
    assert synthetic.evaluation is not None and "bigram" in synthetic.evaluation.baselines
