"""Neurons against SAE and transcoder latents of the same layer: how well N2G captures each.

Researchers now explain SAE latents more than raw neurons, on the premise that latents
are more monosemantic. N2G scores both without any LLM, with the same protocol, so the
premise can be checked on the units themselves: per kind of unit of one layer, the
distribution of N2G's F1 on held-out top windows and of the correlation score, with
means (95% bootstrap intervals), quartiles, and how many are captured well (F1 ≥ 0.8,
and r ≥ 0.8), next to the token-lookup baseline's F1 for scale, and N2G's detection and
fuzzing balanced accuracy (delphi's protocol, n2g.builder.delphi), the scores delphi
publishes for LLM explanations of SAE latents and neurons. A transcoder's latents
replace the MLP's neurons (they read its input and predict its output), so they test the
premise most directly: the same computation, cut into other units.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from n2g.files import save_figure
from n2g.graph.model import NeuronGraph
from n2g.graph.quality import Interval, bootstrap_interval

WELL_CAPTURED = 0.8


class UnitKindRow(BaseModel):
    """One kind of unit (a layer's MLP neurons, or one SAE's latents) and its scores."""

    kind: str = Field(description="\"MLP neurons\", or the SAE's or transcoder's name")
    layer: int
    n_units: int
    n_scored: int = Field(description="units with ≥ 1 firing test token (enter F1 figures)")
    f1: Interval
    f1_quartiles: tuple[float, float, float]
    n_f1_well: int = Field(description=f"scored units with F1 ≥ {WELL_CAPTURED}")
    lookup_f1: Interval
    correlation: Interval | None = None
    n_r_well: int | None = Field(None, description=f"units with r ≥ {WELL_CAPTURED}")
    n_correlated: int = 0
    detection: Interval | None = None
    fuzzing: Interval | None = None
    detection_median: float | None = Field(None, description="delphi publishes medians")
    fuzzing_median: float | None = None


def unit_kind_row(kind: str, layer: int, graphs: Sequence[NeuronGraph]) -> UnitKindRow:
    evaluations = [g.evaluation for g in graphs if g.evaluation is not None]
    scored = [e for e in evaluations if e.n_test_firing > 0 and e.n2g.f1 is not None]
    f1 = [float(e.n2g.f1) for e in scored if e.n2g.f1 is not None]
    lookup = [s.f1 or 0.0 for e in scored if (s := e.scores("token_lookup")) is not None]
    r = [e.correlation.n2g for e in evaluations if e.correlation and e.correlation.n2g is not None]
    quartiles = np.percentile(f1, [25, 50, 75]).tolist() if f1 else [0.0, 0.0, 0.0]
    judged = [e.delphi.n2g for e in evaluations if e.delphi is not None]
    detection = [v for j in judged if (v := j.detection.balanced_accuracy) is not None]
    fuzzing = [v for j in judged if (v := j.fuzzing.balanced_accuracy) is not None]
    return UnitKindRow(
        kind=kind,
        layer=layer,
        n_units=len(graphs),
        n_scored=len(scored),
        f1=bootstrap_interval(f1),
        f1_quartiles=(quartiles[0], quartiles[1], quartiles[2]),
        n_f1_well=sum(v >= WELL_CAPTURED for v in f1),
        lookup_f1=bootstrap_interval(lookup),
        correlation=bootstrap_interval(r) if r else None,
        n_r_well=sum(v >= WELL_CAPTURED for v in r) if r else None,
        n_correlated=len(r),
        detection=_mean(detection),
        fuzzing=_mean(fuzzing),
        detection_median=float(np.median(detection)) if detection else None,
        fuzzing_median=float(np.median(fuzzing)) if fuzzing else None,
    )


def _mean(values: Sequence[float]) -> Interval | None:
    """The mean with its interval of a kind's defined balanced accuracies (None: none)."""
    return bootstrap_interval(values) if values else None


def _judged(mean: Interval | None, median: float | None) -> str:
    return "–" if mean is None or median is None else f"{_cell(mean)}; median {median:.2f}"


