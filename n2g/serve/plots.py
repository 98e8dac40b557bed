"""The home page's bar plot of mean F1 per layer per method, laid out server-side.

One small SVG per model (and per SAE), grouped bars per layer: N2G beside the baselines
(every scoring method of n2g.scoring), the comparison the paper reports. Laid out here as
coordinates, like n2g.serve.draw, and written by a template, so no plotting library, no
JavaScript and no request-time process are needed. A layer without a defined mean shows no bar.
"""

from __future__ import annotations

from dataclasses import dataclass

from n2g.scoring import N2G, baseline_names, label
from n2g.serve.schemas import LayerQuality, MethodMeans
from n2g.serve.text import number

# N2G in red, then the baselines in table order, each the next colour of the palette.
BASELINE_COLOURS = ("#8a8a8a", "#285adc", "#2a9d5c", "#c07a12", "#8c3fb8", "#1a9bb0")
METHODS = (
    (N2G, label(N2G), "#dc2828"),
    *(
        (name, label(name).lower(), BASELINE_COLOURS[i % len(BASELINE_COLOURS)])
        for i, name in enumerate(baseline_names())
    ),
)
PLOT_HEIGHT = 120
BAR_WIDTH = 9
GROUP_GAP = 10
LEFT = 34  # room for the y axis labels
TOP = 24  # room for the legend
BOTTOM = 22  # room for the layer labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class LegendEntry:
    x: float
    y: float
    fill: str
    text: str


@dataclass(frozen=True)
class PlotFrame:
    """What every server-side plot has: its size, the plotting area inside it, its bars
    and the y axis' labels (the home page's F1 bars, the unit page's histogram)."""

    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    bars: list[Bar]
    y_ticks: list[Label]


@dataclass(frozen=True)
class BarPlot(PlotFrame):
    title: str
    x_labels: list[Label]
    legend: list[LegendEntry]


def _mean(means: MethodMeans, name: str) -> float | None:
    return means.get(name)


def f1_plot(title: str, rows: list[LayerQuality]) -> BarPlot:
    """Grouped bars of mean F1 (N2G and each baseline) for each layer in `rows`."""
    rows = sorted(rows, key=lambda r: r.layer)
    group_width = len(METHODS) * BAR_WIDTH + GROUP_GAP
    plot_right = LEFT + max(len(rows), 1) * group_width
    bottom = TOP + PLOT_HEIGHT
    bars: list[Bar] = []
    x_labels: list[Label] = []
    for i, row in enumerate(rows):
        left = LEFT + GROUP_GAP / 2 + i * group_width
        x_labels.append(Label(left + len(METHODS) * BAR_WIDTH / 2, bottom + 14, str(row.layer)))
        for j, (name, shown, fill) in enumerate(METHODS):
            value = _mean(row.f1, name)
            if value is None:
                continue
            height = max(0.0, min(value, 1.0)) * PLOT_HEIGHT
            bars.append(
                Bar(
                    x=left + j * BAR_WIDTH,
                    y=bottom - height,
                    width=BAR_WIDTH - 1,
                    height=height,
                    fill=fill,
                    title=f"layer {row.layer} \u00b7 {shown} mean F1 {number(value)} "
                    f"over {row.scored} scored units",
                )
            )
    y_ticks = [Label(LEFT - 4, bottom - t * PLOT_HEIGHT + 4, f"{t:.1f}") for t in (0.0, 0.5, 1.0)]
    legend = [
        LegendEntry(LEFT + k * 96, 12, fill, shown) for k, (_, shown, fill) in enumerate(METHODS)
    ]
    return BarPlot(
        title=title,
        width=max(plot_right, LEFT + 96 * len(METHODS)) + 8,
        height=bottom + BOTTOM,
        plot_left=LEFT,
        plot_right=plot_right,
        plot_top=TOP,
        plot_bottom=bottom,
        bars=bars,
        x_labels=x_labels,
        y_ticks=y_ticks,
        legend=legend,
    )
