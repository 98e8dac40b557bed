"""Circuits for the whole model, estimated from a sample: 'data' FEEDS edges for every unit.

    .venv/bin/python -m bench.circuits_whole [--quick] [--json PATH] [--layers 1,8,15,22,29]

Why a sample: every unit of SmolLM2-135M (30 layers x 1,536 = 46,080; those of layers
1-29, 44,544, have units upstream) is hours of CPU either way, and the cost of one unit
depends on its layer only (its windows have one shape: the data source's train windows,
DATA_WINDOWS of them cut to DEFAULT_CROP tokens, n2g.circuits.windows). So for a few
layers spread over the model:

- n2g's way (n2g.models.attribution, what `n2g feeds --source data` and `n2g run
  --circuits` run): `--targets` units of the layer scored against every neuron of every
  earlier layer, one forward and one backward per 8 targets: seconds per target;
- the plain way, finite differences (two passes per (earlier neuron, target) pair, plus
  the clean pass, n2g.models.attribution.plain_attribution), timed on
  `--plain-candidates` candidates of one target: seconds per candidate, times the
  target's earlier neurons (layer x 1,536) gives seconds per target.

Each is interpolated linearly over the layers between those timed (cost grows with
depth: the pass runs to the target's layer; a layer outside those timed takes the
nearest timed layer's cost) and summed over every unit of every layer that has units
upstream; `layers_0_3_minutes` is the same sum over layers 1-3 (time them with
`--layers 1,2,3`). Windows: each target's top `--windows` of random windows of the
Python standard library's source, cut to the data source's crop, the shape the job's
records give.
"""

from __future__ import annotations

import os
import random
import time

import numpy as np
import torch

from bench._common import BenchResult, bench_arg_parser, report, timed
from n2g.circuits.windows import DATA_WINDOWS, DEFAULT_CROP
from n2g.models import load_model
from n2g.models.attribution import attribution_scores, plain_attribution
from n2g.models.base import NeuronModel
from n2g.record.corpus import open_corpus, random_windows


def _jobs(
    model: NeuronModel, layer: int, pool: list[list[int]], n_targets: int, n_windows: int
) -> list[tuple[int, list[list[int]]]]:
    """`n_targets` units of `layer` that fire on the pool, each with its top windows."""
    peak = model.unit_activations(pool, [layer])[layer].amax(dim=1)  # [windows, units]
    firing = [u for u in range(model.n_units) if float(peak[:, u].max()) > 0]
    chosen = random.Random(layer).sample(firing, min(n_targets, len(firing)))
    return [(u, [pool[i] for i in torch.argsort(-peak[:, u])[:n_windows].tolist()]) for u in chosen]


def _per_target(
    model: NeuronModel, layer: int, jobs: list[tuple[int, list[list[int]]]], plain: int
) -> tuple[float, float]:
    """Seconds per target of `layer`: attribution (batched), finite differences (extrapolated)."""
    sources = list(range(layer))
    seconds, found = timed(lambda: attribution_scores(model, layer, jobs, sources))
    unit, windows = next(job for job, got in zip(jobs, found, strict=True) if got is not None)
    rng = random.Random(layer)
    candidates = [(rng.randrange(layer), rng.randrange(model.n_units)) for _ in range(plain)]
    start = time.perf_counter()
    for candidate in candidates:
        plain_attribution(model, layer, unit, windows, candidate)
    per_candidate = (time.perf_counter() - start) / plain
    return seconds / len(jobs), per_candidate * layer * model.n_units


def _whole(timed_layers: dict[int, float], n_layers: int, n_units: int) -> float:
    """Seconds for every unit of layers 1..n_layers-1, per-target seconds interpolated."""
    known = sorted(timed_layers)
    per = np.interp(range(1, n_layers), known, [timed_layers[layer] for layer in known])
    return float(per.sum() * n_units)


def main() -> None:
    parser = bench_arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="default: smollm2-135m (quick: tiny)")
    parser.add_argument("--layers", default=None, help="layers timed (default 1,8,15,22,29)")
    parser.add_argument("--targets", type=int, default=64, help="units timed a layer")
    parser.add_argument(
        "--windows", type=int, default=DATA_WINDOWS, help="windows a target (train split)"
    )
    parser.add_argument("--pool", type=int, default=64, help="random windows picked from")
    parser.add_argument("--plain-candidates", type=int, default=2)
    parser.add_argument("--dtype", default="float32", help="auto: the main job's (bfloat16 here)")
    args = parser.parse_args()
    torch.manual_seed(0)
    name = args.model or ("tiny-gelu-3l-s0" if args.quick else "smollm2-135m")
    model = load_model(name, dtype=args.dtype)
    default = "1,2" if args.quick else "1,8,15,22,29"
    layers = sorted({int(x) for x in (args.layers or default).split(",")})
    corpus = open_corpus("stdlib")
    drawn = random_windows(corpus, model.tokenizer, DEFAULT_CROP, args.pool, seed=0)
    pool = [ids for _, ids in drawn]
    fast: dict[int, float] = {}
    plain: dict[int, float] = {}
    started, load = time.perf_counter(), os.getloadavg()
    for layer in layers:
        jobs = _jobs(model, layer, pool, args.targets, args.windows)
        fast[layer], plain[layer] = _per_target(model, layer, jobs, args.plain_candidates)
        print(f"layer {layer}: {fast[layer]:.3f} s a target, plain {plain[layer]:,.0f} s")
    n_units = model.n_units * model.n_layers
    whole = _whole(fast, model.n_layers, model.n_units)
    whole_plain = _whole(plain, model.n_layers, model.n_units)
    first4 = _whole(fast, min(4, model.n_layers), model.n_units)
    report(
        BenchResult(
            name=f"circuits, whole model ({n_units:,} units): hours for every unit's data edges",
            unit="hours",
            figure=whole / 3600,
            plain_figure=whole_plain / 3600,
            higher_is_better=False,
            quick=args.quick,
            extra={
                "model": model.name,
                "dtype": str(model.dtype),
                "units": n_units,
                "targets_with_units_upstream": model.n_units * (model.n_layers - 1),
                "layers_timed": layers,
                "targets_a_layer": args.targets,
                "windows_a_target": args.windows,
                "crop": DEFAULT_CROP,
                "seconds_a_target": {str(k): round(v, 4) for k, v in fast.items()},
                "plain_seconds_a_target": {str(k): round(v, 1) for k, v in plain.items()},
                "plain_candidates_timed": args.plain_candidates,
                "layers_0_3_minutes": round(first4 / 60, 1),
                "bench_seconds": round(time.perf_counter() - started, 1),
                "load_avg_at_start": [round(x, 2) for x in load],
                "torch_threads": torch.get_num_threads(),
            },
        ),
        args,
    )


if __name__ == "__main__":
    main()
