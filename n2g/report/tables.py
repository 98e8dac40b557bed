"""`n2g report`: the paper's Table 1 and more, computed from graph files.

Per layer (numbers from `n2g.graph.quality`, which says how each is averaged): mean
precision/recall/F1 of N2G and of every baseline (the scoring methods of n2g.scoring: a
column each, for the methods the graphs were scored with) with 95% bootstrap intervals of
F1; the correlation score of the field, with the share of neurons
at r >= 0.8; the out-of-distribution check; delphi's detection and fuzzing (n2g.builder.delphi)
with intervals, and detection per activation decile; the share of neurons with no firing
test token; graph sizes; and, when a database was searched, how many similar pairs and
groups exist. With the command that makes the tables (`Report.command`), the report says it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel

from n2g.files import save_figure
from n2g.graph.model import NeuronGraph, NodeKind
from n2g.graph.quality import METHOD_TITLES, METHODS, DelphiMean, Interval, LayerRow, layer_rows


class GraphSizes(BaseModel):
    n_graphs: int
    nodes_mean: float
    nodes_median: float
    nodes_max: int
    activating_mean: float
    context_mean: float
    depth_max: int
    empty_graphs: int


class Report(BaseModel):
    model: str
    layers: list[LayerRow]
    sizes: GraphSizes
    command: str | None = None  # the command that makes these tables from the graph files
    similar_pairs: int | None = None
    subset_pairs: int | None = None
    groups: int | None = None
    largest_group: int | None = None


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def graph_sizes(graphs: Iterable[NeuronGraph]) -> GraphSizes:
    """Node counts, activating/context token counts and depth over all graphs."""
    nodes, activating, context, depths, empty = [], [], [], [0], 0
    for graph in graphs:
        nodes.append(len(graph.nodes))
        activating.append(sum(n.kind == NodeKind.ACTIVATING for n in graph.nodes))
        context.append(sum(n.kind == NodeKind.CONTEXT for n in graph.nodes))
        depths.extend(n.depth for n in graph.nodes)
        empty += not graph.nodes
    return GraphSizes(
        n_graphs=len(nodes),
        nodes_mean=_mean(nodes),
        nodes_median=float(statistics.median(nodes)) if nodes else 0.0,
        nodes_max=max(nodes, default=0),
        activating_mean=_mean(activating),
        context_mean=_mean(context),
        depth_max=max(depths),
        empty_graphs=empty,
    )


def build_report(
    graphs: list[NeuronGraph], command: str | None = None, **search_counts: int | None
) -> Report:
    """Everything `n2g report` prints, from the graphs (+ optional database counts), and
    the `command` that makes its tables, if given."""
    models = sorted({g.model for g in graphs})
    return Report(
        model=", ".join(models) or "(none)",
        layers=layer_rows(graphs),
        sizes=graph_sizes(graphs),
        command=command,
        **search_counts,
    )


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _pct(value: float | None) -> str:
    """Rates that are small by nature (false positives among thousands of tokens)."""
    return "–" if value is None else f"{value:.2%}"


def shown_methods(report: Report) -> list[str]:
    """The methods with scores in some layer, in table order."""
    return [m for m in METHODS if any(m in row.methods for row in report.layers)]


def to_markdown(report: Report) -> str:
    """The report as Markdown: Table 1 layout, then correlation, OOD, sizes and search."""
    return "\n".join(
        [
            *_quality_lines(report),
            *_verdict_lines(report),
            *_correlation_lines(report),
            *_ood_lines(report),
            *_delphi_lines(report),
            *_size_lines(report),
            *_search_lines(report),
        ]
    )


def _table_head(methods: Sequence[str], columns: Sequence[str], last: str) -> list[str]:
    """A per-layer table's header and rule: `columns` for each method, then `last`."""
    cells = [f"{METHOD_TITLES[m]} {column}" for m in methods for column in columns]
    return [
        "| Layer | " + " | ".join(cells) + f" | {last} |",
        "|---|" + "---|" * len(cells) + "---|",
    ]


