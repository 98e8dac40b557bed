"""Per-layer quality of neuron graphs: the numbers the report, `n2g build` and bench print.

One aggregation, from the evaluations stored in the graphs:

- The paper's Table 1: precision/recall/F1 of the firing class, per neuron, then the mean
  over the layer's neurons that have at least one firing test token (the others are
  counted and reported, never silently averaged in). Among those, an undefined precision
  (the method predicted no firing token) counts as 0, as scikit-learn's
  `zero_division=0` does: a method is not rewarded for silence.
- The correlation score (OpenAI's explain/simulate/score yardstick): the mean over every
  neuron that has one; an undefined r (constant prediction) counts as 0. Also the share of
  neurons with r >= 0.8 (GPT-4 explanations reached that for ~0.3% of GPT-2 XL's neurons).
- Out of distribution: mean false-positive rate over all neurons with OOD data, F1 over
  those that truly fire there.
- delphi's detection and fuzzing (n2g.builder.delphi): the mean balanced accuracy over the
  units that have both activating and non-activating held-out contexts (the others have
  none: counted out, not averaged in as 0); per decile of the activating contexts, the mean
  detection TPR over the units with contexts in that decile; the mean TNR; and the
  quartiles of both balanced accuracies (delphi publishes medians and quartiles).
- Every mean comes with a 95% bootstrap confidence interval over neurons (percentile
  method, 1,000 resamples, seeded: the same graphs give the same interval).
- The methods are N2G and every scoring method of n2g.scoring. A method enters a layer's
  means only when every evaluated graph of the layer has its scores (graphs built before
  the method existed lack them): no partial means; tables leave its cells empty there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
from pydantic import BaseModel, Field

from n2g.graph.evaluation import Evaluation, OutOfDistribution
from n2g.scoring import label, methods

# N2G, then every scoring method (n2g.scoring), in table order; their human labels.
METHODS = methods()
METHOD_TITLES = {method: label(method) for method in METHODS}
WELL_CORRELATED = 0.8
BOOTSTRAP_SAMPLES = 1000


class Evaluated(Protocol):
    """What the aggregation needs of a graph (a NeuronGraph, or a lighter record of one)."""

    @property
    def layer(self) -> int: ...

    @property
    def evaluation(self) -> Evaluation | None: ...


class Interval(BaseModel):
    """A mean and its 95% bootstrap confidence interval."""

    mean: float
    low: float
    high: float


def bootstrap_interval(values: Sequence[float], seed: int = 0) -> Interval:
    """The mean of `values` with a 95% percentile-bootstrap interval (0s when empty)."""
    data = np.asarray(values, dtype=np.float64)
    if len(data) == 0:
        return Interval(mean=0.0, low=0.0, high=0.0)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(BOOTSTRAP_SAMPLES, len(data)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Interval(mean=float(data.mean()), low=float(low), high=float(high))


class MeanScores(BaseModel):
    precision: float
    recall: float
    f1: float
    f1_interval: Interval


class CorrelationMean(BaseModel):
    n_neurons: int = Field(description="neurons with a correlation score")
    mean: Interval
    share_well_correlated: float = Field(description=f"share with r >= {WELL_CORRELATED}")


class OODMean(BaseModel):
    false_positive_rate: float = Field(description="mean over all neurons with OOD data")
    f1: float | None = Field(None, description="mean over neurons that fire there")


class DelphiMean(BaseModel):
    """A method's delphi scores over a layer's units."""

    n_units: int = Field(description="units with activating and non-activating contexts")
    detection: Interval = Field(description="mean detection balanced accuracy")
    fuzzing: Interval = Field(description="mean fuzzing balanced accuracy")
    deciles: list[float | None] = Field(
        description="mean detection TPR per decile of the activating contexts (weakest "
        "first), over the units with contexts in it; None: no unit has"
    )
    non_activating: float = Field(description="mean detection TNR")
    detection_quartiles: tuple[float, float, float] = Field(
        description="detection's quartiles over the units (delphi reports medians)"
    )
    fuzzing_quartiles: tuple[float, float, float]


class LayerRow(BaseModel):
    layer: int
    n_neurons: int = Field(description="neurons with a graph in this layer")
    n_scored: int = Field(description="neurons with ≥ 1 firing test token (enter the means)")
    n_no_firing: int = Field(description="neurons with no firing test token")
    methods: dict[str, MeanScores]
    correlation: dict[str, CorrelationMean] = Field(default_factory=dict)
    ood_n_neurons: int = 0
    ood_n_scored: int = Field(0, description="neurons that truly fire on the OOD windows")
    ood: dict[str, OODMean] = Field(
        default_factory=dict, description="per method: mean false-positive rate and F1"
    )
    delphi: dict[str, DelphiMean] = Field(
        default_factory=dict, description="per method: delphi's detection and fuzzing"
    )


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else 0.0


def _ood_method(ood: OutOfDistribution, method: str) -> tuple[float, float] | None:
    """(false-positive rate, F1 or 0) of one method on a neuron's OOD windows."""
    rated = ood.of(method)
    return None if rated is None else (rated.false_positive_rate, rated.scores.f1 or 0.0)


