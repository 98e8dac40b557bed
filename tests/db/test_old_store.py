"""A store loaded before the unit set was named `unit_set` (mapping 6, graph format 3: the
(:Neuron) property `sae`, the format-3 line) still answers, and the next n2g-ingest rewrites
it. The latents are real format-3 lines (tests/data/format-3-latents.jsonl, see
tests/graph/test_file_upgrade.py); the old store is what mapping 6 wrote for them, made by
changing a fresh load back in the database itself.
"""

from __future__ import annotations

from pathlib import Path

from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_files
from n2g.db.score_properties import QUALITY_COLUMNS
from n2g.graph.file import parse_graph_line
from n2g.search import NeuronSearch, store
from n2g.serve.views import models_from_rows

LATENTS = Path(__file__).resolve().parents[1] / "data" / "format-3-latents.jsonl"
UNIT_SETS = ["sae:L0-mlp-4x", "tc:L0-tc-4x"]

# What n2g-ingest of mapping 6 stored on a latent: its unit set as `sae`, its format-3
# line whole, and a hash of that mapping (any other than today's: the next load replaces).
AS_MAPPING_6 = """
MATCH (n:Neuron {key: $key})
SET n.sae = n.unit_set, n.graph = $line, n.graph_hash = 'mapping-6'
REMOVE n.unit_set
"""
COUNT_NAMED = """
MATCH (n:Neuron)
RETURN count(n.sae) AS sae, count(n.unit_set) AS unit_set
"""


def _make_old_store(db: Database, lines: list[str]) -> None:
    clear_database(db)
    ingest_files(db, [LATENTS], progress=False)
    for line in lines:
        db.execute(AS_MAPPING_6, {"key": parse_graph_line(line).key, "line": line})
    assert db.read(COUNT_NAMED) == [{"sae": 2, "unit_set": 0}]


def test_a_store_loaded_before_unit_set_answers_until_reloaded(db_config) -> None:
    lines = LATENTS.read_text(encoding="utf-8").splitlines()
    graphs = {graph.key: graph for graph in map(parse_graph_line, lines)}
    with Database.connect(db_config) as db:
        _make_old_store(db, lines)
        # a unit read whole: its format-3 line takes the graph file's upgrade step
        search = NeuronSearch(db)
        for key, graph in graphs.items():
            assert search.neuron_graph(key) == graph
        # the quality of each unit set: the old property still names it
        rows = db.read(store.query("model_quality"), {"methods": QUALITY_COLUMNS})
        [model] = models_from_rows(rows).models
        assert model.unit_sets == UNIT_SETS and model.layers == []
        assert sorted(q.unit_set or "" for q in model.quality) == UNIT_SETS
        # a latent against the other unit set of its layer: found by the old property
        sae_key = next(key for key, graph in graphs.items() if graph.unit_set == UNIT_SETS[0])
        assert search.splits(sae_key, unit_set=UNIT_SETS[1]).against == [UNIT_SETS[1]]
        # older still, without the line: rebuilt from its nodes and the old property
        db.execute("MATCH (n:Neuron) REMOVE n.graph")
        assert store.read_graphs_from_nodes(db, list(graphs)) == graphs
        # the next n2g-ingest replaces every old unit: the old name is gone
        summary = ingest_files(db, [LATENTS], progress=False)
        assert summary.neurons_replaced == 2 and summary.neurons_unchanged == 0
        assert db.read(COUNT_NAMED) == [{"sae": 0, "unit_set": 2}]
        assert {key: search.neuron_graph(key) for key in graphs} == graphs
        clear_database(db)
