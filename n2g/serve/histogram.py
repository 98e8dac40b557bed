"""The unit page's activation histogram: every recorded position of the unit, laid out.

The graph carries the recorder's exact counts in quarter-octave bins
(n2g.graph.histogram), so the plot draws them as they are, on a log activation axis (an
activation spans orders of magnitude below a_max) with log counts (a unit is near 0 on
most positions and fires on few). Nothing is re-binned, so nothing is estimated. The
16 octaves below the top bin are drawn; positions under them, at 0 and negative are
counted in the caption. A line marks the graph's firing threshold (a fraction of a_max),
so the plot shows how rare the positions the graph explains are.

Laid out here as coordinates, like n2g.serve.plots, and written by `_histogram.html`: no
plotting library, no JavaScript.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from n2g.graph.histogram import ActivationHistogram, bin_edge
from n2g.graph.model import NeuronGraph
from n2g.serve.plots import Bar, Label, PlotFrame
from n2g.serve.text import number

SHOWN_OCTAVES = 16
OCTAVE_WIDTH = 26.0  # pixels an octave
PLOT_HEIGHT = 110
LEFT = 44  # room for the count labels
TOP = 10
BOTTOM = 34  # room for the activation labels and the axis title
FIRING, QUIET = "#dc2828", "#8a8a8a"


@dataclass(frozen=True)
class HistogramPlot(PlotFrame):
    x_ticks: list[Label]
    threshold_x: float | None  # the firing threshold's line (None: off the axis)
    caption: str


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.3g}%" if whole else "0%"


def _caption(hist: ActivationHistogram, hidden: int, threshold: float) -> str:
    parts = [
        f"{hist.positions:,} positions: positive on {hist.positive:,} "
        f"({_share(hist.positive, hist.positions)})",
        f"0 on {hist.zero:,}",
        f"negative on {hist.negative:,}",
    ]
    if hidden:
        parts.append(f"{hidden:,} positive under the axis")
    parts.append(f"red: bins at or above the firing threshold {number(threshold)} x a_max")
    return "; ".join(parts)


def histogram_plot(graph: NeuronGraph) -> HistogramPlot | None:
    """The plot of `graph`'s histogram; None when the graph has none or is silent."""
    hist = graph.activation_histogram
    if hist is None or not hist.counts:
        return None
    threshold = graph.evaluation.firing_threshold if graph.evaluation is not None else 0.5
    last = hist.first_bin + len(hist.counts)  # one past the top bin
    first = max(hist.first_bin, last - SHOWN_OCTAVES * 4)
    shown = hist.counts[first - hist.first_bin :]
    hidden = hist.below + sum(hist.counts[: first - hist.first_bin])
    low, high = math.log2(bin_edge(first)), math.log2(bin_edge(last))
    bottom = TOP + PLOT_HEIGHT
    top_count = max(shown)

    def x_of(value: float) -> float:
        return LEFT + (math.log2(value) - low) * OCTAVE_WIDTH

    def y_of(count: int) -> float:
        return bottom - math.log10(1 + count) / math.log10(1 + top_count) * PLOT_HEIGHT

    firing_edge = threshold * graph.a_max
    bars = []
    for i, count in enumerate(shown):
        if count == 0:
            continue
        lo, hi = bin_edge(first + i), bin_edge(first + i + 1)
        bars.append(
            Bar(
                x=x_of(lo),
                y=y_of(count),
                width=max(x_of(hi) - x_of(lo) - 0.5, 0.5),
                height=bottom - y_of(count),
                fill=FIRING if firing_edge > 0 and lo >= firing_edge else QUIET,
                title=f"{count:,} positions in [{number(lo, 4)}, {number(hi, 4)})",
            )
        )
    decades = range(math.ceil(low * math.log10(2)), math.floor(high * math.log10(2)) + 1)
    x_ticks = [Label(x_of(10.0**p), bottom + 13, f"{10.0**p:g}") for p in decades]
    y_ticks = [
        Label(LEFT - 4, y_of(10**p) + 4, f"{10**p:,}")
        for p in range(int(math.log10(top_count)) + 1)
    ]
    right = x_of(bin_edge(last))
    inside = firing_edge > 0 and low <= math.log2(firing_edge) <= high
    return HistogramPlot(
        width=right + 12,
        height=bottom + BOTTOM,
        plot_left=LEFT,
        plot_right=right,
        plot_top=TOP,
        plot_bottom=bottom,
        bars=bars,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        threshold_x=x_of(firing_edge) if inside else None,
        caption=_caption(hist, hidden, threshold),
    )
