"""Ingest throughput: nodes + relationships per second into the graph database.

n2g-ingest loads synthetic graph files the size of a whole SmolLM2 (30 layers x 1,536 =
46,080 neurons, realistic trie sizes, n2g/testing/synthetic.py) into a fresh local ArcadeDB
server (or the server named by --uri). The plain loader (one transaction and one CREATE
statement per node and per relationship) runs on a sample of the same graphs in the same
run; its whole-model time is extrapolated from its rate. Goal: the whole model in under
3 minutes, >= 20x the plain loader.

    python -m bench.ingest            # the whole model (minutes)
    python -m bench.ingest --quick    # 2,000 neurons
    python -m bench.ingest --graphs n2g-run/graphs.jsonl   # the main job's real graphs
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench._common import BenchResult, bench_arg_parser, report
from n2g.db import server
from n2g.db.connection import Database, DatabaseConfig
from n2g.db.ingest import clear_database, database_counts, ingest_files
from n2g.db.mapping import LABEL_OF_KIND, neuron_properties, trie_key, trie_node_properties
from n2g.db.schema import apply_schema
from n2g.graph.file import iter_graph_file
from n2g.graph.model import NeuronGraph, NodeKind
from n2g.testing.synthetic import synthetic_graphs, write_graph_file

WHOLE_MODEL = 46_080
GOAL_SECONDS = 180.0

# The plain loader: what a first attempt looks like. Its Cypher stays here, with the
# benchmark; only the package's own Cypher lives in ingest/ and queries/. Labels and
# properties come from the package's mapping (n2g/db/mapping.py), as for n2g-ingest.
_PLAIN_NEURON = "MERGE (m:Model {name: $model}) CREATE (m)-[:HAS_NEURON]->(n:Neuron) SET n = $props"
_PLAIN_NODE = {kind: f"CREATE (t:{label}) SET t = $props" for kind, label in LABEL_OF_KIND.items()}
_PLAIN_ROOT = (
    f"MATCH (n:Neuron) WHERE n.key = $neuron MATCH (t:{LABEL_OF_KIND[NodeKind.ACTIVATING]}) "
    "WHERE t.key = $child CREATE (n)-[:TRIE_ROOT]->(t)"
)
_PLAIN_NEXT: dict[tuple[NodeKind, NodeKind], str] = {
    (parent, child): f"MATCH (p:{LABEL_OF_KIND[parent]}) WHERE p.key = $parent "
    f"MATCH (c:{LABEL_OF_KIND[child]}) WHERE c.key = $child CREATE (p)-[:NEXT]->(c)"
    for parent in NodeKind
    if parent != NodeKind.END
    for child in NodeKind
    if child != NodeKind.ACTIVATING
}
_PLAIN_TOKEN = (
    "MATCH (n:Neuron) WHERE n.key = $neuron MERGE (t:Token {text: $text}) "
    "CREATE (n)-[r:{rel}]->(t) SET r.{prop} = $value"
)


def plain_load(db: Database, graphs: list[NeuronGraph]) -> int:
    """One transaction per statement, one statement per node or relationship; returns items."""
    items = 0

    def run(query: str, params: dict) -> None:
        nonlocal items
        db.execute(query, params)
        items += 1

    for graph in graphs:
        key = graph.key
        run(_PLAIN_NEURON, {"model": graph.model, "props": neuron_properties(graph)})
        items += 1  # the HAS_NEURON relationship came with it
        kinds = {}
        for node in graph.nodes:
            kinds[node.id] = node.kind
            run(_PLAIN_NODE[node.kind], {"props": trie_node_properties(key, node)})
            if node.kind == NodeKind.ACTIVATING:
                run(_PLAIN_ROOT, {"neuron": key, "child": trie_key(key, node.id)})
        for parent, child in graph.edges:
            run(
                _PLAIN_NEXT[(kinds[parent], kinds[child])],
                {"parent": trie_key(key, parent), "child": trie_key(key, child)},
            )
        for rel, prop, tokens in (
            ("ACTIVATES_ON", "activation", graph.activating_tokens()),
            ("HAS_CONTEXT", "importance", graph.context_tokens()),
        ):
            query = _PLAIN_TOKEN.replace("{rel}", rel).replace("{prop}", prop)
            for text, value in tokens.items():
                run(query, {"neuron": key, "text": text, "value": value})
    return items


def main() -> None:
    parser = bench_arg_parser("nodes+relationships/s of n2g-ingest vs a plain loader")
    parser.add_argument("--neurons", type=int, default=None, help="neurons to load")
    parser.add_argument("--plain-sample", type=int, default=None, help="neurons, plain loader")
    parser.add_argument("--uri", default=None, help="use this server instead of a fresh local one")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", default="")
    parser.add_argument("--database", default=None)
    parser.add_argument(
        "--graphs", type=Path, default=None, help="a real graph file instead of synthetic graphs"
    )
    args = parser.parse_args()
    n_neurons = args.neurons or (2_000 if args.quick else WHOLE_MODEL)
    n_plain = args.plain_sample or (100 if args.quick else 400)
    real: list[NeuronGraph] = []
    if args.graphs is not None:
        real = [g for _, g in iter_graph_file(args.graphs)][: args.neurons]
        n_neurons = len(real)

    with tempfile.TemporaryDirectory(prefix="n2g-bench-ingest-") as tmp:
        tmp_dir = Path(tmp)
        graph_file = tmp_dir / "graphs.jsonl"
        started = time.perf_counter()
        write_graph_file(graph_file, real or synthetic_graphs(n_neurons))
        print(
            f"wrote {n_neurons:,} {'real' if real else 'synthetic'} neuron graphs in "
            f"{time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        settings = None
        if args.uri:
            config = DatabaseConfig(
                uri=args.uri, user=args.user, password=args.password, database=args.database
            )
        else:
            settings = server.LocalServerSettings(
                home=tmp_dir / "server",
                bolt_port=server.free_port(),
                http_port=server.free_port(),
                heap="4g",
            )
            server.start(settings)
            config = server.server_config(settings)
        try:
            with Database.connect(config) as db:
                clear_database(db)
                apply_schema(db)
                summary = ingest_files(db, [graph_file], progress=True)
                counts = database_counts(db)
                sample = (
                    [g.model_copy(update={"model": "plain-sample"}) for g in real[:n_plain]]
                    if real
                    else list(synthetic_graphs(n_plain, model="plain-sample", seed=1))
                )
                plain_start = time.perf_counter()
                plain_items = plain_load(db, sample)
                plain_seconds = time.perf_counter() - plain_start
        finally:
            if settings is not None:
                server.stop(settings)

    items = summary.nodes_created + summary.relationships_created
    plain_rate = plain_items / plain_seconds
    result = BenchResult(
        name="ingest (real graphs)" if real else "ingest",
        unit="nodes+relationships/s",
        figure=summary.items_per_second,
        plain_figure=plain_rate,
        quick=args.quick,
        extra={
            "neurons": n_neurons,
            "graphs": str(args.graphs) if real else "synthetic",
            "nodes": summary.nodes_created,
            "relationships": summary.relationships_created,
            "seconds": round(summary.seconds, 1),
            "goal_seconds_whole_model": GOAL_SECONDS,
            "stored_neurons": counts["neurons"],
            "plain_sample_neurons": n_plain,
            "plain_sample_items": plain_items,
            "plain_seconds_extrapolated": round(items / plain_rate, 1),
            "note": "plain loader measured on a sample, its whole-model time extrapolated",
            "server": "fresh local ArcadeDB" if settings else config.uri,
        },
    )
    report(result, args)


if __name__ == "__main__":
    main()