def compare_units(graphs: Sequence[NeuronGraph]) -> list[UnitKindRow]:
    """A row per SAE or transcoder among `graphs` (SAEs first), after the row of its layer's
    neurons (when present)."""
    rows: list[UnitKindRow] = []
    for unit_set in sorted({g.unit_set for g in graphs if g.unit_set is not None}):
        latents = [g for g in graphs if g.unit_set == unit_set]
        layer = latents[0].layer
        neurons = [g for g in graphs if g.unit_set is None and g.layer == layer]
        if neurons and not any(r.kind == "MLP neurons" and r.layer == layer for r in rows):
            rows.append(unit_kind_row("MLP neurons", layer, neurons))
        rows.append(unit_kind_row(unit_set, layer, latents))
    return rows


def _cell(interval: Interval) -> str:
    return f"{interval.mean:.2f} [{interval.low:.2f}, {interval.high:.2f}]"


def _share(count: int | None, total: int) -> str:
    if count is None or total == 0:
        return "–"
    return f"{count:,} ({count / total:.1%})"


def title(rows: Sequence[UnitKindRow]) -> str:
    """The section's (and plot's) title, naming the kinds of latents among `rows`."""
    kinds = [
        word
        for prefix, word in (("sae:", "SAE latents"), ("tc:", "transcoder latents"))
        if any(row.kind.startswith(prefix) for row in rows)
    ]
    if len(kinds) == 2:
        return f"Neurons, {kinds[0]} and {kinds[1]}"
    return f"Neurons and {kinds[0] if kinds else 'latents'}"


def comparison_markdown(rows: Sequence[UnitKindRow], intro: Sequence[str] = ()) -> list[str]:
    """The report's section (empty when there are no latents); `intro`: lines after the
    heading (what each unit set is)."""
    if not rows:
        return []
    lines = [
        f"## {title(rows)}",
        "",
        *intro,
        "The same builder and protocol on both kinds of unit of a layer (held-out top windows; "
        f"F1 over units with a firing test token; well captured: ≥ {WELL_CAPTURED}; "
        "detection and fuzzing: delphi's balanced accuracies over the units that have both "
        "kinds of held-out context, the mean and, as delphi reports them, the median).",
        "",
        "| layer | units | n | N2G F1 | F1 quartiles | F1 ≥ 0.8 | token lookup F1 "
        "| N2G r | r ≥ 0.8 | N2G detection | N2G fuzzing |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        q1, q2, q3 = row.f1_quartiles
        lines.append(
            f"| {row.layer} | {row.kind} | {row.n_scored:,}/{row.n_units:,} | {_cell(row.f1)} "
            f"| {q1:.2f} / {q2:.2f} / {q3:.2f} | {_share(row.n_f1_well, row.n_scored)} "
            f"| {_cell(row.lookup_f1)} "
            f"| {_cell(row.correlation) if row.correlation else '–'} "
            f"| {_share(row.n_r_well, row.n_correlated)} "
            f"| {_judged(row.detection, row.detection_median)} "
            f"| {_judged(row.fuzzing, row.fuzzing_median)} |"
        )
    return [*lines, "", "Plot: `units.png`.", ""]


def write_comparison_plot(
    graphs: Sequence[NeuronGraph], rows: Sequence[UnitKindRow], path: Path
) -> None:
    """Histograms of N2G F1 per kind of unit (share of the kind's scored units)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.6), dpi=120)
    bins = [i / 20 for i in range(21)]
    for row in rows:
        unit_set = None if row.kind == "MLP neurons" else row.kind
        values = [
            g.evaluation.n2g.f1
            for g in graphs
            if g.unit_set == unit_set
            and g.layer == row.layer
            and g.evaluation is not None
            and g.evaluation.n_test_firing > 0
            and g.evaluation.n2g.f1 is not None
        ]
        if values:
            weights = np.full(len(values), 1.0 / len(values))
            label = f"layer {row.layer} {row.kind} (mean {row.f1.mean:.2f})"
            ax.hist(values, bins=bins, weights=weights, histtype="step", linewidth=1.6, label=label)
    ax.axvline(WELL_CAPTURED, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("N2G F1 on held-out top windows")
    ax.set_ylabel("share of units")
    ax.set_title(title(rows))
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_figure(fig, path)  # whole, never through a symlink at `path`
    plt.close(fig)
