"""Do units N2G calls similar co-activate? Their true activations' correlation, by category.

    .venv/bin/python -m bench.coactivation --run n2g-run [--pairs 64] [--windows 64]
        [--top 5] [--thresholds 0.9,0.7,0.5] [--json PATH] [--quick]

On a main job's folder (graphs.jsonl, records/): the similar and subset pairs of each
threshold, from the graph file's token sets with the join the report uses (a category
above `--pairs` is a seeded sample), and `--pairs` random pairs with the layer pattern of
the similar pairs at the first threshold. For every pair, the Pearson r of the two units'
true activations (the model the records were made with, in their number format):

- (a) random windows: `--windows` random windows of the run's corpus (n2g.record.corpus
  random_windows, the records' window length), r over all their tokens;
- (b) each other's top windows: the union of both units' `--top` best recorded windows, r
  over those tokens.

A pair where a unit never varies has no r: counted as `undefined`, not dropped.

Timing, side by side: (a) by one shared pass over the windows for every unit of every
pair (n2g.models.traces) against the plain way, a pass over the windows per pair, timed on
`--plain-pairs` pairs and scaled to all of them (the r values of those pairs must agree).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from bench._common import BenchResult, bench_arg_parser, report, timed
from n2g.graph.file import read_graph_files
from n2g.graph.key import parse_neuron_key
from n2g.models import load_model
from n2g.models.traces import unit_traces
from n2g.record.corpus import CorpusConfig, open_corpus, random_windows, spec_of
from n2g.record.store import load_layer, load_manifest
from n2g.report.coactivation import (
    Pair,
    matched_random_pairs,
    pearson,
    related_pairs,
    summarise,
)
from n2g.report.groups import graph_token_sets


def _unit(key: str) -> tuple[int, int]:
    unit = parse_neuron_key(key)
    assert unit.layer is not None, f"{key} is not an MLP neuron"
    return unit.layer, unit.unit


def _top_windows(records: Path, units: set[tuple[int, int]], top: int) -> dict:
    """(layer, unit) -> its `top` best recorded windows' token ids."""
    out: dict[tuple[int, int], list[list[int]]] = {}
    for layer in sorted({layer for layer, _ in units}):
        recorded = load_layer(records, layer)
        for _, unit in sorted(u for u in units if u[0] == layer):
            examples = recorded.examples(unit)[:top]
            out[(layer, unit)] = [[int(t) for t in tokens] for tokens, _ in examples]
        del recorded
    return out


def _pair_windows(pair: Pair, tops: dict) -> list[list[int]]:
    """Both units' top windows, each distinct window once."""
    seen: set[tuple[int, ...]] = set()
    out = []
    for key in pair:
        for window in tops[_unit(key)]:
            if tuple(window) not in seen:
                seen.add(tuple(window))
                out.append(window)
    return out


