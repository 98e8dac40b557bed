"""`n2g feeds`: compute a model's FEEDS edges, store them, and check a sample by ablation.

The edges link the units stored in the database (a unit whose graph is not stored cannot
be an edge's end): for each stored MLP neuron of the chosen layers, its top k feeders
among the stored neurons of the earlier chosen layers by virtual weight
(n2g.models.virtual_weights), written in one transaction that replaces the model's old
'weights' edges (n2g.search.circuits.write_feeds).

The check (`--ablate N --records DIR`) samples N stored units per layer (seeded), ablates
each one's stored feeders and as many random neurons of the earlier layers on the unit's
top windows from the records (n2g.models.ablation), stores each feeder's measured
effect on its edge, and reports how well the weights ranked the effects against the
random units (n2g.circuits.check).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from n2g.circuits.check import UnitCheck, summary
from n2g.db.connection import Database
from n2g.errors import N2GError
from n2g.graph.key import parse_neuron_key
from n2g.models.ablation import ablation_effects
from n2g.models.base import NeuronModel
from n2g.models.virtual_weights import DEFAULT_K, Feed, UnitLayer, feeds, plain_virtual_weight
from n2g.record.store import LayerRecords, load_layer
from n2g.resources import read_cypher
from n2g.search.circuits import write_ablation, write_feeds

DEFAULT_WINDOWS = 8


@dataclass
class FeedsSummary:
    edges: int = 0
    units: dict[int, int] = field(default_factory=dict)  # layer -> stored units linked
    check: dict[str, float | int | None] | None = None
    measured: int = 0  # edges given an ablation effect


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


def compute_feeds(
    db: Database, model: NeuronModel, units: dict[int, list[int]], k: int = DEFAULT_K
) -> tuple[FeedsSummary, list[Feed]]:
    """Compute and store `model`'s FEEDS edges among `units` (layer -> indices)."""
    parts = [UnitLayer(model, layer, units[layer]) for layer in sorted(units)]
    edges = feeds(parts, k)
    written = write_feeds(db, model.name, [edge.as_row() for edge in edges])
    return FeedsSummary(edges=written, units={p.layer: len(p.indices()) for p in parts}), edges


def check_by_ablation(
    db: Database,
    model: NeuronModel,
    records: Path,
    edges: Sequence[Feed],
    units_per_layer: int,
    *,
    windows: int = DEFAULT_WINDOWS,
    seed: int = 0,
) -> tuple[dict[str, float | int | None], int]:
    """Ablate the feeders of `units_per_layer` sampled targets per layer (and as many
    random earlier neurons each), store the feeders' effects; the check's summary and the
    number of edges given an effect."""
    by_target: dict[str, list[Feed]] = defaultdict(list)
    for edge in edges:
        by_target[edge.target].append(edge)
    rng = random.Random(seed)
    per_layer: dict[int, list[str]] = defaultdict(list)
    for target in sorted(by_target):
        layer = parse_neuron_key(target).layer
        assert layer is not None
        per_layer[layer].append(target)
    checks, effects = [], []
    for layer, targets in sorted(per_layer.items()):
        layer_records = load_layer(records, layer)
        for target in rng.sample(targets, min(units_per_layer, len(targets))):
            check, rows = _check_unit(model, layer_records, by_target[target], windows, rng)
            if check is not None:
                checks.append(check)
                effects.extend(rows)
    measured = write_ablation(db, effects) if effects else 0
    return summary(checks), measured


def _check_unit(
    model: NeuronModel, records: LayerRecords, feeders: list[Feed], windows: int, rng: random.Random
) -> tuple[UnitCheck | None, list[dict[str, object]]]:
    target = parse_neuron_key(feeders[0].target)
    assert target.layer is not None
    sources = [parse_neuron_key(f.source) for f in feeders]
    taken = {(s.layer, s.unit) for s in sources}
    pool = [(layer, u) for layer in range(target.layer) for u in range(model.n_units)]
    randoms = rng.sample([c for c in pool if c not in taken], min(len(feeders), len(pool)))
    candidates = [(int(s.layer or 0), s.unit) for s in sources] + randoms
    examples = [tokens for tokens, _ in records.examples(target.unit)[:windows]]
    if not examples:
        return None, []
    measured = ablation_effects(model, target.layer, target.unit, examples, candidates)
    if measured is None:
        return None, []
    later = UnitLayer(model, target.layer)
    weights = [f.virtual_weight for f in feeders] + [
        plain_virtual_weight(UnitLayer(model, layer), u, later, target.unit) for layer, u in randoms
    ]
    rows: list[dict[str, object]] = [
        {"source": f.source, "target": f.target, "zero": z, "mean": m}
        for f, z, m in zip(feeders, measured.zero, measured.mean, strict=False)
    ]
    key = feeders[0].target
    return UnitCheck(key, weights, measured.zero, len(feeders)), rows
