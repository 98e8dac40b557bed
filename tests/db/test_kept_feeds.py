"""Re-ingesting changed graphs keeps the model's FEEDS edges (weights, data, with their
measured effects) and drops, and counts, those computed from the old graphs (evidence)."""

from __future__ import annotations

from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.search.circuits import circuit, write_ablation, write_feeds
from n2g.testing.handmade import make_graph

MODEL = "kept-feeds"


def _graphs(token: str) -> list:
    return [make_graph(MODEL, layer, u, [(token, [" b"], 0.9)]) for layer in (0, 1) for u in (0, 1)]


def _edge(source: int, target: int, weight: float) -> dict[str, object]:
    return {
        "source": f"{MODEL}/0/{source}",
        "target": f"{MODEL}/1/{target}",
        "weight": weight,
        "rank": 0,
    }


def test_a_reingest_keeps_model_edges_and_drops_graph_edges(db_config) -> None:
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, _graphs("a"))
        write_feeds(db, MODEL, [dict(_edge(0, 1, 0.5), virtual_weight=0.5)], "weights")
        write_feeds(db, MODEL, [_edge(1, 1, -0.25)], "data")
        write_feeds(db, MODEL, [_edge(0, 1, 0.8), _edge(1, 0, 0.7)], "evidence")
        write_ablation(
            db, [{"source": f"{MODEL}/0/0", "target": f"{MODEL}/1/1", "zero": 0.3, "mean": 0.2}]
        )
        changed = [g for g in _graphs("c") if g.key == f"{MODEL}/1/1"]  # one new graph
        summary = ingest_graphs(db, changed)
        assert summary.neurons_replaced == 1
        assert (summary.feeds_kept, summary.feeds_dropped) == (2, 1)
        assert "dropped 1 evidence edge(s)" in summary.lines()[-1]
        into = circuit(db, f"{MODEL}/1/1", source=None).edges
        kinds = {(e.source, e.kind): e for e in into}
        assert set(kinds) == {(f"{MODEL}/0/0", "weights"), (f"{MODEL}/0/1", "data")}
        kept = kinds[(f"{MODEL}/0/0", "weights")]
        assert (kept.virtual_weight, kept.weight, kept.ablation_effect) == (0.5, 0.5, 0.3)
        assert kept.mean_ablation_effect == 0.2 and kinds[(f"{MODEL}/0/1", "data")].weight == -0.25
        untouched = circuit(db, f"{MODEL}/1/0", source="evidence").edges
        assert [e.source for e in untouched] == [f"{MODEL}/0/1"]  # its graph did not change
        again = ingest_graphs(db, changed)  # unchanged now: nothing replaced, nothing lost
        assert again.neurons_unchanged == 1 and again.feeds_kept == 0
        assert len(circuit(db, f"{MODEL}/1/1", source=None).edges) == 2
