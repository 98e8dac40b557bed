"""Checking every edge source on one unit by ablation, side by side, against random units.

For a sampled unit, each source ('weights', 'data', 'evidence') names its top k feeders
among the eligible earlier units; the union of those and `k` random eligible units is
ablated once (zero and mean, n2g.models.ablation) on the unit's TEST windows
(n2g.circuits.windows: the attribution saw only its train windows). Then, per source and
mode, the source's pool is its own top k plus the same random units, each scored by that
source, and n2g.circuits.check grades the ranking (precision at k, Spearman, lift over
random). Sharing the random units and the ablation passes makes the sources' figures
comparable unit by unit and costs one ablation per distinct candidate.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from n2g.circuits.check import UnitCheck
from n2g.models.ablation import MODES, ablation_effects
from n2g.models.base import NeuronModel

Candidate = tuple[int, int]  # (layer, neuron)
Ranked = list[tuple[Candidate, float]]  # a source's top k, strongest first, with its scores


@dataclass(frozen=True)
class UnitMeasure:
    """One unit's check: `checks[source][mode]`, and each ablated candidate's measured
    (zero, mean) effect."""

    layer: int
    unit: int
    checks: dict[str, dict[str, UnitCheck]]
    effects: dict[Candidate, tuple[float, float]]

    def as_row(self) -> dict[str, object]:
        return {
            "layer": self.layer,
            "unit": self.unit,
            "checks": {
                source: {
                    mode: {"weights": c.weights, "effects": c.effects, "k": c.k}
                    for mode, c in by_mode.items()
                }
                for source, by_mode in self.checks.items()
            },
        }


def pick_randoms(
    eligible: Sequence[Candidate], taken: set[Candidate], k: int, rng: random.Random
) -> list[Candidate]:
    """`k` eligible units no source ranked (fewer when the pool is smaller)."""
    pool = [c for c in eligible if c not in taken]
    return rng.sample(pool, min(k, len(pool)))


def measure_unit(
    model: NeuronModel,
    layer: int,
    unit: int,
    windows: Sequence[np.ndarray],
    ranked: Mapping[str, Ranked],
    randoms: Sequence[Candidate],
    score: Mapping[str, Callable[[Candidate], float]],
    *,
    candidates_per_pass: int = 1,
    modes: Sequence[str] = MODES,
) -> UnitMeasure | None:
    """Ablate every source's top k and the random units on `windows` (in each of `modes`);
    grade each source. None when the unit does not fire on the windows."""
    union: list[Candidate] = []
    for top in ranked.values():
        union.extend(c for c, _ in top if c not in union)
    union.extend(c for c in randoms if c not in union)
    measured = ablation_effects(
        model, layer, unit, windows, union, candidates_per_pass=candidates_per_pass, modes=modes
    )
    if measured is None:
        return None
    effects = {c: (z, m) for c, z, m in zip(union, measured.zero, measured.mean, strict=True)}
    checks: dict[str, dict[str, UnitCheck]] = {}
    for source, top in ranked.items():
        if not top:
            continue
        pool = [c for c, _ in top] + list(randoms)
        scores = [s for _, s in top] + [score[source](c) for c in randoms]
        checks[source] = {
            mode: UnitCheck(
                f"{layer}/{unit}", scores, [effects[c][MODES.index(mode)] for c in pool], len(top)
            )
            for mode in modes
        }
    return UnitMeasure(layer, unit, checks, effects)


def effect_rows(
    measure: UnitMeasure, ranked: Mapping[str, Ranked], key: Callable[[Candidate], str], target: str
) -> dict[str, list[dict[str, object]]]:
    """Per source, the measured effects of its edges: rows of source, target, zero, mean."""
    out: dict[str, list[dict[str, object]]] = {}
    for source, top in ranked.items():
        out[source] = [
            {
                "source": key(c),
                "target": target,
                "zero": measure.effects[c][0],
                "mean": measure.effects[c][1],
            }
            for c, _ in top
            if c in measure.effects
        ]
    return out
