"""Saliency with shared prefixes against whole masked rows, on the same pruned examples.

    .venv/bin/python -m bench.saliency [--quick] [--layer 20] [--neurons 32] [--records DIR]
        [--dtype auto] [--json PATH]

Prunes the training examples of `--neurons` seeded neurons of one layer of SmolLM2-135M
(the default BuildConfig; not timed), then measures their importances (eq. 3) twice in one
run: each masked copy running only from its masked position on, reusing the example's keys
and values (`n2g.builder.variants`, the builder's way), and each masked copy as a whole
sequence (the plain approach, still batched and deduplicated). Prints masked copies per
second for both, the tokens each ran (padding included), and the largest difference
between their importances and how many context/ignore decisions (importance >= the
threshold) differ: float rounding only, the same sums in another order (in bfloat16 that
rounding is coarse, and either order is as far from the float32 values).
Records: as bench.build (a cache folder recorded on first use: stdlib, window 64, k 20).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench._common import BenchResult, bench_arg_parser, report, timed
from bench.build import ensure_records
from n2g.builder.batch import plan_neuron, pruned_examples, resolve_mask_token
from n2g.builder.config import BuildConfig
from n2g.builder.examples import Example
from n2g.builder.saliency import add_saliency
from n2g.models import load_model
from n2g.record.store import load_layer


def count_tokens(model) -> dict[str, int]:
    """Wrap the model's passes to count the tokens each kind runs (padding included)."""
    counts = {"whole": 0, "base": 0, "suffix": 0}
    gather, prefix, after = (
        model.gather_activations,
        model.prefix_states,
        model.gather_after_prefix,
    )

    def padded(batch) -> int:
        return len(batch) * max((len(s) for s in batch), default=0)

    def whole(batch, *args, **kwargs):
        counts["whole"] += padded(batch)
        return gather(batch, *args, **kwargs)

    def base(batch, *args, **kwargs):
        counts["base"] += padded(batch)
        return prefix(batch, *args, **kwargs)

    def suffix(states, bases, keeps, suffixes, *args, **kwargs):
        counts["suffix"] += padded(suffixes)
        return after(states, bases, keeps, suffixes, *args, **kwargs)

    model.gather_activations, model.prefix_states, model.gather_after_prefix = whole, base, suffix
    return counts


def main() -> None:
    parser = bench_arg_parser("masked copies/s of saliency, shared prefixes vs whole rows")
    parser.add_argument("--layer", type=int, default=20)
    parser.add_argument("--neurons", type=int, default=None)
    parser.add_argument("--records", type=Path, default=None, help="records folder (the layer)")
    parser.add_argument("--dtype", default="auto", help="auto | float32 | bfloat16")
    args = parser.parse_args()
    neurons = args.neurons or (4 if args.quick else 32)
    model = load_model("smollm2-135m", n_layers=args.layer + 1, dtype=args.dtype)
    folder = ensure_records(args.records, model, 40_000 if args.quick else 300_000, [args.layer])
    records = load_layer(folder, args.layer)
    config = BuildConfig()
    chosen = sorted(np.random.default_rng(0).choice(model.n_units, neurons, replace=False))
    plans = [plan_neuron(records, int(n), config) for n in chosen]
    examples = pruned_examples(model, args.layer, plans, config)
    mask = resolve_mask_token(model, config)
    copies = sum(len(e.tokens) for e in examples)
    counts = count_tokens(model)

    def measure(share: bool) -> list[np.ndarray]:
        twins = [Example(e.neuron, e.tokens, e.activation) for e in examples]
        add_saliency(
            model, args.layer, twins, mask_token_id=mask, batch_rows=config.batch_rows,
            share_prefix=share,
        )  # fmt: skip
        return [t.importances for t in twins]

    measure(True)  # warm-up: first-pass allocations are not what either approach costs
    for key in counts:
        counts[key] = 0
    plain_seconds, plain = timed(lambda: measure(False))
    plain_tokens = counts["whole"]
    for key in counts:
        counts[key] = 0
    seconds, shared = timed(lambda: measure(True))
    difference = max(
        (float(np.abs(a - b).max()) for a, b in zip(shared, plain, strict=True)), default=0.0
    )
    # Which tokens are context (importance >= threshold) is what a graph keeps of them.
    cut = config.importance_threshold
    flipped = sum(int(((a >= cut) != (b >= cut)).sum()) for a, b in zip(shared, plain, strict=True))
    report(
        BenchResult(
            name=f"saliency (layer {args.layer}, shared prefixes)",
            unit="masked copies/s",
            figure=copies / seconds,
            plain_figure=copies / plain_seconds,
            quick=args.quick,
            extra={
                "examples": len(examples),
                "masked_copies": copies,
                "mean_length": round(copies / max(len(examples), 1), 2),
                "seconds": round(seconds, 2),
                "seconds_plain": round(plain_seconds, 2),
                "tokens": dict(counts),
                "tokens_plain": plain_tokens,
                "max_importance_difference": difference,
                "context_decisions_differing": f"{flipped}/{copies}",
                "dtype": model.dtype,
            },
        ),
        args,
    )


if __name__ == "__main__":
    main()
