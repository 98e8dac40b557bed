"""Graph quality of builder variants on the same neurons, side by side (not a timing).

    .venv/bin/python -m bench.fidelity [--layers 0-3] [--neurons 128] [--window 64]
        [--max-tokens 262144] [--corpus python-docs] [--ood-corpus stdlib]
        [--variants paper,pruned,firing] [--helper none] [--dtype float32] [--out FILE.md]

Records SmolLM2 (cached per corpus/window/tokens under the n2g cache), then builds every
variant for the same seeded neurons of each layer and prints, per layer and variant, the
paper's F1 (with 95% bootstrap intervals) for N2G, token lookup and 5-gram, the correlation
score of each, and the out-of-distribution false-positive rates. Variants:

- paper:   the paper's method (argmax pivots; END = pruned activation x original/pruned);
- pruned:  END holds the pruned example's own activation (this project's first slice);
- firing:  every firing token of a training window is a pivot (END rescaled);
- extra:   the paper's, plus the 10 recorded windows ranked 21-30 as training examples;
- sampled: the paper's, plus 10 windows of an activation-weighted random sample (all
           activation levels) as training examples;
- firing+sampled, firing+extra: the combinations;
- default: `BuildConfig()` as it stands (what `n2g run` builds);
- default-uncapped, default-cap16: the same with no pruned-context cap, or a cap of 16;
- paper+fold, default+fold, default-nofold: with token folding on / off (case and
  surrounding whitespace ignored by the trie and both baselines, n2g.graph.token_fold);
- default-norerank, default-rerank, default+fold-norerank: a causal helper's top n next
  tokens kept without the re-ranking passes (`rerank_substitutes=False`, the default), or
  re-ranked from 2n by the whole window (True); the same as default without a helper;
- default-nohelper: default with no augmentation whatever `--helper` says;
- default-measure, default-inherit: augmented examples' importances measured again, or
  taken from their origin (`augmented_saliency`; needs `--helper`);
- default-precision0, default+precision0.1/0.2/0.3: paths verified against the training
  windows (a path keeps firing only where that fraction of its matches there fire,
  n2g.builder.verify; 0.2 is the default since 2026-12-06, 0 keeps every path's claim);
- default+embed, default+embed+precision0.2: augmented by the model's 10 nearest tokens in
  its input embedding (`--helper embed`), without or with verified paths;
- default+embed-pivot: the same for the pivot alone (`augment_context=False`), with
  verified paths;
- default+extra80, default+extra80+precision0.2: 70 more recorded windows (ranks 31-100)
  train the graph (needs `--k 100`), without or with verified paths;
- default+bf16, paper+bf16: the builder's passes in bfloat16 (n2g.models.dtype); records,
  test, OOD and random windows stay float32, so the truth they are scored on is the exact
  model's.

All variants share the top-20 split (10 train / 10 held-out test) of every neuron, so the
test windows are the same; records are made once with k = 30 (`--k`) and a 20-window
sample.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from bench._common import bench_arg_parser
from n2g.builder.batch import build_neuron_graphs
from n2g.builder.config import BuildConfig
from n2g.builder.random_windows import random_windows_provider
from n2g.builder.substitutes import make_helper
from n2g.graph.model import NeuronGraph
from n2g.graph.quality import METHOD_TITLES, METHODS, layer_rows
from n2g.models import OFFLINE_MODEL, load_model
from n2g.paths import cache_dir
from n2g.record.config import RecordConfig
from n2g.record.corpus import open_corpus
from n2g.record.recorder import record_stage
from n2g.record.store import load_layer
from n2g.run.job import sample_units
from n2g.selection import parse_layers

PAPER = {"end_activation": "rescaled", "pivots": "argmax", "n_examples": 20, "max_context": None}
VARIANTS: dict[str, dict] = {
    "paper": PAPER,
    "pruned": {**PAPER, "end_activation": "pruned"},
    "firing": {**PAPER, "pivots": "firing"},
    "extra": {**PAPER, "extra_train_examples": 10},
    "sampled": {**PAPER, "sample_train_examples": 10},
    "firing+sampled": {**PAPER, "pivots": "firing", "sample_train_examples": 10},
    "firing+extra": {**PAPER, "pivots": "firing", "extra_train_examples": 10},
    "default": {},
    "default-uncapped": {"max_context": None},
    "default-cap16": {"max_context": 16},
    "paper+fold": {**PAPER, "fold_tokens": True},
    "default+fold": {"fold_tokens": True},
    "default-nofold": {"fold_tokens": False},
    "default-norerank": {"rerank_substitutes": False},
    "default-rerank": {"rerank_substitutes": True},
    "default+fold-norerank": {"fold_tokens": True, "rerank_substitutes": False},
    "default-nohelper": {"helper": "none"},
    "default+bf16": {"dtype": "bfloat16"},
    "default-measure": {"augmented_saliency": "measure"},
    "default-inherit": {"augmented_saliency": "inherit"},
    "paper+bf16": {**PAPER, "dtype": "bfloat16"},
    "default+grades-mean": {"grades": "mean"},
    "default+grades-max": {"grades": "max"},
    "default+grades-mean-floor0": {"grades": "mean", "grade_floor": 0.0},
    "default+grades-mean-floor0.2": {"grades": "mean", "grade_floor": 0.2},
    "default+grades-all": {"grades": "mean", "grade_floor": 0.0},
    "default+grades-1024": {"grades": "mean", "grade_floor": 0.0, "grade_tokens": 1024},
    "default+grades-512": {"grades": "mean", "grade_floor": 0.0, "grade_tokens": 512},
    "default+grades-256": {"grades": "mean", "grade_floor": 0.0, "grade_tokens": 256},
    "default+grades-64": {"grades": "mean", "grade_floor": 0.0, "grade_tokens": 64},
    "default+grades-16": {"grades": "mean", "grade_floor": 0.0, "grade_tokens": 16},
    "default+verify": {"bare_paths": "verify"},
    "default+verify+grades-mean": {"bare_paths": "verify", "grades": "mean"},
    "default-precision0": {"path_precision": 0.0},
    "default+precision0.1": {"path_precision": 0.1},
    "default+precision0.2": {"path_precision": 0.2},
    "default+precision0.3": {"path_precision": 0.3},
    "default+embed": {"helper": "embed", "n_substitutes": 10, "path_precision": 0.0},
    "default+embed+precision0.2": {"helper": "embed", "n_substitutes": 10, "path_precision": 0.2},
    "default+embed-pivot": {"helper": "embed", "n_substitutes": 10, "augment_context": False},
    "default+extra80": {"extra_train_examples": 80, "path_precision": 0.0},
    "default+extra80+precision0.2": {"extra_train_examples": 80, "path_precision": 0.2},
    "default-bigrams": {"bigram_paths": 0.0},
    "default+bigrams0.3": {"bigram_paths": 0.3},
    "default+bigrams1": {"bigram_paths": 1.0},
}
RECORD_K, RECORD_SAMPLES = 30, 20


def _cell(interval) -> str:
    return f"{interval.mean:.2f} [{interval.low:.2f}, {interval.high:.2f}]"


def _records_hold(folder: Path, layers: list[int]) -> bool:
    """Whether `folder` holds finished records of every layer asked."""
    from n2g.errors import N2GError
    from n2g.record.store import load_manifest

    try:
        return set(layers) <= set(load_manifest(folder).layers)
    except N2GError:
        return False


def _size(graph: NeuronGraph) -> int:
    return len(graph.nodes) + (len(graph.token_grades.token_ids) if graph.token_grades else 0)


def table(results: dict[str, list[NeuronGraph]]) -> str:
    titles = [METHOD_TITLES[m] for m in METHODS]
    columns = [
        *(f"{t} F1" for t in titles), *(f"{t} r" for t in titles),
        "N2G r≥0.8", "N2G FPR", "lookup FPR", "nodes", "scored",
    ]  # fmt: skip
    lines = [
        "| layer | variant | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    rows = {name: {r.layer: r for r in layer_rows(graphs)} for name, graphs in results.items()}
    layers = sorted({layer for by_layer in rows.values() for layer in by_layer})
    nodes = {  # trie nodes + graded tokens: what a graph holds
        (name, layer): np.mean([_size(g) for g in graphs if g.layer == layer])
        for name, graphs in results.items()
        for layer in {g.layer for g in graphs}
    }
    for layer in layers:
        for name, by_layer in rows.items():
            row = by_layer[layer]
            f1 = [_cell(row.methods[m].f1_interval) if m in row.methods else "–" for m in METHODS]
            corr = [
                _cell(row.correlation[m].mean) if m in row.correlation else "–" for m in METHODS
            ]
            share = (
                f"{row.correlation['n2g'].share_well_correlated:.1%}" if row.correlation else "–"
            )
            fpr = [
                f"{row.ood[m].false_positive_rate:.2%}" if m in row.ood else "–"
                for m in ("n2g", "token_lookup")
            ]
            lines.append(
                f"| {layer} | {name} | "
                + " | ".join([*f1, *corr, share, *fpr])
                + f" | {nodes[name, layer]:.0f} | {row.n_scored}/{row.n_neurons} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = bench_arg_parser("quality of builder variants on the same neurons")
    parser.add_argument("--layers", default="0-3")
    parser.add_argument("--neurons", type=int, default=128, help="seeded sample per layer")
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=262_144)
    parser.add_argument("--corpus", default="python-docs")
    parser.add_argument("--ood-corpus", default="stdlib")
    parser.add_argument("--variants", default="paper,pruned,firing")
    parser.add_argument(
        "--k", type=int, default=RECORD_K, help="windows recorded per neuron (extra80 needs 100)"
    )
    parser.add_argument("--helper", default="none")
    parser.add_argument(
        "--dtype", default="float32", help="the builder's passes for variants that set none"
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    if args.quick:
        args.neurons, args.max_tokens, args.layers = 8, 32_768, "0-1"
    layers = parse_layers(args.layers)
    model = load_model(OFFLINE_MODEL, n_layers=max(layers) + 1)
    models = {"float32": model}
    corpus = open_corpus(args.corpus)
    tag = f"{args.corpus}-w{args.window}-k{args.k}-s{RECORD_SAMPLES}-t{args.max_tokens}"
    records_dir = cache_dir() / "bench" / f"records-{model.name}-{tag}"
    config = RecordConfig(
        window=args.window,
        k=args.k,
        samples=RECORD_SAMPLES,
        max_tokens=args.max_tokens,
        batch_size=max(1, 4096 // args.window),
    )
    if not _records_hold(records_dir, layers):  # records of more layers serve a subset
        record_stage(model, corpus, layers, records_dir, config, progress=True)
    helpers = {}
    ood = random_windows_provider(model, args.ood_corpus, 64, args.window, 0)
    sample = random_windows_provider(model, corpus, 10, args.window, 1)
    neurons = sample_units(model.n_units, args.neurons, 0)
    results: dict[str, list[NeuronGraph]] = {name: [] for name in args.variants.split(",")}
    for layer in layers:
        records = load_layer(records_dir, layer)
        ood_data, sample_data = ood(layer), sample(layer)
        for name in results:
            started = time.perf_counter()
            settings = {"helper": args.helper, **VARIANTS[name]}
            dtype = settings.pop("dtype", args.dtype)
            if dtype not in models:
                models[dtype] = load_model(OFFLINE_MODEL, n_layers=max(layers) + 1, dtype=dtype)
            build = BuildConfig(**settings)
            spec = (build.helper, build.rerank_substitutes, dtype)
            if spec not in helpers:
                helpers[spec] = make_helper(
                    build.helper, models[dtype], rerank=build.rerank_substitutes
                )
            for start in range(0, len(neurons), build.neurons_per_batch):
                batch = neurons[start : start + build.neurons_per_batch]
                results[name] += build_neuron_graphs(
                    models[dtype],
                    records,
                    batch,
                    build,
                    helpers[spec],
                    ood_data,
                    sample_data,
                )
            print(f"layer {layer}: {name} done ({time.perf_counter() - started:.0f} s)", flush=True)
    text = (
        f"SmolLM2-135M, {args.corpus}, window {args.window}, top-20 split 10/10, "
        f"{args.max_tokens:,} tokens, {args.neurons} neurons/layer, helper {args.helper}, "
        f"passes in {args.dtype} unless the variant says\n\n" + table(results)
    )
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.json is not None:
        rows = {n: [r.model_dump() for r in layer_rows(g)] for n, g in results.items()}
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
