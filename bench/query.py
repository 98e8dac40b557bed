"""Query latency and all-pairs similarity on a whole SmolLM2-sized set of graphs.

    .venv/bin/python -m bench.query [--quick] [--neurons N] [--json PATH]
    .venv/bin/python -m bench.query --graphs n2g-run/graphs.jsonl   (the main job's graphs)

Loads N synthetic graphs (default 46,080 = SmolLM2-135M's MLP neurons; Zipf-like tokens
from a 49k vocabulary; 1% planted near-copies so similar pairs and groups exist) into a
fresh local ArcadeDB server, then measures, side by side in the same run:

- token search (queries/token_activating.cypher) p50/p95 latency, against the plain way
  (a Python scan of every graph's activating tokens, as the paper's code searched);
- find-neurons-like (queries/like_neuron.cypher) p50/p95, against a Python scan scoring
  every neuron;
- all-pairs similarity + groups for the whole model (read sets, prefix-filtered join,
  union-find, write everything), against the brute-force O(N²) join timed on a sample and
  scaled by (N / sample)²; the join and brute force are also compared on the sample itself.

Token sets are those the database compares: tokens whose paths predict firing
(n2g.graph.levels); `like` over every token (level 0, where stored set sizes prune the
candidates without counting) is timed beside. The headline figure is the whole-model
similarity time; the latencies are in the extras.
With `--graphs FILE` the same measurements run on real graphs (e.g. those `n2g run`
stored) instead of synthetic ones.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from bench._common import BenchResult, bench_arg_parser, report, throwaway_database, timed
from n2g.db.ingest import ingest_graphs
from n2g.graph.file import iter_graph_file
from n2g.graph.model import NeuronGraph
from n2g.report.groups import graph_token_sets
from n2g.search import NeuronSearch, SimilarityConfig
from n2g.search.similarity import (
    overlap,
    similarity_join,
)
from n2g.testing.brute_force import brute_force_pairs
from n2g.testing.synthetic import synthetic_graphs

MODEL = "synthetic-smollm2"


def _graphs(n: int, seed: int = 0) -> list[NeuronGraph]:
    """Synthetic graphs; every 100th neuron copies an earlier one's trie (a similar pair)."""
    graphs = list(synthetic_graphs(n, model=MODEL, seed=seed))
    rng = random.Random(seed)
    for i in range(100, n, 100):
        source = graphs[rng.randrange(i)]
        graphs[i] = graphs[i].model_copy(update={"nodes": source.nodes, "edges": source.edges})
    return graphs


def _percentiles(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def _latencies(func, inputs) -> list[float]:
    out = []
    for item in inputs:
        start = time.perf_counter()
        func(item)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = bench_arg_parser("query latency and all-pairs similarity (n2g search)")
    parser.add_argument("--neurons", type=int, default=None, help="graphs to load (46,080)")
    parser.add_argument("--queries", type=int, default=None, help="queries per latency test")
    parser.add_argument("--sample", type=int, default=None, help="brute-force sample size")
    parser.add_argument("--graphs", type=Path, default=None, help="real graphs (a graph file)")
    args = parser.parse_args()
    n = args.neurons or (3_000 if args.quick else 46_080)
    n_queries = args.queries or (40 if args.quick else 200)
    if args.graphs is not None:
        graphs = [g for _, g in iter_graph_file(args.graphs)][: args.neurons]
        n, model = len(graphs), graphs[0].model
    else:
        graphs, model = _graphs(n), MODEL
    sample = min(n, args.sample or (800 if args.quick else 3_000))

    sets = graph_token_sets(graphs)
    with throwaway_database("n2g-bench-query-") as db:
        load_s, _ = timed(lambda: ingest_graphs(db, graphs, batch_size=500, progress=True))
        print(f"loaded {n:,} graphs in {load_s:.0f} s", flush=True)
        search = NeuronSearch(db)
        rng = random.Random(1)
        picked = [rng.choice(graphs) for _ in range(n_queries)]
        tokens = [
            rng.choice(sorted(g.activating_tokens())) for g in picked if g.activating_tokens()
        ]
        search.token_search(tokens[0], model=model)  # warm the driver and caches
        token_ms = _latencies(lambda t: search.token_search(t, model=model), tokens)
        token_plain_ms = _latencies(
            lambda t: sorted(
                (-g.activating_tokens()[t], g.key) for g in graphs if t in g.activating_tokens()
            )[:25],
            tokens,
        )
        keys = [g.key for g in picked]
        like_ms = _latencies(lambda k: search.like(k, model=model), keys)
        # every token (level 0): the stored set sizes prune, no per-candidate counting
        like_every_ms = _latencies(lambda k: search.like(k, model=model, level=0.0), keys)
        by_key = {s.key: s for s in sets}

        def plain_like(key: str) -> list:
            x = by_key[key]
            scored = [
                (min(overlap(x.activating, y.activating), overlap(x.context, y.context)), y.key)
                for y in sets
                if y.key != key and x.activating & y.activating
            ]
            return sorted(scored, reverse=True)[:10]

        like_plain_ms = _latencies(plain_like, keys)
        config = SimilarityConfig(threshold=0.9)
        full_s, similarity = timed(lambda: search.compute_similarity([model], config))
    sub = sets[:sample]
    join_sample_s, joined = timed(lambda: similarity_join(sub, config))
    brute_sample_s, brute = timed(lambda: brute_force_pairs(sub, config))
    assert joined == brute, "the join and brute force disagree"
    brute_full_estimate = brute_sample_s * (n / sample) ** 2

    token_p50, token_p95 = _percentiles(token_ms)
    token_plain_p50, token_plain_p95 = _percentiles(token_plain_ms)
    like_p50, like_p95 = _percentiles(like_ms)
    like_plain_p50, like_plain_p95 = _percentiles(like_plain_ms)
    like_every_p50, like_every_p95 = _percentiles(like_every_ms)
    result = BenchResult(
        name="query: all-pairs similarity + groups, "
        + (f"{n:,} real graphs" if args.graphs else "whole model"),
        unit="s",
        figure=full_s,
        plain_figure=brute_full_estimate,
        higher_is_better=False,
        quick=args.quick,
        extra={
            "neurons": n,
            "graphs": str(args.graphs) if args.graphs else "synthetic",
            "plain_note": f"brute force O(N^2) timed on {sample:,} neurons, scaled by (N/sample)^2",
            "similar_pairs": similarity.similar_pairs,
            "subset_pairs": similarity.subset_pairs,
            "groups": similarity.groups,
            "sample_join_s": round(join_sample_s, 3),
            "sample_brute_force_s": round(brute_sample_s, 3),
            "sample_pairs_equal": True,
            "token_search_p50_ms": round(token_p50, 2),
            "token_search_p95_ms": round(token_p95, 2),
            "token_search_plain_scan_p50_ms": round(token_plain_p50, 2),
            "token_search_plain_scan_p95_ms": round(token_plain_p95, 2),
            "like_p50_ms": round(like_p50, 2),
            "like_p95_ms": round(like_p95, 2),
            "like_plain_scan_p50_ms": round(like_plain_p50, 2),
            "like_plain_scan_p95_ms": round(like_plain_p95, 2),
            "like_every_level_p50_ms": round(like_every_p50, 2),
            "like_every_level_p95_ms": round(like_every_p95, 2),
            "queries": len(token_ms),
            "load_s": round(load_s, 1),
        },
    )
    report(result, args)


if __name__ == "__main__":
    main()
