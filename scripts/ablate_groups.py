"""Ablate the largest groups of some levels and the units of some token searches, one model
load for all of them.

The figures of docs/results.md ("Group ablation") come from this: `n2g ablate --group`
on each of the N largest groups of each `--level LEVEL:N` (each result stored on its
group), `n2g ablate --token` for each `--token` (first), then one line a set and a summary: on
how many sets the loss rose on their firing texts (the whole 95% interval above zero)
and how they stand against random sets of the same layers. Results are written after
each set, so a run stopped keeps its figures.

    N2G_DATA_DIR=... .venv/bin/python scripts/ablate_groups.py -m smollm2-135m \\
        --records n2g-run/records --level 2:10 --level 3:3 --token " import" \\
        --windows 16 --control 16 --random 8 --context 64 --out /tmp/group-ablation.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import n2g
from n2g.files import write_text_atomic
from n2g.models import load_model
from n2g.search.group_ablation import SetAblation, Spread


def _spread(s: Spread | None) -> str:
    return "-" if s is None else f"{s.mean:+.4f} [{s.low:+.4f}, {s.high:+.4f}]"


def _line(name: str, result: SetAblation) -> str:
    random_after = result.random_at_firing.mean if result.random_at_firing else float("nan")
    random_firing = result.random_firing.mean if result.random_firing else float("nan")
    return (
        f"{name} size {len(result.units)} layers {result.layers}: firing "
        f"{_spread(result.firing)} after-firing {_spread(result.at_firing)} control "
        f"{_spread(result.control)} random-firing {random_firing:+.4f} random-after "
        f"{random_after:+.4f} above-random {result.above_random} ({result.seconds:.0f} s)"
    )


def _levels(values: list[str]) -> list[tuple[int, int]]:
    out = []
    for value in values:
        level, _, count = value.partition(":")
        out.append((int(level), int(count or 10)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--model", required=True)
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--level", action="append", default=[], help="LEVEL[:N largest]")
    parser.add_argument("--token", action="append", default=[], help="a token search's units")
    parser.add_argument("--mode", default="zero")
    parser.add_argument("--per-unit", type=int, default=2)
    parser.add_argument("--windows", type=int, default=16)
    parser.add_argument("--control", type=int, default=16)
    parser.add_argument("--random", type=int, default=8)
    parser.add_argument("--context", type=int, default=None)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    settings: dict[str, Any] = {
        "mode": args.mode,
        "per_unit": args.per_unit,
        "windows": args.windows,
        "control": args.control,
        "random": args.random,
        "context": args.context,
    }
    start = time.perf_counter()
    model = load_model(args.model)
    rows: list[dict[str, Any]] = []

    def keep(name: str, result: SetAblation, **more: Any) -> None:
        rows.append(result.model_dump(mode="json") | {"name": name, **more})
        print(_line(name, result), flush=True)
        if args.out is not None:
            text = json.dumps({"settings": settings, "sets": rows}, indent=1)
            write_text_atomic(args.out, text)

    with n2g.connect() as store:
        for token in args.token:  # the largest sets first
            result = store.ablate(model, args.records, token=token, **settings)
            keep(f"token {token!r}", result, token=token, size=len(result.units))
        for level, count in _levels(args.level or ["2"]):
            for group in store.groups(model=args.model, level=level, limit=count):
                result = store.ablate(model, args.records, group=group.key, **settings)
                keep(group.key, result, level=level, size=group.size)
    rose = sum(r["firing"]["low"] > 0 for r in rows)
    above = sum((r["above_random"] or 0) == 1.0 for r in rows)
    print(
        f"{len(rows)} sets: the loss rose on the firing texts of {rose} (95% interval above 0);"
        f" above every random set for {above}; {time.perf_counter() - start:.0f} s in all"
    )


if __name__ == "__main__":
    main()
