"""`n2g run --circuits` within the main job's budget: every neuron of layers 0-3, new against old.

    .venv/bin/python -m bench.circuits_budget [--quick] [--json PATH] [--records DIR]

The stage scores, for every unit of layers 1-3 (layer 0 has nothing upstream), every
neuron of the earlier layers by activation x gradient on the unit's train windows
(n2g.models.attribution). Its cost is the passes, so per target layer `--targets`
units (seeded; 64 by default, so that a 1-window pass is as full as the stage's: fewer
would time a part-empty pass and its fixed costs) are timed with both settings,
alternating, `--repeats` times (the least time of each kept: the machine is shared):

- old (what the stage ran until 2026-12-07): 8 train windows cut to 48 tokens, 8 targets
  a pass in the given order, the target layer's whole MLP computed;
- new (the stage's defaults): n2g.circuits.windows.DATA_WINDOWS windows cut to
  DEFAULT_CROP tokens, whole targets packed by window length up to ROWS_PER_PASS rows a
  pass, only the target units' MLP columns computed.

Seconds a unit at each layer times the layer's units (1,536 for SmolLM2), summed, is the
stage's time; the figure is the new minutes against the old. `agreement`: the share of
a unit's old top 5 feeders among its new top 5 (what the stage stores is each unit's
top 5; the ablation check of both settings is scripts/circuits_check.py --compare).
With --records the windows are the run's own (n2g.circuits.windows); without, each
unit's strongest of `--pool` random windows of the Python standard library's source,
cut as the records' are.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from bench._common import BenchResult, bench_arg_parser, report
from n2g.circuits.windows import DATA_WINDOWS, DEFAULT_CROP, cut_window, unit_windows
from n2g.models import load_model
from n2g.models.attribution import ROWS_PER_PASS, Attribution, attribution_scores
from n2g.models.base import NeuronModel
from n2g.record.corpus import open_corpus, random_windows
from n2g.record.store import LayerRecords, load_layer

OLD_WINDOWS, OLD_CROP, OLD_TARGETS_PER_PASS = 8, 48, 8
Windows = Callable[[int, int, int], list[np.ndarray]]  # (unit, windows, crop) -> windows


def _pool_windows(model: NeuronModel, layer: int, pool: list[list[int]]) -> Windows:
    acts = model.unit_activations(pool, [layer])[layer]  # [windows, T, units]
    peak = acts.amax(dim=1)

    def windows(unit: int, n: int, crop: int) -> list[np.ndarray]:
        best = torch.argsort(-peak[:, unit])[:n].tolist()
        return [cut_window(np.asarray(pool[i]), acts[i, :, unit].numpy(), crop) for i in best]

    return windows


def _record_windows(records: LayerRecords) -> Windows:
    def windows(unit: int, n: int, crop: int) -> list[np.ndarray]:
        return unit_windows(records, unit, crop=crop, limit=n).train

    return windows


def _seconds(run: Callable[[], list[Attribution | None]]) -> tuple[float, list]:
    start = time.perf_counter()
    found = run()
    return time.perf_counter() - start, found


def _agreement(old: list[Attribution | None], new: list[Attribution | None]) -> float | None:
    shares = [
        len({c[:2] for c in a.top(5)} & {c[:2] for c in b.top(5)}) / 5
        for a, b in zip(old, new, strict=True)
        if a is not None and b is not None
    ]
    return round(float(np.mean(shares)), 3) if shares else None


def _layer(
    model: NeuronModel,
    layer: int,
    units: list[int],
    windows: Windows,
    repeats: int,
    settings: list[int],
) -> dict[str, Any]:
    """Seconds a unit the old way and the new way with each number of windows in
    `settings` (alternating, the least of `repeats` kept), and each one's agreement."""
    jobs = {"old": [(u, windows(u, OLD_WINDOWS, OLD_CROP)) for u in units]}
    jobs.update({str(n): [(u, windows(u, n, DEFAULT_CROP)) for u in units] for n in settings})
    sources = list(range(layer))
    best = dict.fromkeys(jobs, float("inf"))
    found: dict[str, list] = {}
    for _ in range(repeats):  # alternating: each sees the same load
        for name, todo in jobs.items():
            run = _old if name == "old" else attribution_scores
            seconds, found[name] = _seconds(lambda: run(model, layer, todo, sources))  # noqa: B023
            best[name] = min(best[name], seconds)
    return {
        "old_seconds_a_unit": round(best["old"] / len(units), 4),
        "seconds_a_unit": {n: round(best[str(n)] / len(units), 4) for n in settings},
        "agreement_top5": {n: _agreement(found["old"], found[str(n)]) for n in settings},
    }


