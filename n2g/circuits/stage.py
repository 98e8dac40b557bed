"""`n2g feeds`: compute a model's FEEDS edges, store them, and check a sample by ablation.

The edges link the units stored in the database (a unit whose graph is not stored cannot
be an edge's end): for each stored MLP neuron of the chosen layers, its top k feeders
among the stored neurons of the earlier chosen layers by each chosen source
(n2g.circuits.sources: 'weights', 'data', 'evidence'). Each source's old edges into the
units scored are replaced by its new ones, a bounded number a transaction
(n2g.search.circuits.write_feeds); edges into other units (layers or unit sets not chosen
this time) stay.

With `--sae SPEC` / `--transcoder SPEC`, the stored latents of those unit sets take part
beside the neurons in the 'weights' and 'data' sources (n2g.circuits.latents): each unit's
feeders are then ranked among neurons and latents together.

The check (`--ablate N --records DIR`) samples N stored units per layer (seeded), ablates
every source's top k and as many random stored earlier units on the unit's held-out test
windows (n2g.circuits.measure), stores each edge's measured effect on it, and reports
per layer, source and mode how well each source ranked the effects against the random
units (n2g.circuits.check).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from n2g.circuits.evidence import UnitTokens, stored_tokens
from n2g.circuits.latents import data_rows, neuron_parts, weights_rows
from n2g.circuits.measure import Candidate, UnitMeasure, effect_rows, measure_unit, pick_randoms
from n2g.circuits.sources import Eligible, Scored, by_data, by_evidence, by_weights, feeds_rows
from n2g.circuits.table import layer_table
from n2g.circuits.windows import DEFAULT_CROP, unit_windows
from n2g.db.connection import Database
from n2g.errors import N2GError
from n2g.graph.key import neuron_key
from n2g.models.base import NeuronModel
from n2g.models.virtual_weights import DEFAULT_K, UnitLayer
from n2g.record.store import load_layer
from n2g.resources import read_cypher
from n2g.search.circuits import write_ablation, write_feeds

DEFAULT_WINDOWS = 8
# Targets scored between two progress reports (16 passes of the data source's 8 targets).
PROGRESS_UNITS = 128


@dataclass
class FeedsSummary:
    edges: int = 0
    units: dict[int, int] = field(default_factory=dict)  # layer -> stored units linked
    latents: dict[str, int] = field(default_factory=dict)  # unit set -> stored latents linked
    by_source: dict[str, int] = field(default_factory=dict)  # source -> edges written
    check: dict[str, object] | None = None  # layer -> source -> mode -> figures
    measured: int = 0  # edges given an ablation effect
    dropped: int = 0  # measured edges under --min-effect, deleted


def stored_units(db: Database, model: str, layers: Sequence[int]) -> dict[int, list[int]]:
    """The stored MLP neurons of `model` in `layers`: layer -> indices."""
    rows = db.read(read_cypher("queries", "feeds_units"), {"model": model, "layers": list(layers)})
    found: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        found[int(row["layer"])].append(int(row["index"]))
    return dict(found)


def linked_units(db: Database, model: str, layers: Sequence[int]) -> dict[int, list[int]]:
    """The stored MLP neurons of `model` in `layers` that FEEDS edges link (layer ->
    indices); N2GError when fewer than two layers hold some (nothing upstream)."""
    units = stored_units(db, model, layers)
    if not units:
        raise N2GError(f"no neuron graphs of model {model!r} in layers {list(layers)}")
    if len(units) < 2:
        only = next(iter(units))
        raise N2GError(
            f"only layer {only} holds stored neurons of {model!r}: nothing upstream to "
            "link (give layers with stored neurons before it)"
        )
    return units


@dataclass(frozen=True)
class Inputs:
    """What the sources read besides the model: the records (data) and the stored
    graphs' tokens (evidence), each None when its source is not asked for."""

    records: Path | None = None
    tokens: dict[Candidate, UnitTokens] | None = None
    by_set: dict[str | None, Path] = field(default_factory=dict)  # latents' records too


def load_inputs(
    db: Database,
    model: str,
    units: dict[int, list[int]],
    sources: Sequence[str],
    records: Path | None,
) -> Inputs:
    if "data" in sources and records is None:
        raise N2GError("the data source needs --records: the windows its units are attributed on")
    tokens = None
    if "evidence" in sources:
        tokens = {(t.layer, t.index): t for t in stored_tokens(db, model, sorted(units))}
    return Inputs(records, tokens)


def _scored(
    source: str, at: Eligible, units: Sequence[int], k: int, inputs: Inputs, crop: int
) -> Scored:
    if source == "weights":
        return by_weights(at, units, k)
    if source == "data":
        assert inputs.records is not None
        return by_data(at, units, k, load_layer(inputs.records, at.layer), crop)
    assert inputs.tokens is not None
    return by_evidence(at, units, k, inputs.tokens)


def _eligible(model: NeuronModel, units: dict[int, list[int]], layer: int) -> Eligible:
    return Eligible(model, layer, {s: units[s] for s in units if s < layer})


