"""Check the FEEDS edge sources by ablation at the issue's scale, resumably (issue 39, item 3).

    python scripts/circuits_check.py --layers 0-3 --records n2g-run/records --per-layer 64 \\
        --log /tmp/circ-check-03.jsonl                       # stored units, all 3 sources
    python scripts/circuits_check.py --deep 20 --records records-20 --per-layer 64 \\
        --log /tmp/circ-check-20.jsonl                       # a deep layer: weights, data

With --layers the units are the stored ones (the database from the usual flags or the
local server): every source's edges are written (data edges for the sampled units only:
they are the ones the check runs), then the sampled units are checked and each measured
effect is stored on its edge. With --deep L the units of L come from its records and
their feeders are every neuron of layers 0..L-1 (the store holds no graphs there, so
the evidence source cannot run). Each checked unit is one line of --log; a rerun skips
the units already there; --table prints the table of a log (what docs/results.md shows).

    python scripts/circuits_check.py --compare 8:48,2:32,1:32 --layers 0-3 \
        --records n2g-run/records --per-layer 24 --log /tmp/circ-windows.jsonl

With --compare the data source's settings (train windows:crop, each a source named
`data-wNcC`) are checked side by side on the SAME units and test windows, their top k
and the same random units ablated once (every neuron of the earlier layers is eligible,
as when the job stores every neuron): what chose the job's default
(n2g.circuits.windows.DATA_WINDOWS, DEFAULT_CROP). Each line also keeps every
setting's top k (`tops`), so their agreement can be read off the log.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from n2g.circuits.check import UnitCheck
from n2g.circuits.measure import UnitMeasure
from n2g.files import open_append


def _logged(path: Path) -> list[UnitMeasure]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        name = f"{row['layer']}/{row['unit']}"
        checks = {
            source: {mode: UnitCheck(name, **c) for mode, c in by.items()}
            for source, by in row["checks"].items()
        }
        out.append(UnitMeasure(row["layer"], row["unit"], checks, {}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default="0-3")
    parser.add_argument("--deep", type=int, default=None)
    parser.add_argument("--records", type=Path)
    parser.add_argument("--per-layer", type=int, default=64)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--windows", type=int, default=6)
    parser.add_argument("--crop", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--compare", default=None, help="data settings windows:crop,...")
    parser.add_argument("--modes", default="zero,mean", help="ablation modes (--compare)")
    parser.add_argument("--table", action="store_true", help="print the log's table and stop")
    args = parser.parse_args()
    from n2g.circuits.table import layer_table

    done = _logged(args.log)
    if args.table:
        print(json.dumps(layer_table(done), indent=1))
        return
    seen = {(m.layer, m.unit) for m in done}
    log = open_append(args.log)
    started, count = time.perf_counter(), 0

    def record(measure: UnitMeasure, logged: bool = False) -> None:
        nonlocal count
        count += 1
        if not logged:
            log.write(json.dumps(measure.as_row()) + "\n")
        log.flush()
        rate = (time.perf_counter() - started) / count
        print(f"layer {measure.layer} unit {measure.unit}: {rate:.1f} s a unit", flush=True)

    if args.compare is not None:
        _compare(args, seen, log, record)
    elif args.deep is not None:
        _deep(args, seen, record)
    else:
        _stored(args, seen, record)
    log.close()


def _deep(args: argparse.Namespace, seen: set, record) -> None:  # type: ignore[no-untyped-def]
    from n2g.circuits.stage import Inputs, check_by_ablation, sample_units
    from n2g.models import load_model

    model = load_model("smollm2-135m", n_layers=args.deep + 1)
    units = {layer: list(range(model.n_units)) for layer in range(args.deep + 1)}
    picked = sample_units({0: [], args.deep: units[args.deep]}, args.per_layer, args.seed)
    sample = [c for c in picked if c not in seen]
    check_by_ablation(
        None, model, units, sample, ("weights", "data"), Inputs(args.records),
        k=args.k, windows=args.windows, crop=args.crop, seed=args.seed, done=record,
    )  # fmt: skip


def _compare(args: argparse.Namespace, seen: set, log, record) -> None:  # type: ignore[no-untyped-def]
    import random

    from n2g.circuits.measure import measure_unit, pick_randoms
    from n2g.circuits.sources import Eligible, by_data
    from n2g.circuits.stage import sample_units
    from n2g.circuits.windows import unit_windows
    from n2g.models import load_model
    from n2g.record.store import load_layer
    from n2g.selection import parse_layers

    settings = [tuple(int(x) for x in item.split(":")) for item in args.compare.split(",")]
    layers = sorted(set(parse_layers(args.layers)))
    model = load_model("smollm2-135m", n_layers=max(layers) + 1)
    units = {layer: list(range(model.n_units)) for layer in layers}
    sample = [c for c in sample_units(units, args.per_layer, args.seed) if c not in seen]
    rng = random.Random(args.seed)
    scored, ats, records = {}, {}, {}
    for layer in sorted({layer for layer, _ in sample}):  # every setting, a layer at a time
        records[layer] = load_layer(args.records, layer)
        ats[layer] = Eligible(model, layer, {s: units[s] for s in layers if s < layer})
        chosen = [u for at_layer, u in sample if at_layer == layer]
        scored[layer] = {
            f"data-w{n}c{crop}": by_data(ats[layer], chosen, args.k, records[layer], crop, n)
            for n, crop in settings
        }
    for layer, unit in sample:  # in the sample's order: a check stopped early covers each layer
        found = scored[layer]
        ranked = {s: by[unit][0] for s, by in found.items() if unit in by}
        taken = {c for top in ranked.values() for c, _ in top}
        randoms = pick_randoms(ats[layer].candidates(), taken, args.k, rng)
        score = {s: found[s][unit][1] for s in ranked}
        test = unit_windows(records[layer], unit, crop=args.crop, limit=args.windows).test
        modes = args.modes.split(",")
        measure = measure_unit(model, layer, unit, test, ranked, randoms, score, modes=modes)
        if measure is None:
            continue
        tops = {s: [list(c) for c, _ in top] for s, top in ranked.items()}
        log.write(json.dumps({**measure.as_row(), "tops": tops}) + "\n")
        record(measure, logged=True)


def _stored(args: argparse.Namespace, seen: set, record) -> None:  # type: ignore[no-untyped-def]
    from n2g.circuits.sources import Eligible, by_data, feeds_rows
    from n2g.circuits.stage import (
        check_by_ablation,
        compute_feeds,
        linked_units,
        load_inputs,
        sample_units,
    )
    from n2g.cli.db_options import open_database
    from n2g.models import load_model
    from n2g.record.store import load_layer
    from n2g.search.circuits import write_feeds
    from n2g.selection import parse_layers

    sources = ("weights", "data", "evidence")
    with open_database() as db:
        units = linked_units(db, "smollm2-135m", sorted(set(parse_layers(args.layers))))
        inputs = load_inputs(db, "smollm2-135m", units, sources, args.records)
        model = load_model("smollm2-135m", n_layers=max(units) + 1)
        sample = sample_units(units, args.per_layer, args.seed)
        if not seen:
            compute_feeds(db, model, units, args.k, ("weights", "evidence"), inputs)
            rows = []
            for layer in sorted(units)[1:]:
                at = Eligible(model, layer, {s: units[s] for s in units if s < layer})
                chosen = [u for at_layer, u in sample if at_layer == layer]
                scored = by_data(at, chosen, args.k, load_layer(args.records, layer), args.crop)
                rows.extend(feeds_rows(model.name, layer, scored, "data"))
            print(f"data edges of the sample: {write_feeds(db, model.name, rows, 'data')}")
        todo = [c for c in sample if c not in seen]
        check_by_ablation(
            db, model, units, todo, sources, inputs,
            k=args.k, windows=args.windows, crop=args.crop, seed=args.seed, done=record,
        )  # fmt: skip


if __name__ == "__main__":
    main()
