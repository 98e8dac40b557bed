"""What verified paths cost: the build's rate with and without them, side by side.

    .venv/bin/python -m bench.verify --records n2g-run/records [--layers 1] [--neurons 128]
        [--repeats 3] [--json PATH]

Builds the same neurons of the main job's records in one run with paths verified against
the training windows (`path_precision=0.2`, the default, n2g.builder.verify) and without
(`path_precision=0`, every path keeps its claim: the plain approach), and reports the
build rate of each (the median of `--repeats`) and the F1 each reaches, whose gain is what
the cost buys. Verification matches the trie over the training windows: no model pass.
"""

from __future__ import annotations

import numpy as np

from bench._common import BenchResult, add_records_arguments, bench_arg_parser, report, timed
from n2g.builder.batch import build_neuron_graphs
from n2g.builder.config import BuildConfig
from n2g.graph.model import NeuronGraph
from n2g.models import load_model
from n2g.record.store import load_layer, load_manifest
from n2g.run.job import sample_units
from n2g.selection import parse_layers

VERIFIED, PLAIN = 0.2, 0.0


def _mean_f1(graphs: list[NeuronGraph]) -> float:
    values = [
        g.evaluation.n2g.f1 for g in graphs if g.evaluation and g.evaluation.n2g.f1 is not None
    ]
    return float(np.mean(values)) if values else float("nan")


def main() -> None:
    parser = bench_arg_parser("build rate with and without verified paths")
    add_records_arguments(parser)
    args = parser.parse_args()
    if args.quick:
        args.neurons, args.repeats = 16, 1
    manifest = load_manifest(args.records)
    layers = parse_layers(args.layers)
    model = load_model(manifest.model, n_layers=max(layers) + 1, dtype="auto")
    records = {layer: load_layer(args.records, layer) for layer in layers}
    neurons = sample_units(manifest.n_units, args.neurons, 0)
    seconds: dict[float, list[float]] = {VERIFIED: [], PLAIN: []}
    built: dict[float, list[NeuronGraph]] = {}
    for _ in range(args.repeats):
        for precision in (PLAIN, VERIFIED):  # alternated: the same load on both
            config = BuildConfig(path_precision=precision, random_windows=0, keep_evidence=False)

            def build(config: BuildConfig = config) -> list[NeuronGraph]:
                return [
                    graph
                    for layer in layers
                    for graph in build_neuron_graphs(model, records[layer], neurons, config)
                ]

            took, built[precision] = timed(build)
            seconds[precision].append(took)
    units = len(layers) * len(neurons)
    rate = {p: units / float(np.median(s)) for p, s in seconds.items()}
    result = BenchResult(
        name="verify",
        unit="units/s",
        figure=rate[VERIFIED],
        plain_figure=rate[PLAIN],
        higher_is_better=True,
        quick=args.quick,
        extra={
            "layers": layers,
            "neurons": len(neurons),
            "repeats": args.repeats,
            "f1_verified": _mean_f1(built[VERIFIED]),
            "f1_plain": _mean_f1(built[PLAIN]),
        },
    )
    report(result, args)


if __name__ == "__main__":
    main()
