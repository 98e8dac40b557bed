"""Neurons/minute of the N2G builder on SmolLM2, against the plain approach, + quality table.

    .venv/bin/python -m bench.build [--quick] [--records DIR] [--pivots firing|argmax]
                                    [--helper none|causal|mlm] [--rerank] [--dtype auto]
                                    [--json PATH]

Builds graphs for `--neurons` neurons of each of `--layers` (default 0-3) of SmolLM2-135M
with the batched builder (shared forward passes across prefixes, masks, substitutes and
neurons; examples dropped as soon as their prune length is known), and for a sample of those
neurons with the plain approach (the same algorithm, one forward pass per prefix, per mask
and per substitute, one neuron at a time, in float32 with transformer_lens' own weight
layout, as the paper's code did), in the same run. It checks that both produce the same
graphs on the sample in float32 (`graph_signature`: same trie, numbers to 4 places), and
when the batched builder runs in bfloat16 (`--dtype`, auto: where native) how many of the
sample's graphs bfloat16 leaves unchanged, and prints the per-layer precision/recall/F1 of
N2G, token lookup and 5-gram. Each side is timed `--repeats` times (default 3) and the
median kept: the layers 0-3 builds are seconds of work, which one run measures with tens of
percent of noise on a shared machine.

Records: `--records DIR` (from `n2g record`), else they are recorded first into a cache
folder (stdlib corpus, window 64, k 20; not timed).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench._common import BenchResult, bench_arg_parser, report, stock_layout, timed
from n2g.builder.batch import build_neuron_graphs
from n2g.builder.clock import CLOCK
from n2g.builder.config import BuildConfig
from n2g.builder.substitutes import make_helper
from n2g.graph.quality import METHOD_TITLES, METHODS, LayerRow, layer_rows
from n2g.models import load_model
from n2g.paths import cache_dir
from n2g.record.store import load_layer, load_manifest
from n2g.selection import parse_layers
from n2g.testing.plain_builder import graph_signature, plain_neuron_graphs

LAYERS = [0, 1, 2, 3]


def ensure_records(folder: Path | None, model, max_tokens: int, layers: list[int]) -> Path:
    if folder is not None:
        return folder
    from n2g.record.config import RecordConfig
    from n2g.record.recorder import record_stage

    tag = "l0-3" if layers == LAYERS else "l" + "_".join(map(str, layers))
    folder = cache_dir() / "bench" / f"records-smollm2-{tag}-{max_tokens}"
    if not (folder / "manifest.json").is_file():
        print(f"recording SmolLM2 layers {layers} into {folder} (once; not timed)...", flush=True)
        config = RecordConfig(window=64, k=20, max_tokens=max_tokens)
        record_stage(model, "stdlib", layers, folder, config, progress=True)
    return folder


def quality_table(rows: list[LayerRow]) -> str:
    head = f"{'layer':>5} {'n':>4} {'no-fire':>7} | " + " | ".join(
        f"{METHOD_TITLES[m] + ' P/R/F1':^20}" for m in METHODS
    )
    lines = [head]
    for row in rows:
        cells = []
        for method in METHODS:
            s = row.methods.get(method)
            cells.append("–" if s is None else f"{s.precision:.3f} {s.recall:.3f} {s.f1:.3f}")
        lines.append(
            f"{row.layer:>5} {row.n_neurons:>4} {row.n_no_firing:>7} | "
            + " | ".join(f"{c:^20}" for c in cells)
        )
    return "\n".join(lines)


def main() -> None:
    parser = bench_arg_parser("neurons/minute of n2g build on SmolLM2 layers 0-3")
    parser.add_argument("--layers", default="0-3", help="layers to build, e.g. 0-3 or 20")
    parser.add_argument("--records", type=Path, default=None, help="records folder (the layers)")
    parser.add_argument("--neurons", type=int, default=None, help="neurons per layer")
    parser.add_argument("--plain-neurons", type=int, default=None, help="plain sample per layer")
    parser.add_argument("--helper", default="none", help="none | mlm[:NAME] | causal[:MODEL]")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="auto", help="auto | float32 | bfloat16 (batched)")
    parser.add_argument(
        "--augmented-saliency",
        default="measure",
        choices=["measure", "inherit"],
        help="see BuildConfig.augmented_saliency",
    )
    parser.add_argument(
        "--pivots", default="argmax", choices=["firing", "argmax"], help="see BuildConfig.pivots"
    )
    parser.add_argument(
        "--rerank",
        action="store_true",
        help="causal helper: re-rank 2n candidates by the window (BuildConfig.rerank_substitutes)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed runs of each side, the median reported (default 3, 1 with --quick)",
    )
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    per_layer = args.neurons or (4 if args.quick else 32)
    plain_per_layer = args.plain_neurons or (1 if args.quick else 2)
    import torch

    torch.manual_seed(0)
    layers = parse_layers(args.layers)
    depth = max(layers) + 1
    model = load_model("smollm2-135m", n_layers=depth, device=args.device, dtype=args.dtype)
    # The plain approach: float32, transformer_lens' own weight layout (as the paper's code).
    exact = stock_layout(load_model("smollm2-135m", n_layers=depth, device=args.device))
    records_dir = ensure_records(args.records, model, 40_000 if args.quick else 300_000, layers)
    manifest = load_manifest(records_dir)
    if manifest.model != model.name or not set(layers) <= set(manifest.layers):
        sys.exit(f"error: {records_dir} must hold {model.name} layers {args.layers}")
    config = BuildConfig(
        helper=args.helper,
        pivots=args.pivots,
        rerank_substitutes=args.rerank,
        augmented_saliency=args.augmented_saliency,
    )
    helper = make_helper(args.helper, model, args.device, rerank=config.rerank_substitutes)
    exact_helper = make_helper(args.helper, exact, args.device, rerank=config.rerank_substitutes)
    records = {layer: load_layer(records_dir, layer) for layer in layers}
    neurons = list(range(per_layer))

    def fast_build():
        return {layer: build_neuron_graphs(model, records[layer], neurons, config, helper)
                for layer in layers}  # fmt: skip

    sample = neurons[:plain_per_layer]

    def plain_build():
        return {layer: plain_neuron_graphs(exact, records[layer], sample, config, exact_helper)
                for layer in layers}  # fmt: skip

    def exact_build():  # the batched builder in float32 on the plain sample (not timed)
        return {layer: build_neuron_graphs(exact, records[layer], sample, config, exact_helper)
                for layer in layers}  # fmt: skip

    CLOCK.reset()
    fast_seconds, fast = timed(fast_build, repeats)
    stages = {name: round(seconds / repeats, 2) for name, seconds in CLOCK.breakdown().items()}
    print("batched builder, seconds per stage: " + ", ".join(f"{k} {v}" for k, v in stages.items()))
    plain_seconds, plain = timed(plain_build, repeats)
    # The ratio above divides rates over different neurons (a neuron's cost varies a lot,
    # most in deep layers); this one times the batched builder on the plain sample itself.
    same_seconds, _ = timed(
        lambda: {
            layer: build_neuron_graphs(model, records[layer], sample, config, helper)
            for layer in layers
        },  # fmt: skip
        repeats,
    )
    n_fast = per_layer * len(layers)
    n_plain = plain_per_layer * len(layers)
    batched_exact = exact_build()
    same = sum(
        graph_signature(a) == graph_signature(b)
        for layer in layers
        for a, b in zip(batched_exact[layer], plain[layer], strict=True)
    )
    same_dtype = sum(
        graph_signature(a) == graph_signature(b)
        for layer in layers
        for a, b in zip(fast[layer], batched_exact[layer], strict=False)
    )
    rows = layer_rows(graph for layer in layers for graph in fast[layer])
    print(quality_table(rows))
    wins = all(
        r.methods["n2g"].f1 > max(s.f1 for m, s in r.methods.items() if m != "n2g") for r in rows
    )
    result = BenchResult(
        name="build",
        unit="neurons/min",
        figure=n_fast / fast_seconds * 60,
        plain_figure=n_plain / plain_seconds * 60,
        quick=args.quick,
        extra={
            "neurons_fast": n_fast,
            "neurons_plain": n_plain,
            "seconds_fast": round(fast_seconds, 2),
            "seconds_plain": round(plain_seconds, 2),
            "seconds_batched_on_plain_sample": round(same_seconds, 2),
            "repeats": repeats,
            "ratio_same_neurons": round(plain_seconds / same_seconds, 2),
            "stage_seconds_fast": stages,
            "same_graphs": f"{same}/{n_plain}",
            "dtype": model.dtype,
            "unchanged_by_dtype": f"{same_dtype}/{n_plain}",
            "helper": args.helper,
            "layers": layers,
            "augmented_saliency": args.augmented_saliency,
            "pivots": args.pivots,
            "device": args.device,
            "n2g_beats_both_baselines_every_layer": wins,
            "quality": [r.model_dump() for r in rows],
        },
    )
    report(result, args)


if __name__ == "__main__":
    main()