def compute_feeds(
    db: Database,
    model: NeuronModel,
    units: dict[int, list[int]],
    k: int = DEFAULT_K,
    sources: Sequence[str] = ("weights",),
    inputs: Inputs | None = None,
    *,
    crop: int = DEFAULT_CROP,
    done: Callable[[str, int, int, int], None] | None = None,
    latents: Sequence[UnitLayer] = (),
) -> FeedsSummary:
    """Compute and store `model`'s FEEDS edges of each source among `units` (and the
    `latents`, for 'weights' and 'data'); `done` sees (source, layer, units, edges) after
    each slice of PROGRESS_UNITS targets (each unit set, with latents)."""
    inputs = inputs or Inputs()
    summary = FeedsSummary(units={layer: len(idx) for layer, idx in units.items()})
    for part in latents:
        summary.latents[str(part.model.unit_set)] = len(part.indices())
    for source in sources:
        rows: list[dict[str, object]] = []
        if latents and source in ("weights", "data"):
            parts = [*neuron_parts(model, units), *latents]
            if source == "weights":
                rows, scored = weights_rows(parts, k, done)
            else:
                rows, scored = data_rows(model, parts, inputs.by_set, k, crop, done)
            summary.by_source[source] = write_feeds(db, model.name, rows, source, targets=scored)
            summary.edges += summary.by_source[source]
            continue
        for layer in sorted(units)[1:]:
            at = _eligible(model, units, layer)
            targets = units[layer]
            step = PROGRESS_UNITS if done is not None else max(len(targets), 1)
            for begin in range(0, len(targets), step):
                chunk = targets[begin : begin + step]
                scored_chunk = _scored(source, at, chunk, k, inputs, crop)
                chunk_rows = feeds_rows(model.name, layer, scored_chunk, source)
                rows.extend(chunk_rows)
                if done is not None:
                    done(source, layer, len(chunk), len(chunk_rows))
        targets_scored = [
            neuron_key(model.name, layer, unit)
            for layer in sorted(units)[1:]
            for unit in units[layer]
        ]
        summary.by_source[source] = write_feeds(
            db, model.name, rows, source, targets=targets_scored
        )
        summary.edges += summary.by_source[source]
    return summary


def sample_units(units: dict[int, list[int]], per_layer: int, seed: int) -> list[Candidate]:
    """`per_layer` units of every layer after the first (seeded), interleaved layer by layer
    (a check stopped early has covered every layer alike)."""
    rng = random.Random(seed)
    picks = [
        rng.sample(units[layer], min(per_layer, len(units[layer]))) for layer in sorted(units)[1:]
    ]
    layers = sorted(units)[1:]
    return [
        (layers[at], pick[i])
        for i in range(per_layer)
        for at, pick in enumerate(picks)
        if i < len(pick)
    ]


def check_by_ablation(
    db: Database | None,
    model: NeuronModel,
    units: dict[int, list[int]],
    sample: Sequence[Candidate],
    sources: Sequence[str],
    inputs: Inputs,
    *,
    k: int = DEFAULT_K,
    windows: int = DEFAULT_WINDOWS,
    crop: int = DEFAULT_CROP,
    seed: int = 0,
    done: Callable[[UnitMeasure], None] | None = None,
) -> tuple[dict[str, object], int]:
    """Check the `sample` units (layer, unit) in order; store each edge's effects (when
    `db`); the table (layer -> source -> mode -> figures) and the edges measured. `units`
    (layer -> indices) are the eligible feeders; `done` sees each unit's measure."""
    if inputs.records is None:
        raise N2GError("the ablation check needs --records: the windows its units run on")
    rng = random.Random(seed)
    scored: dict[int, dict[str, Scored]] = {}
    for layer in sorted({layer for layer, _ in sample}):
        at = _eligible(model, units, layer)
        chosen = sorted(u for at_layer, u in sample if at_layer == layer)
        scored[layer] = {s: _scored(s, at, chosen, k, inputs, crop) for s in sources}
    measures: list[UnitMeasure] = []
    written = 0
    for layer, unit in sample:
        records = load_layer(inputs.records, layer)
        at = _eligible(model, units, layer)
        ranked = {s: scored[layer][s][unit][0] for s in sources if unit in scored[layer][s]}
        taken = {c for top in ranked.values() for c, _ in top}
        randoms = pick_randoms(at.candidates(), taken, k, rng)
        score = {s: scored[layer][s][unit][1] for s in ranked}
        test = unit_windows(records, unit, crop=crop, limit=windows).test
        measure = measure_unit(model, layer, unit, test, ranked, randoms, score) if test else None
        if measure is None:
            continue
        measures.append(measure)
        if done is not None:
            done(measure)
        if db is not None:
            target = neuron_key(model.name, layer, unit)
            key = lambda c: neuron_key(model.name, c[0], c[1])  # noqa: E731
            for source, rows in effect_rows(measure, ranked, key, target).items():
                written += write_ablation(db, rows, source) if rows else 0
    return layer_table(measures), written
