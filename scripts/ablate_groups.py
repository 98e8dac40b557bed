"""Ablate the largest groups of one level of a store, one model load for all of them.

The figures of docs/results.md ("Group ablation") come from this: `n2g ablate --group`
on each of the `--groups` largest groups of `--level` (each result stored on its group),
then one line a group and a summary: on how many groups the loss rose on their firing
texts (the whole 95% interval above zero), how much more than on control texts, and how
they stand against random sets of the same layers.

    N2G_DATA_DIR=... .venv/bin/python scripts/ablate_groups.py -m smollm2-135m \\
        --records n2g-run/records --level 2 --groups 10 --out /tmp/group-ablation.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import n2g
from n2g.files import write_text_atomic
from n2g.models import load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--model", required=True)
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--level", type=int, default=2)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--mode", default="zero")
    parser.add_argument("--per-unit", type=int, default=2)
    parser.add_argument("--windows", type=int, default=8)
    parser.add_argument("--control", type=int, default=8)
    parser.add_argument("--random", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    settings = {
        "mode": args.mode,
        "per_unit": args.per_unit,
        "windows": args.windows,
        "control": args.control,
        "random": args.random,
    }
    start = time.perf_counter()
    model = load_model(args.model)
    rows = []
    with n2g.connect() as store:
        groups = store.groups(model=args.model, level=args.level, limit=args.groups)
        for group in groups:
            result = store.ablate(model, args.records, group=group.key, **settings)
            rows.append(result.model_dump(mode="json") | {"size": group.size})
            random_firing = result.random_firing.mean if result.random_firing else float("nan")
            print(
                f"{group.key} size {group.size} layers {result.layers}: firing "
                f"{result.firing.mean:+.4f} [{result.firing.low:+.4f}, {result.firing.high:+.4f}]"
                f" after-firing {result.at_firing.mean if result.at_firing else float('nan'):+.4f}"
                f" control {result.control.mean:+.4f} [{result.control.low:+.4f}, "
                f"{result.control.high:+.4f}] random-firing {random_firing:+.4f} "
                f"above-random {result.above_random} ({result.seconds:.0f} s)",
                flush=True,
            )
            if args.out is not None:  # after each group: a long run stopped keeps its figures
                text = json.dumps({"settings": settings, "groups": rows}, indent=1)
                write_text_atomic(args.out, text)
    rose = sum(r["firing"]["low"] > 0 for r in rows)
    above = sum((r["above_random"] or 0) == 1.0 for r in rows)
    print(
        f"{len(rows)} groups of level {args.level}: the loss rose on the firing texts of {rose} "
        f"(95% interval above 0); above every random set for {above}; "
        f"{time.perf_counter() - start:.0f} s in all"
    )


if __name__ == "__main__":
    main()