def main() -> None:
    parser = bench_arg_parser("correlation of the true activations of pairs N2G calls similar")
    parser.add_argument("--run", type=Path, required=True, help="a main job's output folder")
    parser.add_argument("--pairs", type=int, default=64, help="most pairs a category")
    parser.add_argument("--windows", type=int, default=64, help="random windows, setting (a)")
    parser.add_argument("--top", type=int, default=5, help="top windows a unit, setting (b)")
    parser.add_argument("--thresholds", default="0.9,0.7,0.5")
    parser.add_argument("--plain-pairs", type=int, default=4, help="pairs the plain way times")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.pairs, args.windows, args.top, args.thresholds = 8, 8, 2, "0.9"
        args.plain_pairs = 2
    thresholds = [float(t) for t in args.thresholds.split(",")]
    records = args.run / "records"
    manifest = load_manifest(records)
    graphs = [
        g
        for g in read_graph_files([args.run / "graphs.jsonl"])
        if g.model == manifest.model and g.unit_set is None and g.layer in manifest.layers
    ]
    sets = graph_token_sets(graphs)
    categories = related_pairs(sets, thresholds, args.pairs, args.seed)
    layer_of = {s.key: s.layer for s in sets}
    first = f"similar@{thresholds[0]:g}"
    pattern = [(layer_of[a], layer_of[b]) for a, b in categories[first]]
    by_layer: dict[int, list[str]] = {}
    for s in sets:
        by_layer.setdefault(s.layer, []).append(s.key)
    categories["random"] = matched_random_pairs(pattern, by_layer, args.pairs, args.seed)
    all_pairs = sorted({pair for pairs in categories.values() for pair in pairs})
    units = sorted({_unit(key) for pair in all_pairs for key in pair})
    print(
        f"{len(graphs)} graphs; pairs: "
        + ", ".join(f"{name} {len(pairs)}" for name, pairs in categories.items())
    )

    cache = Path(os.environ["N2G_CACHE_DIR"]) if "N2G_CACHE_DIR" in os.environ else None
    model = load_model(
        manifest.model,
        n_layers=max(layer for layer, _ in units) + 1,
        cache_dir=cache,
        dtype=manifest.dtype,
    )
    corpus = open_corpus(CorpusConfig(spec=spec_of(manifest.corpus), cache_dir=cache))
    windows = [
        ids
        for _, ids in random_windows(
            corpus, model.tokenizer, manifest.window, args.windows, seed=args.seed
        )
    ]

    # (a) random windows: one shared pass for every unit, against a pass per pair.
    shared_s, traces = timed(lambda: unit_traces(model, windows, units, args.batch))
    row = {unit: i for i, unit in enumerate(units)}
    random_r = {
        pair: pearson(traces[row[_unit(pair[0])]], traces[row[_unit(pair[1])]])
        for pair in all_pairs
    }
    plain = categories["random"][: args.plain_pairs]
    plain_s, plain_r = timed(
        lambda: [
            pearson(*unit_traces(model, windows, [_unit(a), _unit(b)], args.batch))
            for a, b in plain
        ]
    )
    for pair, value in zip(plain, plain_r, strict=True):
        assert math.isclose(value, random_r[pair], abs_tol=1e-5) or (
            math.isnan(value) and math.isnan(random_r[pair])
        ), (pair, value, random_r[pair])
    plain_all_s = plain_s / max(len(plain), 1) * len(all_pairs)

    # (b) each other's top windows: a pass over the pair's windows.
    tops = _top_windows(records, set(units), args.top)

    def top_correlations() -> dict[Pair, float]:
        out = {}
        for pair in all_pairs:
            acts = unit_traces(model, _pair_windows(pair, tops), [_unit(k) for k in pair])
            out[pair] = pearson(acts[0], acts[1])
        return out

    top_s, top_r = timed(top_correlations)

    settings = {"random_windows": random_r, "top_windows": top_r}
    table = {
        setting: [
            summarise(name, [r[p] for p in pairs], args.seed).as_dict()
            for name, pairs in categories.items()
        ]
        for setting, r in settings.items()
    }
    for setting, rows in table.items():
        print(f"\n{setting}: category  pairs  undefined  median  mean [95% interval]")
        for stats in rows:
            print(
                f"  {stats['category']:<12} {stats['pairs']:>5} {stats['undefined']:>5}"
                f"  {stats['median']:6.3f}  {stats['mean']:6.3f} "
                f"[{stats['low']:.3f}, {stats['high']:.3f}]"
            )
    tokens = sum(len(w) for w in windows)
    result = BenchResult(
        name="coactivation",
        unit="s (setting a, all pairs)",
        figure=shared_s,
        plain_figure=plain_all_s,
        higher_is_better=False,
        quick=args.quick,
        extra={
            "run": str(args.run),
            "model": manifest.model,
            "dtype": model.dtype,
            "corpus": manifest.corpus,
            "graphs": len(graphs),
            "random_windows": len(windows),
            "random_tokens": tokens,
            "top_windows_per_unit": args.top,
            "units": len(units),
            "distinct_pairs": len(all_pairs),
            "plain_pairs_timed": len(plain),
            "plain_seconds_timed": round(plain_s, 2),
            "top_windows_seconds": round(top_s, 2),
            "categories": {name: [list(p) for p in pairs] for name, pairs in categories.items()},
            "correlation": table,
        },
    )
    report(result, args)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
