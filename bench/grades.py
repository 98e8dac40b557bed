"""What graded levels cost: build time and graph size with and without them, side by side.

    .venv/bin/python -m bench.grades --records n2g-run/records [--layers 1] [--neurons 128]
        [--repeats 3] [--json PATH]

Builds the same neurons of the main job's records twice in one run, with the default
graded levels (`grades="mean"`, a table of each training token's level below firing,
n2g.builder.grades) and without them (`grades="none"`, the paper's graphs: the plain
approach here), and reports the build rate of each (the median of `--repeats`), the bytes
of the graph file's lines (what the file and the store hold) and the correlation score of
each, whose gain is what the cost buys. Firing scores are equal by construction (checked).
"""

from __future__ import annotations

import numpy as np

from bench._common import BenchResult, add_records_arguments, bench_arg_parser, report, timed
from n2g.builder.batch import build_neuron_graphs
from n2g.builder.config import BuildConfig
from n2g.builder.random_windows import random_windows_provider
from n2g.graph.file import dump_graph_line
from n2g.graph.model import NeuronGraph
from n2g.models import load_model
from n2g.record.store import load_layer, load_manifest
from n2g.run.job import sample_units
from n2g.selection import parse_layers


def _mean_r(graphs: list[NeuronGraph]) -> float:
    values = [
        g.evaluation.correlation.n2g
        for g in graphs
        if g.evaluation and g.evaluation.correlation and g.evaluation.correlation.n2g is not None
    ]
    return float(np.mean(values)) if values else float("nan")


def _graded(graph: NeuronGraph) -> int:
    return len(graph.token_grades.token_ids) if graph.token_grades else 0


def main() -> None:
    parser = bench_arg_parser("build time and graph size with and without graded levels")
    add_records_arguments(parser)
    parser.add_argument("--corpus", default="python-docs", help="the records' corpus")
    args = parser.parse_args()
    if args.quick:
        args.neurons, args.repeats = 16, 1
    manifest = load_manifest(args.records)
    layers = parse_layers(args.layers)
    model = load_model(manifest.model, n_layers=max(layers) + 1)
    sample = random_windows_provider(model, args.corpus, 10, manifest.window, 1, layers)
    windows = {layer: sample(layer) for layer in layers}
    seconds: dict[str, float] = {}
    built: dict[str, list[NeuronGraph]] = {}
    for grades in ("none", "mean"):
        config = BuildConfig(grades=grades, random_windows=10)
        graphs: list[NeuronGraph] = []
        total = 0.0
        for layer in layers:
            records = load_layer(args.records, layer)
            units = sample_units(model.n_units, args.neurons, 0)
            took, made = timed(
                lambda r=records, u=units, w=windows[layer], c=config: build_neuron_graphs(
                    model, r, u, c, sample=w
                ),
                args.repeats,
            )
            total += took
            graphs += made
        seconds[grades], built[grades] = total, graphs
    plain, graded = built["none"], built["mean"]
    assert [g.evaluation.n2g for g in plain] == [g.evaluation.n2g for g in graded]
    size = {
        name: float(np.mean([len(dump_graph_line(g)) for g in gs])) for name, gs in built.items()
    }
    n = len(graded)
    report(
        BenchResult(
            name=f"build with graded levels, {n} neurons of layers {args.layers}",
            unit="neurons/s",
            figure=n / seconds["mean"],
            plain_figure=n / seconds["none"],
            quick=args.quick,
            extra={
                "bytes_per_graph": size["mean"],
                "plain_bytes_per_graph": size["none"],
                "size_ratio": size["mean"] / size["none"],
                "mean_r": _mean_r(graded),
                "plain_mean_r": _mean_r(plain),
                "graded_tokens_per_graph": float(
                    np.mean(
                        [len(g.token_grades.token_ids) if g.token_grades else 0 for g in graded]
                    )
                ),
            },
        ),
        args,
    )


if __name__ == "__main__":
    main()