def _quality_lines(report: Report) -> list[str]:
    """Table 1: precision, recall and F1 per method and layer, the best F1 in bold."""
    shown = shown_methods(report)
    # Bold every method at the layer's best F1 as printed (a tie bolds both: no winner).
    best = {
        row.layer: {
            m
            for m, s in row.methods.items()
            if _fmt(s.f1) == max(_fmt(x.f1) for x in row.methods.values())
        }
        for row in report.layers
    }
    made = [f"Tables made by `{report.command}`.", ""] if report.command else []
    lines = [
        f"## Neuron graph quality: {report.model}",
        "",
        *made,
        "In distribution (held-out top-activating examples; firing = normalised "
        "activation ≥ 0.5; F1 per neuron, then the mean, with its 95% bootstrap interval; "
        "the best F1 of each layer in bold, both when tied):",
        "",
        *_table_head(shown, ("P", "R", "F1"), "scored / neurons"),
    ]
    for row in report.layers:
        cells = []
        for method in shown:
            s = row.methods.get(method)
            if s is None:  # the layer's graphs were not all scored with this method
                cells += ["–", "–", "–"]
                continue
            f1 = f"{_fmt(s.f1)} [{_fmt(s.f1_interval.low)}, {_fmt(s.f1_interval.high)}]"
            cells += [
                _fmt(s.precision),
                _fmt(s.recall),
                f"**{f1}**" if method in best[row.layer] else f1,
            ]
        lines.append(
            f"| {row.layer} | " + " | ".join(cells) + f" | {row.n_scored} / {row.n_neurons} |"
        )
    return lines


def _verdict_lines(report: Report) -> list[str]:
    """Where the paper's claim does not hold, said plainly; the neurons left out."""
    no_firing = sum(r.n_no_firing for r in report.layers)
    total = sum(r.n_neurons for r in report.layers)
    share = no_firing / total if total else 0.0
    lines = [""]
    for row in report.layers:
        n2g = _fmt(row.methods["n2g"].f1)
        for method in [m for m in row.methods if m != "n2g"]:
            other = _fmt(row.methods[method].f1)
            if n2g <= other:
                verb = "ties with" if n2g == other else "loses to"
                lines.append(
                    f"Layer {row.layer}: N2G {verb} {METHOD_TITLES[method].lower()} "
                    f"on F1 ({n2g} vs {other})."
                )
    return lines + [
        "",
        f"Neurons with no firing test token (excluded from the means): "
        f"{no_firing} of {total} ({share:.1%}).",
        "",
    ]


def _correlation_lines(report: Report) -> list[str]:
    """The correlation score per method and layer (none when it was not measured)."""
    if not any(r.correlation for r in report.layers):
        return []
    correlated = [m for m in METHODS if any(m in r.correlation for r in report.layers)]
    lines = [
        "Correlation score (OpenAI's explain/simulate/score yardstick: Pearson r of "
        "predicted vs true activations pooled over the held-out top windows and random "
        "windows of the corpus; mean over neurons with its 95% bootstrap interval, and "
        "the share of neurons with r ≥ 0.8):",
        "",
        *_table_head(correlated, ("r", "r ≥ 0.8"), "neurons"),
    ]
    for r in report.layers:
        if not r.correlation:
            continue
        cells = []
        for m in correlated:
            c = r.correlation.get(m)
            if c is None:
                cells += ["–", "–"]
                continue
            cells += [
                f"{_fmt(c.mean.mean)} [{_fmt(c.mean.low)}, {_fmt(c.mean.high)}]",
                f"{c.share_well_correlated:.1%}",
            ]
        n = r.correlation["n2g"].n_neurons
        lines.append(f"| {r.layer} | " + " | ".join(cells) + f" | {n} |")
    return lines + [""]


def _ood_lines(report: Report) -> list[str]:
    """False positives and F1 on another corpus (none when it was not measured)."""
    if not any(r.ood_n_neurons for r in report.layers):
        return []
    shown = [m for m in METHODS if any(m in r.ood for r in report.layers)]
    lines = [
        "Out of distribution (random windows of a different corpus; false-positive rate "
        "over all neurons, F1 over the neurons that truly fire there):",
        "",
        *_table_head(shown, ("FPR", "F1"), "firing / neurons"),
    ]
    for r in report.layers:
        cells = []
        for m in shown:
            mean = r.ood.get(m)
            cells += [_pct(mean.false_positive_rate if mean else None),
                      _fmt(mean.f1 if mean else None)]  # fmt: skip
        lines.append(
            f"| {r.layer} | " + " | ".join(cells) + f" | {r.ood_n_scored} / {r.ood_n_neurons} |"
        )
    return lines + [""]


def _interval(mean: Interval) -> str:
    return f"{_fmt(mean.mean)} [{_fmt(mean.low)}, {_fmt(mean.high)}]"


def _quartile_cell(quartiles: tuple[float, float, float]) -> str:
    q1, median, q3 = quartiles
    return f"{median:.2f} ({q1:.2f}–{q3:.2f})"


