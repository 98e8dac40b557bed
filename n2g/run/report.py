"""`n2g report`: the paper's Table 1 and more, computed from graph files.

Per layer: mean precision/recall/F1 of N2G, the token-lookup baseline and the 5-gram
baseline (F1 computed per neuron, then averaged, as the paper's footnote 3 says), in
distribution and out of distribution; the share of neurons with no firing test token
(excluded from the means, and reported rather than silently dropped); graph sizes; and,
when a database was searched, how many similar pairs and groups were found.

Averaging rule: only neurons with at least one firing test token enter the per-layer
means. Among those, an undefined precision (the method predicted no firing token) counts
as 0, as scikit-learn's `zero_division=0` does: a method is not rewarded for silence.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from n2g.graph.file import NeuronGraph, NodeKind, OutOfDistribution, Scores

METHODS = ("n2g", "token_lookup", "ngram")
METHOD_TITLES = {"n2g": "N2G", "token_lookup": "Token lookup", "ngram": "5-gram lookup"}


class MeanScores(BaseModel):
    precision: float
    recall: float
    f1: float


class OODMean(BaseModel):
    false_positive_rate: float = Field(description="mean over all neurons with OOD data")
    f1: float | None = Field(None, description="mean over neurons that fire there")


class LayerRow(BaseModel):
    layer: int
    n_neurons: int = Field(description="neurons with a graph in this layer")
    n_scored: int = Field(description="neurons with ≥ 1 firing test token (enter the means)")
    n_no_firing: int = Field(description="neurons with no firing test token")
    methods: dict[str, MeanScores]
    ood_n_neurons: int = 0
    ood_n_scored: int = Field(0, description="neurons that truly fire on the OOD windows")
    ood: dict[str, OODMean] = Field(
        default_factory=dict, description="per method: mean false-positive rate and F1"
    )


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
    similar_pairs: int | None = None
    subset_pairs: int | None = None
    groups: int | None = None
    largest_group: int | None = None


def _score_triplet(scores: Scores) -> tuple[float, float, float]:
    return (scores.precision or 0.0, scores.recall or 0.0, scores.f1 or 0.0)


def _ood_method(ood: OutOfDistribution, method: str) -> tuple[float, float] | None:
    """(false-positive rate, F1 or 0) of one method on a neuron's OOD windows."""
    if method == "n2g":
        return ood.false_positive_rate, ood.scores.f1 or 0.0
    baseline = getattr(ood, method)
    return None if baseline is None else (baseline.false_positive_rate, baseline.scores.f1 or 0.0)


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def layer_rows(graphs: Iterable[NeuronGraph]) -> list[LayerRow]:
    """The per-layer quality table (Table 1 of the paper, plus OOD and no-firing counts)."""
    by_layer: dict[int, list[NeuronGraph]] = defaultdict(list)
    for graph in graphs:
        by_layer[graph.layer].append(graph)
    rows = []
    for layer in sorted(by_layer):
        members = by_layer[layer]
        scored = [g for g in members if g.evaluation is not None and g.evaluation.n_test_firing > 0]
        methods = {}
        for method in METHODS:
            triplets = [_score_triplet(getattr(g.evaluation, method)) for g in scored]
            methods[method] = MeanScores(
                precision=_mean([t[0] for t in triplets]),
                recall=_mean([t[1] for t in triplets]),
                f1=_mean([t[2] for t in triplets]),
            )
        ood = [
            g.evaluation.out_of_distribution
            for g in members
            if g.evaluation is not None and g.evaluation.out_of_distribution is not None
        ]
        ood_scored = [o for o in ood if o.n_true_firing > 0]
        ood_means = {}
        for method in METHODS:
            maybe_rated = [_ood_method(o, method) for o in ood]
            rated = [r for r in maybe_rated if r is not None]
            if ood and len(rated) == len(maybe_rated):
                firing = [r for o in ood_scored if (r := _ood_method(o, method)) is not None]
                ood_means[method] = OODMean(
                    false_positive_rate=_mean([r[0] for r in rated]),
                    f1=_mean([r[1] for r in firing]) if firing else None,
                )
        rows.append(
            LayerRow(
                layer=layer,
                n_neurons=len(members),
                n_scored=len(scored),
                n_no_firing=len(members) - len(scored),
                methods=methods,
                ood_n_neurons=len(ood),
                ood_n_scored=len(ood_scored),
                ood=ood_means,
            )
        )
    return rows


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


