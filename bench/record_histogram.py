"""What counting the activation histogram costs the record stage, per batch and layer.

    .venv/bin/python -m bench.record_histogram [--quick] [--json PATH]

The recorder counts every position of every unit into fixed quarter-octave columns
(n2g.record.histogram) once per batch and layer. The plain way looks each position's key
up in the key -> column table and counts (unit, column) pairs; n2g counts (unit, key)
pairs, 2,048 keys a unit, and folds the keys into columns once per batch (a sum over a
[units, 2,048] table instead of a gather over every position). Both give the same counts
(checked here); the figure is batches/s on one layer of SmolLM2's shape (32 windows of 256
tokens, 1,536 units) in bfloat16 and float32, activations drawn at the scale of its MLP.
"""

from __future__ import annotations

import torch

from bench._common import BenchResult, bench_arg_parser, report, timed
from n2g.record.histogram import KEY_OFFSET, N_COLUMNS
from n2g.record.topk import _COLUMNS, TopK

UNITS = 1536


def plain_count(hist: torch.Tensor, acts: torch.Tensor) -> None:
    """The table lookup per position: the first way the recorder counted."""
    n_units, columns = hist.shape
    if acts.dtype == torch.bfloat16:
        keys = acts.contiguous().view(torch.int16).to(torch.int32) >> 5
    else:
        keys = acts.to(torch.float32).contiguous().view(torch.int32) >> 21
    unit_base = torch.arange(n_units, dtype=torch.int32) * columns
    flat = _COLUMNS[keys + KEY_OFFSET] + unit_base
    hist += torch.bincount(flat.reshape(-1), minlength=n_units * columns).view(n_units, columns)


def main() -> None:
    parser = bench_arg_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    windows, repeats = (8, 3) if args.quick else (32, 7)
    generator = torch.Generator().manual_seed(0)
    acts = torch.randn(windows, 256, UNITS, generator=generator) * 0.3
    figures = {}
    for dtype in (torch.bfloat16, torch.float32):
        batch = acts.to(dtype)
        topk = TopK.empty(UNITS, 30, 256, dtype)
        plain = torch.zeros(UNITS, N_COLUMNS, dtype=torch.int64)
        topk.count(batch)  # warm, and the first batch of the equality check
        plain_count(plain, batch)
        if not torch.equal(topk.hist, plain):
            raise SystemExit(f"the two ways counted differently ({dtype})")
        seconds, _ = timed(lambda b=batch, t=topk: t.count(b), repeats)
        plain_seconds, _ = timed(lambda b=batch, p=plain: plain_count(p, b), repeats)
        figures[str(dtype).removeprefix("torch.")] = (seconds, plain_seconds)
    seconds, plain_seconds = figures["bfloat16"]
    report(
        BenchResult(
            name="record histogram (batches/s of a layer: keys counted then folded, vs lookups)",
            unit="batches/s",
            figure=1 / seconds,
            plain_figure=1 / plain_seconds,
            quick=args.quick,
            extra={
                "batch": f"{windows} x 256 tokens x {UNITS} units",
                **{
                    f"{name}_ms": f"{a * 1000:.0f} (plain {b * 1000:.0f}, {b / a:.2f}x)"
                    for name, (a, b) in figures.items()
                },
                "torch_threads": torch.get_num_threads(),
            },
        ),
        args,
    )


if __name__ == "__main__":
    main()
