"""Whole-model time on this machine, extrapolated from a sample of every few layers.

    .venv/bin/python -m bench.whole_model [--quick] [--every 5] [--neurons 32]
        [--max-tokens 262144] [--plain-neurons 1] [--dtype auto] [--max-context 32|none]
        [--device cpu] [--batch-rows 256] [--json PATH]

Records ALL 30 layers of SmolLM2-135M in one pass over `--max-tokens` tokens of the main
job's corpus (timed: this is `n2g record --layers all`), then builds `--neurons` seeded
neurons of each sampled layer (0, every `--every`-th, and the last) with the default
`BuildConfig` (no helper unless `--helper`), timing each layer, and the plain builder (the
same algorithm, one forward pass per sequence, one neuron at a time, in float32 with
transformer_lens' own weight layout) on `--plain-neurons` of them. Recording and the batched
builder run in `--dtype` (auto, as `n2g run`: bfloat16 where native); the plain sample's
graphs are compared with the batched builder's in float32 (not timed).

Extrapolation: recording scales with tokens (to the main job's 1,048,576); building, each
layer's 1,536 neurons at the seconds per neuron of that layer, interpolated linearly
between the sampled layers. Printed per sampled layer and as the whole-model total, for
both builders (the plain one's whole-model time from its own per-layer rates).

`--device cuda` runs both builders and the recording on a GPU (`n2g run --device cuda`);
a GPU wants more rows a pass than a CPU (`--batch-rows`): below ~8,000 tokens a pass it
waits on latency, not arithmetic (scripts/gpu_check.py). Per-neuron costs grow with the
corpus (layer 20, same 32 neurons: 2.48 s a neuron on 65,536-token records, 2.89 on the
main job's 1,048,576): sample on `--max-tokens` near the run you plan.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from bench._common import BenchResult, bench_arg_parser, report, stock_layout, timed
from n2g.builder.batch import build_neuron_graphs
from n2g.builder.config import BuildConfig
from n2g.builder.substitutes import make_helper
from n2g.graph.quality import layer_rows
from n2g.models import OFFLINE_MODEL, load_model
from n2g.record.config import RecordConfig
from n2g.record.corpus import open_corpus
from n2g.record.recorder import record_stage
from n2g.record.store import load_layer
from n2g.run.job import sample_units
from n2g.selection import max_context_override
from n2g.testing.plain_builder import graph_signature, plain_neuron_graphs

MAIN_JOB_TOKENS = 1_048_576


def sampled_layers(n_layers: int, every: int) -> list[int]:
    return sorted({*range(0, n_layers, every), n_layers - 1})


def per_layer_seconds(sampled: dict[int, float], n_layers: int) -> list[float]:
    """Seconds per neuron for every layer, interpolated between the sampled layers."""
    xs = sorted(sampled)
    return [float(np.interp(layer, xs, [sampled[x] for x in xs])) for layer in range(n_layers)]


def main() -> None:
    parser = bench_arg_parser("whole-model record + build time, extrapolated from a sample")
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--neurons", type=int, default=None, help="neurons per sampled layer")
    parser.add_argument("--plain-neurons", type=int, default=None)
    parser.add_argument("--max-tokens", type=int, default=None)
    parser.add_argument("--corpus", default="python-docs")
    parser.add_argument("--helper", default="none", help="none | causal | mlm[:NAME]")
    parser.add_argument("--dtype", default="auto", help="auto | float32 | bfloat16")
    parser.add_argument(
        "--max-context", default=None, help="pruned-context cap: tokens or none [the default]"
    )
    parser.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1")
    parser.add_argument("--batch-rows", type=int, default=None, help="sequences a pass")
    args = parser.parse_args()
    per_layer = args.neurons or (2 if args.quick else 32)
    plain_per_layer = args.plain_neurons if args.plain_neurons is not None else 1
    max_tokens = args.max_tokens or (16_384 if args.quick else 262_144)

    model = load_model(OFFLINE_MODEL, dtype=args.dtype, device=args.device)
    # The plain approach: float32, transformer_lens' own weight layout (as the paper's code).
    exact = stock_layout(load_model(OFFLINE_MODEL, device=args.device))
    layers = sampled_layers(model.n_layers, args.every)
    corpus = open_corpus(args.corpus)
    rows = {"batch_rows": args.batch_rows} if args.batch_rows else {}
    config = BuildConfig(helper=args.helper, **max_context_override(args.max_context), **rows)
    helper = make_helper(args.helper, model, args.device, rerank=config.rerank_substitutes)
    exact_helper = make_helper(args.helper, exact, args.device, rerank=config.rerank_substitutes)
    record_config = RecordConfig(max_tokens=max_tokens)
    neurons = sample_units(model.n_units, per_layer, 0)
    tmp = Path(tempfile.mkdtemp(prefix="n2g-bench-whole-"))
    try:
        every_layer = list(range(model.n_layers))
        record_s, manifest = timed(
            lambda: record_stage(model, corpus, every_layer, tmp, record_config, progress=True)
        )
        fast: dict[int, float] = {}
        plain: dict[int, float] = {}
        graphs = []
        same = compared = 0
        for layer in layers:
            records = load_layer(tmp, layer)
            start = time.perf_counter()
            built = []
            for begin in range(0, len(neurons), config.neurons_per_batch):
                batch = neurons[begin : begin + config.neurons_per_batch]
                built += build_neuron_graphs(model, records, batch, config, helper)
            fast[layer] = (time.perf_counter() - start) / len(neurons)
            graphs += built
            if plain_per_layer:
                sample = neurons[:plain_per_layer]
                start = time.perf_counter()
                slow = plain_neuron_graphs(exact, records, sample, config, exact_helper)
                plain[layer] = (time.perf_counter() - start) / len(sample)
                batched = build_neuron_graphs(exact, records, sample, config, exact_helper)
                pairs = zip(batched, slow, strict=True)
                same += sum(graph_signature(a) == graph_signature(b) for a, b in pairs)
                compared += len(slow)
            print(
                f"layer {layer:>2}: {fast[layer]:.2f} s/neuron ({60 / fast[layer]:.0f}/min)"
                + (f", plain {plain[layer]:.1f} s/neuron" if layer in plain else ""),
                flush=True,
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    record_whole = record_s * MAIN_JOB_TOKENS / manifest.n_tokens
    build_whole = sum(per_layer_seconds(fast, model.n_layers)) * model.n_units
    plain_whole = sum(per_layer_seconds(plain, model.n_layers)) * model.n_units if plain else None
    n_units = model.n_layers * model.n_units
    for row in layer_rows(graphs):
        f1 = {m: s.f1 for m, s in row.methods.items()}
        print(
            f"layer {row.layer:>2} quality (F1): "
            + ", ".join(f"{k} {v:.2f}" for k, v in f1.items())
        )
    print(
        f"whole model ({n_units:,} neurons): record {record_whole / 60:.1f} min "
        f"({MAIN_JOB_TOKENS:,} tokens, all layers in one pass), build {build_whole / 3600:.2f} h"
        + (f" (plain builder: {plain_whole / 3600:.1f} h)" if plain_whole else "")
    )
    total = record_whole + build_whole
    result = BenchResult(
        name="whole model, record + build (extrapolated)",
        unit="h",
        figure=total / 3600,
        plain_figure=(record_whole + plain_whole) / 3600 if plain_whole else float("nan"),
        higher_is_better=False,
        quick=args.quick,
        extra={
            "sampled_layers": layers,
            "neurons_per_sampled_layer": per_layer,
            "seconds_per_neuron": {str(k): round(v, 3) for k, v in fast.items()},
            "plain_seconds_per_neuron": {str(k): round(v, 2) for k, v in plain.items()},
            "record_seconds": round(record_s, 1),
            "record_tokens": manifest.n_tokens,
            "record_whole_model_minutes": round(record_whole / 60, 1),
            "build_whole_model_hours": round(build_whole / 3600, 2),
            "same_graphs": f"{same}/{compared}",
            "dtype": model.dtype,
            "helper": config.helper,
            "max_context": config.max_context,
            "device": args.device,
            "batch_rows": config.batch_rows,
        },
    )
    report(result, args)


if __name__ == "__main__":
    main()
