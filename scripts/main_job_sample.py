"""A sample of the main job's graphs, for the test that runs every documented example.

The README and the `--help` texts show commands on the main job's data (smollm2-135m,
layers 0-3). tests/cli/test_documented_answers.py runs each of them against real graphs of
that kind and requires an answer. The whole graph file is tens of megabytes, so the test
reads this sample instead: every unit the user docs name (README.md, docs/report-smollm2.md)
and a seeded draw of the other units of each layer, the background a search, a similarity
or a `top` list sees.

    .venv/bin/n2g run                                   # the main job: n2g-run/graphs.jsonl
    .venv/bin/python scripts/main_job_sample.py n2g-run/graphs.jsonl

Run it again when the docs name other units or the graphs change.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "docs" / "report-smollm2.md"]
OUT = ROOT / "tests" / "data" / "main-job-sample.jsonl.gz"
KEY = re.compile(r"smollm2-135m/\d+/\d+")


def named_units() -> set[str]:
    """The unit keys the user docs mention."""
    return {key for doc in DOCS for key in KEY.findall(doc.read_text(encoding="utf-8"))}


def sample_lines(graphs: Path, per_layer: int, seed: int) -> list[str]:
    """The graph lines of the named units and `per_layer` drawn units of each layer."""
    named = named_units()
    by_layer: dict[int, list[str]] = {}
    chosen: list[str] = []
    with graphs.open(encoding="utf-8") as lines:
        for line in lines:
            graph = json.loads(line)
            key = f"{graph['model']}/{graph['layer']}/{graph['neuron']}"
            if key in named:
                chosen.append(line)
            else:
                by_layer.setdefault(graph["layer"], []).append(line)
    rng = random.Random(seed)
    for layer in sorted(by_layer):
        pool = by_layer[layer]
        chosen.extend(rng.sample(pool, min(per_layer, len(pool))))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graphs", type=Path, help="the main job's n2g-run/graphs.jsonl")
    parser.add_argument("--per-layer", type=int, default=48, help="drawn units per layer")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    lines = sample_lines(args.graphs, args.per_layer, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(args.out, "wb", mtime=0) as out:  # mtime 0: the same bytes each time
        out.write("".join(lines).encode("utf-8"))
    print(f"{len(lines)} graphs ({len(named_units())} named) -> {args.out}")


if __name__ == "__main__":
    main()
