"""`n2g run --circuits`: the job's FEEDS edges, after ingest, resumable, in its report.

Why a stage of the job and not only `n2g feeds`: the edges need the run's records (the
'data' source attributes each unit's activation on its own top windows) and its stored
units, both of which the job has just made; a separate command afterwards is a step
users forget. The edges are computed by the one stage function (`n2g.stages.feeds`).

Resumable: a marker, `<out>/circuits.json`, names what was computed (model, layers,
source, k, stored units per layer, the check's size) and what it wrote. A rerun whose
marker matches, with as many edges of the source still stored, computes nothing; any
change (more units stored, another k, a cleared database) computes the edges again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from n2g.db.connection import Database
from n2g.files import write_text_atomic
from n2g.run.config import RunConfig
from n2g.search.circuits import count_feeds

SOURCE = "data"  # what the ablation check justified (docs/results.md, Circuits)
MARKER = "circuits.json"


def _progress(
    units: dict[int, list[int]],
    say: Callable[[str], None],
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[Callable[[str, int, int, int], None], dict[str, int]]:
    """The progress callback (a line per slice of targets: the rate and the time left)
    and the edges per target layer it collects. The time left counts each remaining
    target by its layer + 1 (a target's pass runs through the embedding and every layer
    below it: its cost grows about in proportion, n2g.run.estimate), so the deeper
    layers still to come are not priced at the shallow layers' rate."""
    from n2g.run.estimate import format_duration

    total = sum(len(units[layer]) for layer in sorted(units)[1:])
    work = sum((layer + 1) * len(units[layer]) for layer in sorted(units)[1:])
    started = clock()
    per_layer: dict[str, int] = {}
    finished = [0, 0]  # targets, their work ((layer + 1) x targets)

    def done(source: str, layer: int, scored: int, edges: int) -> None:
        per_layer[str(layer)] = per_layer.get(str(layer), 0) + edges
        finished[0] += scored
        finished[1] += (layer + 1) * scored
        seconds = max(clock() - started, 1e-9)
        rate = finished[0] / seconds
        left = format_duration((work - finished[1]) * seconds / max(finished[1], 1))
        say(
            f"circuits: layer {layer}: {per_layer[str(layer)]:,} {source} edges, "
            f"{finished[0]:,}/{total:,} "
            f"units at {rate:,.1f} units/s, about {left} left"
        )

    return done, per_layer


def run_circuits(
    db: Database, model: Any, config: RunConfig, say: Callable[[str], None]
) -> dict[str, Any]:
    """The run's FEEDS edges (computed, or found stored by an earlier run): what the
    report and summary.json show."""
    from n2g import stages
    from n2g.circuits.stage import linked_units
    from n2g.circuits.windows import DATA_WINDOWS, DEFAULT_CROP
    from n2g.models.virtual_weights import DEFAULT_K

    assert config.layers is not None
    units = linked_units(db, model.name, config.layers)
    key = {
        "model": model.name,
        "layers": config.layers,
        "source": SOURCE,
        "k": DEFAULT_K,
        "check": config.circuits_check,
        "windows": DATA_WINDOWS,
        "crop": DEFAULT_CROP,
        "units": {str(layer): len(idx) for layer, idx in sorted(units.items())},
    }
    marker = config.out / MARKER
    if marker.is_file():
        old = json.loads(marker.read_text(encoding="utf-8"))
        if (
            old.get("key") == key
            and count_feeds(db, model.name, SOURCE, sorted(units)) == old["result"]["edges"]
        ):
            say(f"circuits: {old['result']['edges']:,} {SOURCE} edges already stored")
            return dict(old["result"])
    done, per_layer = _progress(units, say)
    summary = stages.feeds(
        db,
        model,
        config.layers,
        sources=[SOURCE],
        records=config.records_dir,
        k=DEFAULT_K,
        check=config.circuits_check,
        done=done,
    )
    result = {
        "source": SOURCE,
        "k": DEFAULT_K,
        "edges": summary.edges,
        "edges_per_layer": per_layer,
        "units": key["units"],
        "check": summary.check,
        "measured": summary.measured,
    }
    say(f"circuits: stored {summary.edges:,} {SOURCE} FEEDS edges")
    write_text_atomic(marker, json.dumps({"key": key, "result": result}, indent=2) + "\n")
    return result


def circuits_markdown(result: dict[str, Any]) -> list[str]:
    """The report's section: edges per layer, and the ablation check's figures if run."""
    lines = [
        "## Circuits",
        "",
        f"FEEDS edges by {result['source']} (activation x gradient on the run's records), "
        f"top {result['k']} feeders a unit among the stored units of earlier layers: "
        f"{result['edges']:,} edges. Read them with `n2g circuit KEY --source data`.",
        "",
        "| layer | stored units | edges into it |",
        "|---:|---:|---:|",
    ]
    for layer, n in result["units"].items():
        lines.append(f"| {layer} | {n} | {result['edges_per_layer'].get(layer, 0):,} |")
    lines.append("")
    check = result.get("check")
    if check:
        lines += [
            f"Checked by ablation ({result['measured']} edges measured): how well the "
            "source ranks the measured effects, against random earlier units.",
            "",
            "| layer | mode | units | Spearman | precision at k | chance | lift |",
            "|---:|---|---:|---:|---:|---:|---:|",
        ]
        for layer, sources in check.items():
            for mode, f in sources.get(result["source"], {}).items():
                cells = [f.get(name) for name in ("spearman", "precision_at_k")]
                cells += [f.get("chance_precision"), f.get("lift_over_random")]
                shown = " | ".join("-" if c is None else f"{c:.2f}" for c in cells)
                lines.append(f"| {layer} | {mode} | {f['units']} | {shown} |")
        lines.append("")
    return lines