def _old(model: NeuronModel, layer: int, jobs: list, sources: list[int]) -> list:
    return attribution_scores(
        model, layer, jobs, sources, targets_per_pass=OLD_TARGETS_PER_PASS, columns=False
    )


def main() -> None:
    parser = bench_arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="default: smollm2-135m (quick: tiny)")
    parser.add_argument("--records", default=None, help="the run's records (else random)")
    parser.add_argument("--targets", type=int, default=None, help="units timed a layer (64)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--windows", default=None, help="new settings timed (8,4,2,1)")
    parser.add_argument("--pool", type=int, default=64, help="random windows (no --records)")
    args = parser.parse_args()
    torch.manual_seed(0)
    name = args.model or ("tiny-gelu-3l-s0" if args.quick else "smollm2-135m")
    last = 2 if args.quick else 3
    targets = args.targets or (4 if args.quick else ROWS_PER_PASS)
    settings = sorted({int(n) for n in (args.windows or "8,4,2,1").split(",")} | {DATA_WINDOWS})
    model = load_model(name, dtype="float32", n_layers=last + 1)
    pool: list[list[int]] = []
    if args.records is None:
        corpus = open_corpus("stdlib")
        pool = [ids for _, ids in random_windows(corpus, model.tokenizer, 64, args.pool, seed=0)]
    started, load = time.perf_counter(), os.getloadavg()
    per_layer: dict[str, dict[str, Any]] = {}
    for layer in range(1, last + 1):
        units = random.Random(layer).sample(range(model.n_units), targets)
        if args.records is not None:
            windows = _record_windows(load_layer(args.records, layer))
        else:
            windows = _pool_windows(model, layer, pool)
        per_layer[str(layer)] = _layer(model, layer, units, windows, args.repeats, settings)
        print(f"layer {layer}: {per_layer[str(layer)]}", flush=True)
    old_min = sum(f["old_seconds_a_unit"] for f in per_layer.values())
    minutes = {
        n: round(sum(f["seconds_a_unit"][n] for f in per_layer.values()) * model.n_units / 60, 2)
        for n in settings
    }
    report(
        BenchResult(
            name=f"circuits stage, every neuron of layers 0-{last}: minutes",
            unit="min",
            figure=minutes[DATA_WINDOWS],
            plain_figure=old_min * model.n_units / 60,
            higher_is_better=False,
            quick=args.quick,
            extra={
                "model": model.name,
                "windows": "the run's records" if args.records else "random stdlib windows",
                "new": {"windows": DATA_WINDOWS, "crop": DEFAULT_CROP, "rows": ROWS_PER_PASS},
                "old": {"windows": OLD_WINDOWS, "crop": OLD_CROP, "targets": 8},
                "targets_a_layer": targets,
                "minutes_by_windows": minutes,
                "per_layer": per_layer,
                "bench_seconds": round(time.perf_counter() - started, 1),
                "load_avg_at_start": [round(x, 2) for x in load],
                "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
                "torch_threads": torch.get_num_threads(),
            },
        ),
        args,
    )


if __name__ == "__main__":
    main()
