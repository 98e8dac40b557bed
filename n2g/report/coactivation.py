"""Do units N2G calls similar really behave alike? Pairs, their correlation, a summary.

N2G calls two units similar from their graphs alone (overlap of token sets, §4.2 of the
paper); nothing in that rule looks at the model again. This module holds the torch-free
half of checking it against the model: which pairs to compare (the join's similar and
subset pairs at each threshold, and random pairs with the same layer pattern as a
baseline), the Pearson correlation of two units' true activations over the same tokens,
and a per-category summary. The activations themselves come from one shared forward pass
(n2g.models.traces); bench/coactivation.py runs the measurement on a run's folder.

A unit that never varies on the tokens compared has no correlation: it is NaN, counted
in the summary (`undefined`), never dropped silently nor read as 0.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from n2g.graph.quality import Interval, bootstrap_interval
from n2g.search.similarity import NeuronTokenSets, Relation, SimilarityConfig, similarity_join

Pair = tuple[str, str]  # two unit keys


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r of two equally long activation vectors; NaN when either never varies."""
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"cannot correlate {x.shape} with {y.shape}")
    x = x - x.mean() if len(x) else x
    y = y - y.mean() if len(y) else y
    denominator = math.sqrt(float(x @ x) * float(y @ y))
    if denominator == 0.0:
        return math.nan
    return max(-1.0, min(1.0, float(x @ y) / denominator))


@dataclass
class CategoryStats:
    """The correlations of one category of pairs (e.g. similar@0.9) in one setting."""

    category: str
    pairs: int
    undefined: int  # pairs where a unit never varied (r undefined, NaN)
    median: float
    mean: Interval  # over the defined r, with its 95% bootstrap interval

    def as_dict(self) -> dict[str, object]:
        return {
            "category": self.category,
            "pairs": self.pairs,
            "undefined": self.undefined,
            "median": self.median,
            "mean": self.mean.mean,
            "low": self.mean.low,
            "high": self.mean.high,
        }


def summarise(category: str, values: Sequence[float], seed: int = 0) -> CategoryStats:
    """Count, median and mean (with its bootstrap interval) of a category's r values."""
    defined = [v for v in values if not math.isnan(v)]
    return CategoryStats(
        category=category,
        pairs=len(values),
        undefined=len(values) - len(defined),
        median=float(np.median(defined)) if defined else math.nan,
        mean=bootstrap_interval(defined, seed=seed),
    )


def related_pairs(
    sets: Sequence[NeuronTokenSets], thresholds: Sequence[float], cap: int, seed: int = 0
) -> dict[str, list[Pair]]:
    """`similar@T` and `subset@T` pairs for each threshold T, from the join the report and
    the database use (n2g.search.similarity); a category with more than `cap` pairs is a
    seeded sample of `cap` of them, in the join's order."""
    out: dict[str, list[Pair]] = {}
    for threshold in thresholds:
        pairs = similarity_join(sets, SimilarityConfig(threshold=threshold))
        for relation, name in ((Relation.SIMILAR_TO, "similar"), (Relation.SUBSET_OF, "subset")):
            found = [(p.source, p.target) for p in pairs if p.relation == relation]
            if len(found) > cap:
                keep = sorted(random.Random(seed).sample(range(len(found)), cap))
                found = [found[i] for i in keep]
            out[f"{name}@{threshold:g}"] = found
    return out


def matched_random_pairs(
    pattern: Sequence[tuple[int, int]],
    units_by_layer: Mapping[int, Sequence[str]],
    n: int,
    seed: int = 0,
) -> list[Pair]:
    """`n` random pairs of distinct units whose layers follow `pattern` ((layer, layer) of
    each pair to match, taken in turn): the baseline a category is compared with."""
    if not pattern:
        raise ValueError("no layer pattern to match")
    rng = random.Random(seed)
    out: list[Pair] = []
    while len(out) < n:
        first, second = pattern[len(out) % len(pattern)]
        a = rng.choice(units_by_layer[first])
        b = rng.choice(units_by_layer[second])
        if a != b:
            out.append((a, b))
    return out
