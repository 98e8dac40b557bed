"""The Ray executor against a single process, and the whole model on many GPUs, simulated.

    .venv/bin/python -m bench.distributed [--quick] [--records DIR] [--neurons 48]
        [--layers 3] [--json PATH]

1. Measured, side by side in one run: the same build (`--neurons` seeded neurons of
   `--layers`, default BuildConfig) by `build_stage` in this process, then by the Ray
   executor with 1 and with 2 workers on this machine. Throughput is neurons per second of
   building; Ray's start-up (joining a private instance, each worker loading the model)
   is printed apart, as it is paid once per command, not per neuron. The graphs of every
   run are compared (they must be equal). `--records`: a records folder of SmolLM2 layers
   (default: records of `--quick`'s tiny model, or 65,536 tokens of SmolLM2 recorded here).
2. Simulated: every neuron of SmolLM2's 30 layers on 8 and 64 workers, each as fast as
   this CPU (the per-layer seconds a neuron of bench/results/whole_model.json), scheduled
   by `--shard` striding against n2g.cluster.schedule's cost-aware tasks. A neuron's cost
   varies within its layer too; that spread is not measured per neuron here (the builder
   works in batches), so the simulation is printed for a coefficient of variation of 0,
   0.5 and 1 (log-normal), with the per-layer set-up measured in part 1.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import time
from pathlib import Path

from bench._common import BenchResult, bench_arg_parser, report
from n2g.builder.config import BuildConfig
from n2g.builder.stage import build_stage
from n2g.cluster.build import build_on_ray
from n2g.cluster.executor import ClusterConfig
from n2g.cluster.recipe import ModelRecipe
from n2g.cluster.schedule import dynamic_makespan, plan_batches, stride_makespan
from n2g.graph.file import iter_graph_file
from n2g.models import OFFLINE_MODEL, load_model
from n2g.record.config import RecordConfig
from n2g.record.recorder import record_stage
from n2g.record.store import load_manifest

WHOLE_MODEL = Path(__file__).parent / "results" / "whole_model.json"
TINY = "tiny-gelu-2l-s0"


def _records(args, work: Path) -> Path:
    if args.records:
        return Path(args.records)
    name = TINY if args.quick else OFFLINE_MODEL
    model = load_model(name, n_layers=max(args.layers) + 1, dtype="auto")
    config = RecordConfig(
        window=64 if args.quick else 256, max_tokens=8_192 if args.quick else 65_536
    )
    record_stage(
        model, "stdlib" if args.quick else "python-docs", args.layers, work / "rec", config
    )
    return work / "rec"


def _graphs(path: Path) -> dict[str, dict]:
    return {g.key: g.model_dump(exclude={"settings"}) for _, g in iter_graph_file(path)}


def measure(args, work: Path) -> dict:
    """Part 1: the same build here and on Ray (1 and 2 workers)."""
    records = _records(args, work)
    manifest = load_manifest(records)
    n_layers = max(args.layers) + 1
    model = load_model(manifest.model, n_layers=n_layers, dtype=manifest.dtype or "float32")
    neurons = sorted(random.Random(0).sample(range(manifest.n_units), args.neurons))
    config = BuildConfig(ood_corpus=None)
    runs: dict[str, dict] = {}
    local = build_stage(
        model, records, work / "local.jsonl", config, layers=args.layers, neurons=neurons,
        progress=False,
    )  # fmt: skip
    runs["local"] = {"build_s": local.seconds, "setup_per_layer_s": _setup(local.stage_seconds)}
    reference = _graphs(work / "local.jsonl")
    recipe = ModelRecipe.of(model, manifest.model, n_layers)
    for workers in (1, 2):
        out = work / f"ray-{workers}.jsonl"
        summary = build_on_ray(
            model, recipe, records, out, config, ClusterConfig(workers=workers),
            layers=args.layers, neurons=neurons, progress=False,
        )  # fmt: skip
        runs[f"ray {workers}"] = {
            "build_s": summary.stage_seconds["build"],
            "start_s": summary.stage_seconds["start workers"],
            "same_graphs": _graphs(out) == reference,
        }
    n_units = len(neurons) * len(args.layers)
    for run in runs.values():
        run["neurons_per_s"] = n_units / run["build_s"]
    return {"model": manifest.model, "units": n_units, "runs": runs}


def _setup(stage_seconds: dict[str, float]) -> float:
    return stage_seconds.get("ood", 0.0) + stage_seconds.get("correlation", 0.0)


def simulate(layer_setup: float) -> list[dict]:
    """Part 2: whole-model makespans, striding against cost-aware tasks."""
    measured = json.loads(WHOLE_MODEL.read_text())["seconds_per_neuron"]
    points = sorted((int(layer), seconds) for layer, seconds in measured.items())

    def per_neuron(layer: int) -> float:  # linear between the sampled layers
        for (a, sa), (b, sb) in zip(points, points[1:], strict=False):
            if a <= layer <= b:
                return sa + (sb - sa) * (layer - a) / (b - a)
        return points[-1][1]

    layers, neurons = list(range(30)), list(range(1536))
    rows = []
    for spread in (0.0, 0.5, 1.0):
        rng = random.Random(0)
        sigma = math.sqrt(math.log(1 + spread**2))
        cost = {
            (layer, n): per_neuron(layer) * rng.lognormvariate(-(sigma**2) / 2, sigma)
            for layer in layers
            for n in neurons
        }
        units = [(layer, cost[(layer, n)]) for layer in layers for n in neurons]
        batches = plan_batches(layers, neurons, BuildConfig().neurons_per_batch)
        batch_costs = [(b, sum(cost[(b.layer, n)] for n in b.neurons)) for b in batches]
        for workers in (8, 64):
            strided = stride_makespan(units, workers, layer_setup)
            dynamic = dynamic_makespan(batch_costs, workers, 20.0, layer_setup, overhead=0.01)
            rows.append(
                {
                    "cv": spread,
                    "workers": workers,
                    "stride_h": strided / 3600,
                    "dynamic_h": dynamic / 3600,
                    "ideal_h": sum(c for _, c in units) / workers / 3600,
                    "ratio": strided / dynamic,
                }
            )
    return rows


def main() -> None:
    parser = bench_arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--records", default=None, help="a records folder to build from")
    parser.add_argument("--neurons", type=int, default=None, help="neurons a layer")
    parser.add_argument("--layers", type=int, nargs="+", default=None, help="layers to build")
    args = parser.parse_args()
    args.layers = args.layers or ([1] if args.quick else [3])
    args.neurons = args.neurons or (16 if args.quick else 48)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        measured = measure(args, Path(tmp))
    runs = measured["runs"]
    rows = simulate(runs["local"]["setup_per_layer_s"] / len(args.layers))
    for row in rows:
        print(
            f"  simulated, cv {row['cv']}, {row['workers']} workers: stride "
            f"{row['stride_h']:.2f} h, cost-aware {row['dynamic_h']:.2f} h "
            f"(ideal {row['ideal_h']:.2f} h): {row['ratio']:.2f}x"
        )
    result = BenchResult(
        name="build on Ray, 1 worker, against one process",
        unit="neurons/s",
        figure=runs["ray 1"]["neurons_per_s"],
        plain_figure=runs["local"]["neurons_per_s"],
        quick=args.quick,
        extra={
            "model": measured["model"],
            "layers": args.layers,
            "units": measured["units"],
            "runs": {
                name: {key: round(v, 3) if isinstance(v, float) else v for key, v in run.items()}
                for name, run in runs.items()
            },
            "ray_2_workers_ratio": runs["ray 2"]["neurons_per_s"] / runs["local"]["neurons_per_s"],
            "simulation": rows,
            "seconds": round(time.perf_counter() - started, 1),
            "goal": ">= 0.9x single-process throughput at 1 worker",
        },
    )
    report(result, args)


if __name__ == "__main__":
    main()