def _delphi_table(
    report: Report, shown: Sequence[str], cells: Callable[[DelphiMean], list[str]]
) -> list[str]:
    """A per-layer table of both delphi scores of every method in `shown`, as `cells`."""
    lines = _table_head(shown, ("detection", "fuzzing"), "units")
    for r in report.layers:
        if r.delphi:
            row = [c for m in shown for c in (cells(r.delphi[m]) if m in r.delphi else ["–"] * 2)]
            n_units = next(iter(r.delphi.values())).n_units
            lines.append(f"| {r.layer} | " + " | ".join(row) + f" | {n_units} |")
    return lines


def _delphi_lines(report: Report) -> list[str]:
    """delphi's detection and fuzzing per method and layer (means, then medians), then
    detection per decile."""
    shown = [m for m in METHODS if any(m in r.delphi for r in report.layers)]
    if not shown:
        return []
    n_deciles = max(len(mean.deciles) for r in report.layers for mean in r.delphi.values())
    lines = [
        "delphi's protocol, LLM-free (EleutherAI's detection and fuzzing with the graph or "
        "a baseline as the scorer instead of an LLM reading an explanation: balanced "
        "accuracy (TPR + TNR) / 2 over 32-token held-out contexts, activating ones from the "
        "deciles of each unit's held-out activating windows, non-activating ones from random "
        "windows; chance is 0.5; the mean over the units with both kinds of context, with "
        "its 95% bootstrap interval; definitions in docs/method.md):",
        "",
        *_delphi_table(report, shown, lambda m: [_interval(m.detection), _interval(m.fuzzing)]),
        "",
        "The same as medians with their quartiles, the summary delphi's paper gives:",
        "",
        *_delphi_table(
            report,
            shown,
            lambda m: [_quartile_cell(m.detection_quartiles), _quartile_cell(m.fuzzing_quartiles)],
        ),
        "",
        "Detection per decile of the activating contexts (the share judged activating, mean "
        "over the units with contexts in that decile; 1 the weakest) and on the "
        "non-activating contexts (the share judged non-activating):",
        "",
        "| Layer | Method | " + " | ".join(str(i + 1) for i in range(n_deciles))
        + " | non-activating |",
        "|---|---|" + "---|" * (n_deciles + 1),
    ]  # fmt: skip
    for r in report.layers:
        for m, mean in r.delphi.items():
            cells = [_fmt(x) for x in mean.deciles] + [_fmt(mean.non_activating)]
            lines.append(f"| {r.layer} | {METHOD_TITLES[m]} | " + " | ".join(cells) + " |")
    return lines + [""]


def _size_lines(report: Report) -> list[str]:
    sizes = report.sizes
    return [
        "Graph sizes:",
        "",
        f"- graphs: {sizes.n_graphs} ({sizes.empty_graphs} empty)",
        f"- nodes per graph: mean {sizes.nodes_mean:.1f}, median {sizes.nodes_median:.0f}, "
        f"max {sizes.nodes_max}",
        f"- activating tokens per graph: mean {sizes.activating_mean:.1f}; context tokens: "
        f"mean {sizes.context_mean:.1f}; deepest path: {sizes.depth_max}",
        "",
    ]


def _search_lines(report: Report) -> list[str]:
    if report.similar_pairs is None:
        return []
    return [
        "Search structure:",
        "",
        f"- similar pairs (both overlaps ≥ threshold): {report.similar_pairs}",
        f"- subset pairs: {report.subset_pairs if report.subset_pairs is not None else '–'}",
        f"- neuron groups: {report.groups if report.groups is not None else '–'}"
        + (f" (largest: {report.largest_group})" if report.largest_group else ""),
        "",
    ]


def write_plot(report: Report, path: Path) -> None:
    """A PNG bar chart of mean F1 per layer for N2G and the baselines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = [r.layer for r in report.layers]
    shown = shown_methods(report)
    width = 0.8 / len(shown)
    fig, ax = plt.subplots(figsize=(6.5, 3.6), dpi=120)
    for i, method in enumerate(shown):
        rows = enumerate(report.layers)
        placed = [(x, r.methods[method]) for x, r in rows if method in r.methods]
        xs = [x + (i - (len(shown) - 1) / 2) * width for x, _ in placed]
        means = [m for _, m in placed]
        errors = [
            [m.f1 - m.f1_interval.low for m in means],
            [m.f1_interval.high - m.f1 for m in means],
        ]
        ax.bar(
            xs,
            [m.f1 for m in means],
            width,
            yerr=errors,
            capsize=2,
            label=METHOD_TITLES[method],
        )
    ax.set_xticks(range(len(layers)), [f"layer {layer}" for layer in layers])
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean F1 (firing tokens), 95% CI")
    ax.set_title(f"Neuron graph quality: {report.model}")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_figure(fig, path)  # whole, never through a symlink at `path`
    plt.close(fig)
