"""The three sources of FEEDS edges, each ranking a unit's feeders among eligible units.

- 'weights': the direct-path virtual weight (n2g.models.virtual_weights), no data;
- 'data': activation x gradient on the unit's train windows (n2g.models.attribution);
- 'evidence': the graphs' own composition (n2g.circuits.evidence).

Each gives, for a layer's target units, their top k feeders among the eligible units of
earlier layers (a stored unit when edges go to the store: an edge needs both ends) and a
score for ANY eligible unit, which the ablation check needs for its random units
(n2g.circuits.measure). One place computes a source for both writing and checking, so
the check grades exactly what is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from n2g.circuits.evidence import UnitTokens, evidence_scores
from n2g.circuits.measure import Candidate, Ranked
from n2g.circuits.windows import DATA_WINDOWS, DEFAULT_CROP, unit_windows
from n2g.graph.key import neuron_key
from n2g.models.attribution import attribution_scores
from n2g.models.base import NeuronModel
from n2g.models.virtual_weights import UnitLayer, feeds, plain_virtual_weight
from n2g.record.store import LayerRecords

SOURCES = ("weights", "data", "evidence")
Scored = dict[int, tuple[Ranked, Callable[[Candidate], float]]]  # unit -> (top k, score)


@dataclass(frozen=True)
class Eligible:
    """The targets' layer and the earlier units that may feed them (layer -> indices)."""

    model: NeuronModel
    layer: int
    sources: Mapping[int, Sequence[int]]

    def candidates(self) -> list[Candidate]:
        return [(layer, u) for layer, units in sorted(self.sources.items()) for u in units]


def by_weights(at: Eligible, units: Sequence[int], k: int) -> Scored:
    parts = [UnitLayer(at.model, layer, list(idx)) for layer, idx in sorted(at.sources.items())]
    target = UnitLayer(at.model, at.layer, list(units))
    ranked: dict[int, Ranked] = {u: [] for u in units}
    for edge in feeds([*parts, target], k):
        _, t_layer, t_unit = edge.target.rsplit("/", 2)
        if int(t_layer) == at.layer:
            _, s_layer, s_unit = edge.source.rsplit("/", 2)
            ranked[int(t_unit)].append(((int(s_layer), int(s_unit)), edge.virtual_weight))
    later = UnitLayer(at.model, at.layer)

    def score(unit: int) -> Callable[[Candidate], float]:
        return lambda c: plain_virtual_weight(UnitLayer(at.model, c[0]), c[1], later, unit)

    return {u: (ranked[u], score(u)) for u in units}


def by_data(
    at: Eligible,
    units: Sequence[int],
    k: int,
    records: LayerRecords,
    crop: int = DEFAULT_CROP,
    windows: int = DATA_WINDOWS,
) -> Scored:
    """Units that never fire on their cut train windows (`windows` of them) get no feeders."""
    jobs = [(u, unit_windows(records, u, crop=crop, limit=windows).train) for u in units]
    jobs = [(u, w) for u, w in jobs if w]
    found = attribution_scores(at.model, at.layer, jobs, sorted(at.sources))
    out: Scored = {}
    for (unit, _), result in zip(jobs, found, strict=True):
        if result is None:
            continue
        scores = result.scores
        flat = [(c, float(scores[c[0]][c[1]])) for c in at.candidates()]
        flat.sort(key=lambda item: (-abs(item[1]), item[0]))
        out[unit] = (flat[:k], _by_layer(scores))
    return out


def by_evidence(
    at: Eligible, units: Sequence[int], k: int, tokens: Mapping[Candidate, UnitTokens]
) -> Scored:
    """Only positive scores are edges (a zero overlap names no feeder)."""
    allowed = set(at.candidates())
    sources = [t for c, t in tokens.items() if c in allowed]
    targets = [tokens[(at.layer, u)] for u in units if (at.layer, u) in tokens]
    if not sources or not targets:
        return {}
    scores, order = evidence_scores(sources, targets)
    index = {(s.layer, s.index): i for i, s in enumerate(order)}
    out: Scored = {}
    for row, target in enumerate(targets):
        values = scores[row]
        best = np.lexsort((np.arange(len(order)), -values))[:k]
        top = [((order[i].layer, order[i].index), float(values[i])) for i in best if values[i] > 0]
        out[target.index] = (top, _by_index(values, index))
    return out


def _by_layer(scores: Mapping[int, np.ndarray]) -> Callable[[Candidate], float]:
    return lambda c: float(scores[c[0]][c[1]])


def _by_index(values: np.ndarray, index: Mapping[Candidate, int]) -> Callable[[Candidate], float]:
    return lambda c: float(values[index[c]]) if c in index else 0.0


def feeds_rows(
    model: str, layer: int, scored: Scored, source: str = "data"
) -> list[dict[str, object]]:
    """FEEDS rows (source, target, weight, rank) of one target layer's ranked feeders; a
    'weights' row keeps its weight as `virtual_weight` too."""
    rows: list[dict[str, object]] = []
    for unit, (top, _) in sorted(scored.items()):
        for rank, ((s_layer, s_unit), weight) in enumerate(top):
            rows.append(
                {
                    "source": neuron_key(model, s_layer, s_unit),
                    "target": neuron_key(model, layer, unit),
                    "weight": weight,
                    "rank": rank,
                }
            )
            if source == "weights":
                rows[-1]["virtual_weight"] = weight
    return rows
