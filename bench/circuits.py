"""Circuits: how well virtual weights rank what ablation measures, and what batching buys.

    .venv/bin/python -m bench.circuits [--quick] [--json PATH] [--model NAME] [--layers 0-3]

Three parts, on one model (SmolLM2-135M offline by default; `--quick`: a tiny seeded
model and fewer windows):

1. Every unit's top k feeders by virtual weight (n2g.models.virtual_weights), one product
   per earlier layer and slice of targets, against the plain way, one dot product per
   (source, target) pair, timed on a few targets (`--plain-targets`): target units/s.
2. For `--units` units per later layer that fire on the windows, the top k feeders by
   virtual weight among *all* earlier neurons and as many random earlier neurons are
   ablated (zero and mean) on the unit's `--top` strongest of `--windows` random windows
   of the Python standard library's source (n2g.models.ablation); batched candidates
   against one pass per candidate, timed side by side on the first unit: candidates/s.
3. The check (n2g.circuits.check): Spearman's rho of |virtual weight| against |effect|,
   precision at k of the weights' top k among the pool's largest effects (against
   chance, k / pool), and the lift of the top k's mean |effect| over the random units'.

4. The 'data' source (n2g.models.attribution): every earlier neuron's activation x
   gradient score for `--data-targets` units of the last layer on their top windows, one
   forward and one backward per 8 targets, against the plain way, finite differences (two
   passes per earlier neuron), timed on `--plain-candidates` candidates and extrapolated
   to all earlier neurons: target units/s; the two agree on the candidates timed.

The headline figure is part 2's batched candidates/s (the ratio against one pass per
candidate); parts 1, 3 and 4 are in the extras.
"""

from __future__ import annotations

import functools
import random
import time

import numpy as np
import torch

from bench._common import BenchResult, bench_arg_parser, report, timed
from n2g.circuits.check import UnitCheck, summary
from n2g.models import load_model
from n2g.models.ablation import ablation_effects
from n2g.models.attribution import attribution_scores, plain_attribution
from n2g.models.base import NeuronModel
from n2g.models.virtual_weights import UnitLayer, feeds, plain_virtual_weight
from n2g.record.corpus import open_corpus, random_windows
from n2g.selection import parse_layers


def _windows(model: NeuronModel, n: int, length: int, seed: int) -> list[list[int]]:
    corpus = open_corpus("stdlib")
    return [ids for _, ids in random_windows(corpus, model.tokenizer, length, n, seed=seed)]


def _plain_feeders(parts: list[UnitLayer], target: UnitLayer, unit: int, k: int) -> list:
    weights = [
        (plain_virtual_weight(part, u, target, unit), part.key(u))
        for part in parts
        if part.layer < target.layer
        for u in part.indices()
    ]
    return sorted(weights, key=lambda w: (-abs(w[0]), w[1]))[:k]