def build_report(graphs: list[NeuronGraph], **search_counts: int | None) -> Report:
    """Everything `n2g report` prints, from the graphs (+ optional database counts)."""
    models = sorted({g.model for g in graphs})
    return Report(
        model=", ".join(models) or "(none)",
        layers=layer_rows(graphs),
        sizes=graph_sizes(graphs),
        **search_counts,
    )


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _pct(value: float | None) -> str:
    """Rates that are small by nature (false positives among thousands of tokens)."""
    return "–" if value is None else f"{value:.2%}"


def to_markdown(report: Report) -> str:
    """The report as Markdown: Table 1 layout, then OOD, sizes and search counts."""
    head = (
        "| Layer | "
        + " | ".join(
            f"{METHOD_TITLES[m]} P | {METHOD_TITLES[m]} R | {METHOD_TITLES[m]} F1" for m in METHODS
        )
        + " | scored / neurons |"
    )
    rule = "|---|" + "---|" * (3 * len(METHODS)) + "---|"
    lines = [
        f"## Neuron graph quality: {report.model}",
        "",
        "In distribution (held-out top-activating examples; firing = normalised "
        "activation ≥ 0.5; F1 per neuron, then the mean):",
        "",
        head,
        rule,
    ]
    for row in report.layers:
        cells = []
        for method in METHODS:
            s = row.methods[method]
            cells += [_fmt(s.precision), _fmt(s.recall), _fmt(s.f1)]
        lines.append(
            f"| {row.layer} | " + " | ".join(cells) + f" | {row.n_scored} / {row.n_neurons} |"
        )
    no_firing = sum(r.n_no_firing for r in report.layers)
    total = sum(r.n_neurons for r in report.layers)
    share = no_firing / total if total else 0.0
    lines += [
        "",
        f"Neurons with no firing test token (excluded from the means): "
        f"{no_firing} of {total} ({share:.1%}).",
        "",
    ]
    if any(r.ood_n_neurons for r in report.layers):
        shown = [m for m in METHODS if any(m in r.ood for r in report.layers)]
        lines += [
            "Out of distribution (random windows of a different corpus; false-positive rate "
            "over all neurons, F1 over the neurons that truly fire there):",
            "",
            "| Layer | "
            + " | ".join(f"{METHOD_TITLES[m]} FPR | {METHOD_TITLES[m]} F1" for m in shown)
            + " | firing / neurons |",
            "|---|" + "---|" * (2 * len(shown)) + "---|",
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
        lines.append("")
    sizes = report.sizes
    lines += [
        "Graph sizes:",
        "",
        f"- graphs: {sizes.n_graphs} ({sizes.empty_graphs} empty)",
        f"- nodes per graph: mean {sizes.nodes_mean:.1f}, median {sizes.nodes_median:.0f}, "
        f"max {sizes.nodes_max}",
        f"- activating tokens per graph: mean {sizes.activating_mean:.1f}; context tokens: "
        f"mean {sizes.context_mean:.1f}; deepest path: {sizes.depth_max}",
        "",
    ]
    if report.similar_pairs is not None:
        lines += [
            "Search structure:",
            "",
            f"- similar pairs (both overlaps ≥ threshold): {report.similar_pairs}",
            f"- subset pairs: {report.subset_pairs if report.subset_pairs is not None else '–'}",
            f"- neuron groups: {report.groups if report.groups is not None else '–'}"
            + (f" (largest: {report.largest_group})" if report.largest_group else ""),
            "",
        ]
    return "\n".join(lines)


def write_plot(report: Report, path: Path) -> None:
    """A PNG bar chart of mean F1 per layer for N2G and the two baselines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = [r.layer for r in report.layers]
    width = 0.8 / len(METHODS)
    fig, ax = plt.subplots(figsize=(6.5, 3.6), dpi=120)
    for i, method in enumerate(METHODS):
        xs = [x + (i - 1) * width for x in range(len(layers))]
        ax.bar(
            xs, [r.methods[method].f1 for r in report.layers], width, label=METHOD_TITLES[method]
        )
    ax.set_xticks(range(len(layers)), [f"layer {layer}" for layer in layers])
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean F1 (firing tokens)")
    ax.set_title(f"Neuron graph quality: {report.model}")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
