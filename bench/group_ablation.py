"""Group ablation: every set in shared passes against one plain pass of the model per set.

    .venv/bin/python -m bench.group_ablation [--quick] [--json PATH] [--windows 4]
        [--context 64] [--random 4] [--layers 1,2,3] [--deep 20]

A measurement of `n2g ablate` runs the clean model, the set and `--random` random sets of
the same layers over the same windows (n2g.models.group_ablation). Timed side by side on
`--windows` random windows of the Python standard library's source, `--context` tokens
each, with a set of 4 neurons in each of `--layers` (the measured groups' layers 0-3):

- the plain way: one pass of the whole model per set, the full log-softmax
  (n2g.models.set_passes.plain_losses);
- shared passes (n2g.models.set_passes.set_losses): (set, window) rows, the layers below
  the lowest ablated one run once a window, only the loss read off the logits.

The figure is (set, window) pairs measured a second, each way's median over `--repeats`
runs alternated (the ratio: the median of the runs' ratios, since a shared machine's load
moves); the two agree to `max_difference` nats (asserted under 1e-4). Extras: the same
for a set in layer `--deep` alone, where the shared prefix is most of the model, and the
tokens a second either way. `--quick`: a tiny seeded model.
"""

from __future__ import annotations

import statistics

import numpy as np
import torch

from bench._common import BenchResult, bench_arg_parser, report, timed
from n2g.models import load_model
from n2g.models.base import NeuronModel
from n2g.models.group_ablation import random_sets
from n2g.models.set_passes import plain_losses, set_losses
from n2g.record.corpus import open_corpus, random_windows

Unit = tuple[int, int]


def _side_by_side(
    model: NeuronModel, windows: list[list[int]], sets: list[list[Unit]], batch: int, repeats: int
) -> dict[str, float]:
    """Both ways, alternated `repeats` times (a shared machine's load moves between runs):
    the median of each way's seconds and of the per-repeat ratios."""
    plain_times, shared_times, ratios = [], [], []
    difference = 0.0
    for _ in range(repeats):
        plain_seconds, plain = timed(
            lambda: [plain_losses(model, windows, s, None, batch) for s in sets]
        )
        shared_seconds, shared = timed(lambda: set_losses(model, windows, sets, None, batch))
        plain_times.append(plain_seconds)
        shared_times.append(shared_seconds)
        ratios.append(plain_seconds / shared_seconds)
        difference = max(
            float(np.nanmax(np.abs(a - b)))
            for by_plain, by_shared in zip(plain, shared, strict=True)
            for a, b in zip(by_plain, by_shared, strict=True)
        )
        assert difference < 1e-4, f"shared passes differ from the plain way by {difference}"
    pairs = len(sets) * len(windows)
    plain_median, shared_median = statistics.median(plain_times), statistics.median(shared_times)
    return {
        "pairs": pairs,
        "plain_seconds": [round(t, 2) for t in plain_times],
        "shared_seconds": [round(t, 2) for t in shared_times],
        "plain_pairs_per_s": pairs / plain_median,
        "shared_pairs_per_s": pairs / shared_median,
        "ratio": round(statistics.median(ratios), 2),
        "max_difference": difference,
    }


def main() -> None:
    parser = bench_arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--random", type=int, default=4)
    parser.add_argument("--layers", default="1,2,3")
    parser.add_argument("--deep", type=int, default=20)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=2, help="alternated runs of both ways")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    model = load_model(args.model or ("tiny-gelu-3l-s0" if args.quick else "smollm2-135m"))
    layers = [0, 1, 2] if args.quick else [int(x) for x in args.layers.split(",")]
    deep = model.n_layers - 1 if args.quick else args.deep
    corpus = open_corpus("stdlib")
    drawn = random_windows(corpus, model.tokenizer, args.context, args.windows, seed=args.seed)
    windows = [ids for _, ids in drawn]

    def sets_in(chosen_layers: list[int]) -> list[list[Unit]]:
        placeholders = [(layer, -1 - i) for layer in chosen_layers for i in range(4)]
        (chosen,) = random_sets(placeholders, model.n_units, 1, args.seed)
        return [[], chosen, *random_sets(chosen, model.n_units, args.random, args.seed + 1)]

    low = _side_by_side(model, windows, sets_in(layers), args.batch, args.repeats)
    high = _side_by_side(model, windows, sets_in([deep]), args.batch, args.repeats)
    tokens = args.context * len(windows)
    report(
        BenchResult(
            name="group ablation ((set, window) pairs/s: shared passes vs a pass a set)",
            unit="pairs/s",
            figure=low["shared_pairs_per_s"],
            plain_figure=low["plain_pairs_per_s"],
            quick=args.quick,
            extra={
                "model": model.name,
                "set_layers": layers,
                "sets": 2 + args.random,
                "windows": len(windows),
                "context": args.context,
                "batch": args.batch,
                "low_set": low,
                "deep_set": {"layer": deep, **high},
                "tokens_per_s_shared": round(tokens * low["shared_pairs_per_s"] / len(windows), 1),
                "tokens_per_s_plain": round(tokens * low["plain_pairs_per_s"] / len(windows), 1),
            },
        ),
        args,
    )


if __name__ == "__main__":
    main()
