"""Run every benchmark of bench/ and write one JSON and one Markdown summary.

    .venv/bin/python -m bench.run_all [--quick] [--out bench/results]

(`python -m bench.whole_model` and `python -m bench.circuits_whole`, the whole-model
extrapolations, run on their own.)

Each benchmark is run as its own process with `--json PATH` (and `--quick` when given),
one after another so they do not compete for the machine's cores. The summary lists each
figure, the plain approach's figure measured in the same run, the ratio, and machine info.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BENCHMARKS = (
    "record",
    "build",
    "saliency",
    "ingest",
    "query",
    "like_text",
    "serve",
    "peer_check",
    "output_tokens",
    "circuits",
    "latent_circuits",
    "communities",
    "cli_startup",
    "export",
)
# A deep layer: every pass goes through 21 layers (the helper's through all 30), run once
# (minutes of work, unlike the layers 0-3 rows' seconds).
LAYER_20_HELPER = [
    "--layers",
    "20",
    "--helper",
    "causal",
    "--neurons",
    "16",
    "--plain-neurons",
    "1",
    "--repeats",
    "1",
]
# Extra runs of a benchmark with other arguments: (benchmark, label, arguments).
VARIANTS = (
    # Augmentation on: the plain approach then also runs one pass per substitute.
    ("build", "causal helper", ["--helper", "causal", "--neurons", "8", "--plain-neurons", "1"]),
    # Augmented examples' saliency measured (the default) or inherited from their origins.
    ("build", "layer 20, causal helper", LAYER_20_HELPER),
    (
        "build",
        "layer 20, causal helper, inherited saliency",
        [*LAYER_20_HELPER, "--augmented-saliency", "inherit"],
    ),
    # The graphs the main job stored, when there are some (the default `n2g run` output).
    ("ingest", "real graphs", ["--graphs", "n2g-run/graphs.jsonl"]),
    ("query", "real graphs", ["--graphs", "n2g-run/graphs.jsonl"]),
    ("like_text", "real graphs", ["--graphs", "n2g-run/graphs.jsonl"]),
)


def machine_info() -> dict:
    import torch

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
    }


def run_one(
    name: str, out_dir: Path, quick: bool, label: str = "", extra: list[str] | None = None
) -> list[dict]:
    """Run bench/<name>.py; return its result records (one or several per benchmark)."""
    stem = f"{name}-{re.sub(r'[^A-Za-z0-9]+', '-', label).strip('-')}" if label else name
    json_path = out_dir / f"{stem}.json"
    json_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", f"bench.{name}", "--json", str(json_path)]
    if quick:
        command.append("--quick")
    command += extra or []
    print(f"\n=== bench/{name}.py {' '.join(command[5:])}", flush=True)
    started = time.perf_counter()
    proc = subprocess.run(command, check=False, cwd=BENCH_DIR.parent)
    seconds = time.perf_counter() - started
    if proc.returncode != 0 or not json_path.is_file():
        return [{"name": name, "error": f"exit code {proc.returncode}", "seconds": seconds}]
    data = json.loads(json_path.read_text())
    records = data if isinstance(data, list) else [data]
    for record in records:
        record.setdefault("seconds", seconds)
        if label and label not in record.get("name", name):
            record["name"] = f"{record.get('name', name)} ({label})"
    return records


def to_markdown(results: list[dict], machine: dict) -> str:
    lines = [
        "| benchmark | figure | plain approach | ratio | ratio on the same neurons | unit |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['name']} | failed ({r['error']}) | | | | |")
            continue

        def num(value):
            return f"{value:,.1f}" if isinstance(value, int | float) else str(value)

        ratio, same = r.get("ratio"), r.get("ratio_same_neurons")
        lines.append(
            f"| {r['name']} | {num(r.get('figure'))} | {num(r.get('plain_figure'))} | "
            f"{'' if ratio is None else f'{ratio:,.1f}×'} | "
            f"{'' if same is None else f'{same:,.1f}×'} | {r.get('unit', '')} |"
        )
    lines += ["", "Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items())]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke-sized runs")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, help="run only these")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for name in args.only or BENCHMARKS:
        results.extend(run_one(name, args.out, args.quick))
        for variant, label, extra in VARIANTS:
            graphs = extra[extra.index("--graphs") + 1] if "--graphs" in extra else None
            if graphs is not None and not (BENCH_DIR.parent / graphs).is_file():
                print(f"(skipping {name} on {graphs}: run `n2g run` first)", flush=True)
                continue
            if variant == name and not args.quick:
                results.extend(run_one(name, args.out, args.quick, label, extra))
    machine = machine_info()
    summary = {"machine": machine, "quick": args.quick, "results": results}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    markdown = to_markdown(results, machine)
    (args.out / "summary.md").write_text(markdown)
    print("\n" + markdown)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