def _has(evaluations: Sequence[Evaluation], method: str) -> bool:
    """Every evaluation has `method`'s scores (no partial means)."""
    return all(e.scores(method) is not None for e in evaluations)


def _method_scores(evaluations: Sequence[Evaluation], method: str, seed: int) -> MeanScores:
    scores = [s for e in evaluations if (s := e.scores(method)) is not None]
    f1 = [s.f1 or 0.0 for s in scores]
    return MeanScores(
        precision=_mean([s.precision or 0.0 for s in scores]),
        recall=_mean([s.recall or 0.0 for s in scores]),
        f1=_mean(f1),
        f1_interval=bootstrap_interval(f1, seed),
    )


def _correlation(evaluations: Sequence[Evaluation], seed: int) -> dict[str, CorrelationMean]:
    correlated = [e for e in evaluations if e.correlation is not None]
    scored = [e.correlation for e in correlated if e.correlation is not None]
    if not scored:
        return {}
    out = {}
    for method in METHODS:
        if not _has(correlated, method):
            continue
        values = [c.of(method) or 0.0 for c in scored]
        out[method] = CorrelationMean(
            n_neurons=len(values),
            mean=bootstrap_interval(values, seed),
            share_well_correlated=_mean([v >= WELL_CORRELATED for v in values]),
        )
    return out


def _ood(evaluations: Sequence[Evaluation]) -> tuple[int, int, dict[str, OODMean]]:
    ood = [e.out_of_distribution for e in evaluations if e.out_of_distribution is not None]
    firing = [o for o in ood if o.n_true_firing > 0]
    means = {}
    for method in METHODS:
        maybe_rated = [_ood_method(o, method) for o in ood]
        rated = [r for r in maybe_rated if r is not None]
        if ood and len(rated) == len(maybe_rated):  # no partial means
            scored = [r for o in firing if (r := _ood_method(o, method)) is not None]
            means[method] = OODMean(
                false_positive_rate=_mean([r[0] for r in rated]),
                f1=_mean([r[1] for r in scored]) if scored else None,
            )
    return len(ood), len(firing), means


def _quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    q1, q2, q3 = (float(q) for q in np.percentile(values, [25, 50, 75]))
    return q1, q2, q3


def _delphi(evaluations: Sequence[Evaluation], seed: int) -> dict[str, DelphiMean]:
    scored = [e.delphi for e in evaluations if e.delphi is not None]
    means = {}
    for method in METHODS:
        found = [d.of(method) for d in scored]
        pairs = [
            (d, f)
            for d, f in zip(scored, found, strict=True)
            if f is not None and f.detection.balanced_accuracy is not None
        ]
        if not pairs or None in found:  # no partial means
            continue
        sized = [(d.decile_sizes, f.detection.decile_hits) for d, f in pairs]
        tprs = [
            [hits[i] / sizes[i] for sizes, hits in sized if i < len(sizes) and sizes[i]]
            for i in range(max(len(sizes) for sizes, _ in sized))
        ]
        detection = [f.detection.balanced_accuracy or 0.0 for _, f in pairs]
        fuzzing = [f.fuzzing.balanced_accuracy or 0.0 for _, f in pairs]
        means[method] = DelphiMean(
            n_units=len(pairs),
            detection=bootstrap_interval(detection, seed),
            fuzzing=bootstrap_interval(fuzzing, seed),
            deciles=[_mean(rates) if rates else None for rates in tprs],
            non_activating=_mean([f.detection.true_negative_rate or 0.0 for _, f in pairs]),
            detection_quartiles=_quartiles(detection),
            fuzzing_quartiles=_quartiles(fuzzing),
        )
    return means


def layer_rows(graphs: Iterable[Evaluated], seed: int = 0) -> list[LayerRow]:
    """The per-layer quality table (see the module docstring)."""
    by_layer: dict[int, list[Evaluation | None]] = defaultdict(list)
    for graph in graphs:
        by_layer[graph.layer].append(graph.evaluation)
    rows = []
    for layer in sorted(by_layer):
        members = by_layer[layer]
        evaluated = [e for e in members if e is not None]
        scored = [e for e in evaluated if e.n_test_firing > 0]
        ood_n, ood_firing, ood_means = _ood(evaluated)
        rows.append(
            LayerRow(
                layer=layer,
                n_neurons=len(members),
                n_scored=len(scored),
                n_no_firing=len(members) - len(scored),
                methods={m: _method_scores(scored, m, seed) for m in METHODS if _has(evaluated, m)},
                correlation=_correlation(evaluated, seed),
                ood_n_neurons=ood_n,
                ood_n_scored=ood_firing,
                ood=ood_means,
                delphi=_delphi(evaluated, seed),
            )
        )
    return rows