def _data_source(
    model: NeuronModel, layers: list[int], jobs: list[tuple[int, list[list[int]]]], plain: int
) -> dict[str, float]:
    """Part 4: attribution batched over targets against finite differences."""
    sources = [s for s in layers if s < layers[-1]]
    seconds, found = timed(lambda: attribution_scores(model, layers[-1], jobs, sources))
    unit, unit_windows = jobs[0]
    first = found[0]
    assert first is not None, "the first data target must fire on its windows"
    candidates = [(layer, n) for layer, n, _ in first.top(plain // 2)]
    rng = random.Random(1)
    candidates += [(rng.choice(sources), rng.randrange(model.n_units)) for _ in range(plain // 2)]
    start = time.perf_counter()
    worst = 0.0
    for layer, neuron in candidates:
        value = plain_attribution(model, layers[-1], unit, unit_windows, (layer, neuron))
        worst = max(worst, abs((value or 0.0) - float(first.scores[layer][neuron])))
    per_candidate = (time.perf_counter() - start) / len(candidates)
    plain_rate = 1.0 / (per_candidate * model.n_units * len(sources))
    return {
        "data_targets_per_s": round(len(jobs) / seconds, 3),
        "plain_data_targets_per_s": plain_rate,
        "data_ratio": round(len(jobs) / seconds / plain_rate, 1),
        "data_max_abs_difference": worst,
    }


def main() -> None:
    parser = bench_arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="default: smollm2-135m (quick: tiny)")
    parser.add_argument("--layers", default="0-3")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--units", type=int, default=None, help="checked units per layer")
    parser.add_argument("--windows", type=int, default=None, help="random windows run")
    parser.add_argument("--top", type=int, default=8, help="top windows per checked unit")
    parser.add_argument("--plain-targets", type=int, default=2)
    parser.add_argument("--data-targets", type=int, default=8)
    parser.add_argument("--plain-candidates", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    name = args.model or ("tiny-gelu-3l-s0" if args.quick else "smollm2-135m")
    layers = sorted(set(parse_layers(args.layers if not args.quick else "0-2")))
    model = load_model(name, n_layers=max(layers) + 1)
    n_units = args.units or (3 if args.quick else 4)
    n_windows = args.windows or (48 if args.quick else 256)
    k = args.k

    # 1. virtual weights: all units at once against one pair at a time
    parts = [UnitLayer(model, layer) for layer in layers]
    vw_seconds, edges = timed(lambda: feeds(parts, k))
    targets = sum(len(p.indices()) for p in parts if p.layer > layers[0])
    last = parts[-1]
    plain_start = time.perf_counter()
    for unit in range(args.plain_targets):
        plain = _plain_feeders(parts, last, unit, k)
        fast = [e for e in edges if e.target == last.key(unit)]
        assert [s for _, s in plain] == [e.source for e in fast], "plain and batched differ"
    plain_vw_rate = args.plain_targets / (time.perf_counter() - plain_start)

    # 2. ablation of each checked unit's feeders and random earlier units
    windows = _windows(model, n_windows, 64, args.seed)
    acts = model.unit_activations(windows, layers[1:])
    rng = random.Random(args.seed)
    checks: dict[str, list[UnitCheck]] = {"zero": [], "mean": []}
    batched_seconds = plain_seconds = 0.0
    measured = plain_measured = 0
    for layer in layers[1:]:
        peak = acts[layer].amax(dim=1)  # [windows, units]
        firing = [u for u in range(model.n_units) if float(peak[:, u].max()) > 0]
        for unit in rng.sample(firing, min(n_units, len(firing))):
            top = torch.argsort(-peak[:, unit])[: args.top].tolist()
            unit_windows = [windows[i] for i in top]
            feeders = [e for e in edges if e.target == UnitLayer(model, layer).key(unit)]
            chosen = [(int(e.source.split("/")[-2]), int(e.source.split("/")[-1])) for e in feeders]
            pool = [(s, u) for s in layers if s < layer for u in range(model.n_units)]
            randoms = rng.sample([c for c in pool if c not in set(chosen)], len(chosen))
            candidates = chosen + randoms
            effects = ablation_effects(model, layer, unit, unit_windows, candidates)
            if not plain_measured:  # timed both ways on the first unit, side by side
                run = functools.partial(
                    ablation_effects, model, layer, unit, unit_windows, candidates
                )
                batched_seconds, _ = timed(run)
                plain_seconds, _ = timed(functools.partial(run, candidates_per_pass=1))
                measured = plain_measured = len(candidates)
            if effects is None:
                continue
            later = UnitLayer(model, layer)
            weights = [e.virtual_weight for e in feeders] + [
                plain_virtual_weight(UnitLayer(model, s), u, later, unit) for s, u in randoms
            ]
            key = later.key(unit)
            checks["zero"].append(UnitCheck(key, weights, effects.zero, len(chosen)))
            checks["mean"].append(UnitCheck(key, weights, effects.mean, len(chosen)))

    peak = acts[layers[-1]].amax(dim=1)
    fired = [u for u in range(model.n_units) if float(peak[:, u].max()) > 0][: args.data_targets]
    jobs = [
        (u, [windows[i] for i in torch.argsort(-peak[:, u])[: args.top].tolist()]) for u in fired
    ]
    data = _data_source(model, layers, jobs, args.plain_candidates)

    report(
        BenchResult(
            name="circuits (ablation candidates/s: batched passes vs one pass a candidate)",
            unit="candidates/s",
            figure=measured / batched_seconds,
            plain_figure=plain_measured / plain_seconds,
            quick=args.quick,
            extra={
                "model": model.name,
                "layers": layers,
                "k": k,
                "virtual_weights_targets_per_s": round(targets / vw_seconds, 1),
                "plain_virtual_weights_targets_per_s": round(plain_vw_rate, 2),
                "virtual_weights_ratio": round(targets / vw_seconds / plain_vw_rate, 1),
                "windows": n_windows,
                "top_windows": args.top,
                "check_zero_ablation": summary(checks["zero"]),
                "check_mean_ablation": summary(checks["mean"]),
                "mean_top_feeder_effect": round(
                    float(np.mean([c.effects[0] for c in checks["zero"]] or [0.0])), 4
                ),
                **data,
                "torch_threads": torch.get_num_threads(),
            },
        ),
        args,
    )


if __name__ == "__main__":
    main()
