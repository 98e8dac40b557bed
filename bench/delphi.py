"""What delphi's protocol costs, and how many held-out contexts each kind of records gives.

    .venv/bin/python -m bench.delphi [--layers 1] [--neurons 64] [--max-tokens 1048576]
        [--variants k30,k100,k30+s100] [--dtype auto] [--out FILE.md]

Records SmolLM2 once per variant (`kK`: the top K windows per neuron; `+sN`: also an
activation-weighted sample of N windows), timed, then builds the same seeded neurons with
the main job's build settings (`n2g run`'s: no helper, OOD on the Python standard
library, 10 random windows), timed, with the `delphi` stage's own seconds from the build's
clock: the protocol is one added stage (nothing else in the build changes), so the build
without it is the build minus that stage. Per variant it prints the seconds, the mean
number of activating and non-activating contexts a unit gets (n2g.builder.delphi: the test
split, the recorded ranks after those that train, the sample's spare windows and the
random windows), the share of units scored, and the mean detection and fuzzing balanced
accuracy of N2G and each baseline. k30 is the main job's records: only the 10 test windows
(and the rare random window that fires) are held out there.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from bench._common import bench_arg_parser
from n2g.builder.stage import build_stage
from n2g.graph.file import iter_graph_file
from n2g.graph.quality import METHOD_TITLES, layer_rows
from n2g.models import OFFLINE_MODEL, load_model
from n2g.paths import cache_dir
from n2g.record.config import DEFAULT_CORPUS, RecordConfig
from n2g.record.recorder import record_stage
from n2g.run.config import RunConfig
from n2g.run.job import sample_units
from n2g.selection import parse_layers

_VARIANT = re.compile(r"^k(\d+)(?:\+s(\d+))?$")


def _variant(name: str) -> tuple[int, int]:
    match = _VARIANT.match(name)
    if match is None:
        raise SystemExit(f"variant {name!r}: kK or kK+sN (e.g. k100, k30+s100)")
    return int(match.group(1)), int(match.group(2) or 0)


def main() -> None:
    parser = bench_arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--layers", default="1")
    parser.add_argument("--neurons", type=int, default=64, help="seeded neurons per layer")
    parser.add_argument("--max-tokens", type=int, default=1_048_576)
    parser.add_argument("--variants", default="k30,k100,k30+s100")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--out", type=Path, default=None, help="write the table here too")
    args = parser.parse_args()
    layers = parse_layers(args.layers)
    tokens = 65_536 if args.quick else args.max_tokens
    model = load_model(OFFLINE_MODEL, n_layers=max(layers) + 1, dtype=args.dtype)
    neurons = sample_units(model.n_units, args.neurons, 0)
    build = RunConfig().build  # the main job's build settings
    work = cache_dir() / "bench" / "delphi"
    rows = [
        "| records | record s | build s | delphi s | contexts a unit: activating / not | scored |",
        "|---|---|---|---|---|---|",
    ]
    scores: list[str] = []
    for name in args.variants.split(","):
        k, samples = _variant(name)
        folder = work / f"{name}-{tokens}-{'-'.join(map(str, layers))}"
        config = RecordConfig(k=k, samples=samples, max_tokens=tokens)
        start = time.perf_counter()
        record_stage(model, DEFAULT_CORPUS, layers, folder / "records", config, progress=False)
        record_s = time.perf_counter() - start
        graph_file = folder / "graphs.jsonl"
        graph_file.unlink(missing_ok=True)
        summary = build_stage(model, folder / "records", graph_file, build, layers=layers,
                              neurons=neurons, progress=False)  # fmt: skip
        graphs = [g for _, g in iter_graph_file(graph_file)]
        delphi = [g.evaluation.delphi for g in graphs if g.evaluation and g.evaluation.delphi]
        activating = sum(sum(d.decile_sizes) for d in delphi) / max(len(delphi), 1)
        quiet = sum(d.n_non_activating for d in delphi) / max(len(delphi), 1)
        row = layer_rows(graphs)
        scored = sum(r.delphi["n2g"].n_units for r in row if "n2g" in r.delphi)
        rows.append(
            f"| {name} | {record_s:.0f} | {summary.seconds:.0f} | "
            f"{summary.stage_seconds.get('delphi', 0.0):.1f} | {activating:.1f} / {quiet:.1f} | "
            f"{scored} / {len(graphs)} |"
        )
        for r in row:
            cells = [f"{METHOD_TITLES[m]} {v.detection.mean:.2f} / {v.fuzzing.mean:.2f}"
                     for m, v in r.delphi.items()]  # fmt: skip
            scores.append(f"- {name}, layer {r.layer} (detection / fuzzing): " + ", ".join(cells))
    text = "\n".join([*rows, "", *scores]) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
