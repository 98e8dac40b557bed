"""What one build setting costs: the build's rate with it and without it, side by side.

A setting that changes how a graph is built (verified paths, bigram paths) is measured by
building the same seeded neurons of a records folder with the setting's value and with its
plain value, alternated `--repeats` times so that both see the same load; the rate is the
median of the repeats and the F1 each reaches is what the cost buys. The benchmarks that
use it (bench.verify, bench.bigram_paths) name the setting and its two values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench._common import BenchResult, add_records_arguments, bench_arg_parser, report, timed
from n2g.builder.batch import build_neuron_graphs
from n2g.builder.config import BuildConfig
from n2g.graph.model import NeuronGraph
from n2g.models import load_model
from n2g.record.store import load_layer, load_manifest
from n2g.run.job import sample_units
from n2g.selection import parse_layers


def _mean_f1(graphs: list[NeuronGraph]) -> float:
    values = [
        g.evaluation.n2g.f1 for g in graphs if g.evaluation and g.evaluation.n2g.f1 is not None
    ]
    return float(np.mean(values)) if values else float("nan")


def _nodes(graphs: list[NeuronGraph]) -> float:
    return float(np.mean([len(g.nodes) for g in graphs])) if graphs else float("nan")


def compare_setting(name: str, setting: str, value: Any, plain: Any, description: str) -> None:
    """Parse the records benchmark's arguments, build with `setting` = `value` and =
    `plain`, and report the first's rate against the second's (BenchResult `name`)."""
    parser = bench_arg_parser(description)
    add_records_arguments(parser)
    args = parser.parse_args()
    if args.quick:
        args.neurons, args.repeats = 16, 1
    manifest = load_manifest(args.records)
    layers = parse_layers(args.layers)
    model = load_model(manifest.model, n_layers=max(layers) + 1, dtype="auto")
    records = {layer: load_layer(args.records, layer) for layer in layers}
    neurons = sample_units(manifest.n_units, args.neurons, 0)
    seconds: dict[str, list[float]] = {"with": [], "plain": []}
    built: dict[str, list[NeuronGraph]] = {}
    for _ in range(args.repeats):
        for which, setting_value in (("plain", plain), ("with", value)):  # alternated
            config = BuildConfig(**{setting: setting_value}, random_windows=0, keep_evidence=False)

            def build(config: BuildConfig = config) -> list[NeuronGraph]:
                return [
                    graph
                    for layer in layers
                    for graph in build_neuron_graphs(model, records[layer], neurons, config)
                ]

            took, built[which] = timed(build)
            seconds[which].append(took)
    units = len(layers) * len(neurons)
    rate = {which: units / float(np.median(s)) for which, s in seconds.items()}
    result = BenchResult(
        name=name,
        unit="units/s",
        figure=rate["with"],
        plain_figure=rate["plain"],
        higher_is_better=True,
        quick=args.quick,
        extra={
            "setting": setting,
            "value": value,
            "plain_value": plain,
            "layers": layers,
            "neurons": len(neurons),
            "repeats": args.repeats,
            "f1": _mean_f1(built["with"]),
            "f1_plain": _mean_f1(built["plain"]),
            "nodes": _nodes(built["with"]),
            "nodes_plain": _nodes(built["plain"]),
        },
    )
    report(result, args)
