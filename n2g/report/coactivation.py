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
from pydantic import BaseModel, ConfigDict, Field

from n2g.graph.quality import Interval, bootstrap_interval
from n2g.search.similarity import NeuronTokenSets, Relation, SimilarityConfig, similarity_join

Pair = tuple[str, str]  # two unit keys
RANDOM_CATEGORY = "random"  # the baseline pairs' category


class CoactivationConfig(BaseModel):
    """How much of the model the check asks: windows, pairs, members of a group."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    windows: int = Field(32, ge=2, le=4096, description="random windows of the corpus")
    pairs: int = Field(48, ge=1, le=100_000, description="most pairs a category")
    top: int = Field(3, ge=1, le=100, description="top windows of a unit, setting (b)")
    top_pairs: int = Field(
        24, ge=1, le=100_000, description="most pairs a category in setting (b): a pass each"
    )
    members: int = Field(12, ge=2, le=1000, description="members sampled from a group")
    random_pairs: int = Field(256, ge=8, le=100_000, description="random pairs, baseline")
    thresholds: tuple[float, ...] = (0.9, 0.7, 0.5)
    seed: int = 0


class LevelCheck(BaseModel):
    """The groups of one level against random pairs of their layers."""

    level: int
    groups: int
    units: int
    groups_above: int = Field(description="groups whose mean r exceeds random's 95th pct")
    units_above: int
    median_r: float | None
    undefined: int = Field(description="groups with no member pair whose r is defined")


class RelationCheck(BaseModel):
    """What the check found (JSON in summary.json, tables in the report)."""

    random_windows: list[dict] = Field(description="per category: r on random windows")
    top_windows: list[dict] = Field(description="per category: r on both units' top windows")
    random_p95: float | None = Field(description="95th percentile of random pairs' r (a)")
    group_random_p95: float | None
    group_random_mean: float | None
    levels: list[LevelCheck]
    windows: int
    tokens: int
    units: int
    seconds: float


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


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def coactivation_markdown(check: RelationCheck) -> list[str]:
    """The report's section: per category, r on random and on top windows; per level of
    groups, how many co-activate above random."""
    lines = [
        "## Do related units co-activate?",
        "",
        f"The Pearson r of two units' true activations: (a) on {check.windows} random "
        f"windows of the corpus ({check.tokens:,} tokens), (b) on the union of both units' "
        "top recorded windows. Pairs the graphs relate, by threshold (a seeded sample of "
        "each), against random pairs of the same layers. Undefined: a unit that never varied.",
        "",
        "| pairs | n | undefined | (a) median r | (a) mean r [95% interval] | (b) median r |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    top = {row["category"]: row for row in check.top_windows}
    for row in check.random_windows:
        other = top.get(row["category"], {})
        lines.append(
            f"| {row['category']} | {row['pairs']} | {row['undefined']} | "
            f"{_cell(row['median'])} | {_cell(row['mean'])} [{_cell(row['low'])}, "
            f"{_cell(row['high'])}] | {_cell(other.get('median'))} |"
        )
    if check.levels:
        lines += [
            "",
            "Groups (level 0: the paper's components; 1..: communities, finest first): the "
            "mean r of their member pairs on the random windows (up to a sampled dozen "
            "members a group), against random pairs drawn with the groups' layers "
            f"(mean r {_cell(check.group_random_mean)}; 95th percentile "
            f"{_cell(check.group_random_p95)}: above it, a group co-activates well above random).",
            "",
            "| level | groups | units | groups above random | units in them | median r |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {lv.level} | {lv.groups} | {lv.units:,} | {lv.groups_above} | "
            f"{lv.units_above:,} | {_cell(lv.median_r)} |"
            for lv in check.levels
        ]
    return [*lines, ""]
