"""How well the weights rank what ablation measures, against random earlier units.

For a sampled unit, its top k feeders by |virtual weight| and as many random units of the
earlier layers (the pool) are each ablated on the unit's top windows
(n2g.models.ablation). Three figures per unit, averaged over the units:

- Spearman's rho between |virtual weight| and |measured effect| over the pool (does a
  larger weight mean a larger effect?);
- precision at k: of the pool's k largest |effects|, the share the weights' top k holds;
  a random pick of k from the pool holds k / |pool| of them on average (`chance`);
- lift: the mean |effect| of the weights' top k over that of the random units.

torch-free: numpy on the measured numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def spearman(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float | None:
    """Spearman's rho (average ranks for ties); None when either side is constant."""
    a, b = _ranks(np.asarray(x, float)), _ranks(np.asarray(y, float))
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    for value in np.unique(values):  # ties share their mean rank
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks


@dataclass(frozen=True)
class UnitCheck:
    """One unit's pool: the weights' top k first (`k` of them), then the random units."""

    key: str
    weights: list[float]
    effects: list[float]
    k: int

    @property
    def spearman(self) -> float | None:
        return spearman(np.abs(self.weights), np.abs(self.effects))

    @property
    def precision(self) -> float:
        truth = set(np.argsort(-np.abs(self.effects), kind="stable")[: self.k].tolist())
        return len(truth & set(range(self.k))) / self.k

    @property
    def chance(self) -> float:
        return self.k / len(self.effects)

    @property
    def lift(self) -> float | None:
        top = np.abs(self.effects[: self.k]).mean()
        rest = np.abs(self.effects[self.k :]).mean() if len(self.effects) > self.k else 0.0
        return float(top / rest) if rest > 0 else None


def summary(checks: Sequence[UnitCheck]) -> dict[str, float | int | None]:
    """The means over units (a figure undefined for a unit is left out of its mean)."""

    def mean(values: list[float | None]) -> float | None:
        kept = [v for v in values if v is not None]
        return round(float(np.mean(kept)), 4) if kept else None

    return {
        "units": len(checks),
        "spearman": mean([c.spearman for c in checks]),
        "precision_at_k": mean([c.precision for c in checks]),
        "chance_precision": mean([c.chance for c in checks]),
        "lift_over_random": mean([c.lift for c in checks]),
    }
