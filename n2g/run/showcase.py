"""The last stage of `n2g run`: write the report and show a few real searches.

Writes `<out>/report/report.md` (quality table, OOD, sizes, search counts, the searches
below), `quality.png` and `neuron.svg` (the best-scoring neuron's graph), and prints them.
The report and its summary name the corpus by version and text hash
(n2g.record.provenance), so a difference from another report can be traced to its corpus
or ruled out.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from n2g.errors import N2GError
from n2g.files import write_text_atomic
from n2g.graph.file import read_graph_files
from n2g.graph.model import NeuronGraph, NodeKind
from n2g.report.coactivation import RelationCheck, coactivation_markdown
from n2g.report.groups import THRESHOLDS, groups_markdown, threshold_rows
from n2g.report.splits import split_counts, split_markdown
from n2g.report.tables import build_report, to_markdown, write_plot
from n2g.report.units import compare_units, comparison_markdown, write_comparison_plot
from n2g.run.circuits import circuits_markdown
from n2g.search.communities import CommunityConfig, community_groups, weighted_edges
from n2g.search.grouping import LevelSummary, level_summaries
from n2g.search.similarity import NeuronTokenSets

if TYPE_CHECKING:
    from n2g.models.base import NeuronModel
    from n2g.record.provenance import CorpusProvenance
    from n2g.run.config import RunConfig
    from n2g.sae.units import SAEUnits
    from n2g.search.api import NeuronSearch
    from n2g.search.grouping import SimilarityReport

SAMPLE_TEXT = (
    "The capital of France is Paris. Everyone except the reader knows that the function "
    "returns None when the list is empty."
)


SHOWCASE_F1_MARGIN = 0.1  # a showcase may score this much below the best F1


def _f1(graph: NeuronGraph) -> float:
    return graph.evaluation.n2g.f1 if graph.evaluation and graph.evaluation.n2g.f1 else 0.0


def best_graph(graphs: list[NeuronGraph]) -> NeuronGraph:
    """The showcase neuron: one a reader can understand at a glance. Among the units
    within SHOWCASE_F1_MARGIN of the best N2G F1 (and with some context to show), the one
    with the fewest activating tokens, then the higher F1, then the richer graph. The
    highest-F1 unit alone is often one that memorised a dozen unrelated tokens."""
    best = max(_f1(graph) for graph in graphs)
    close = [g for g in graphs if _f1(g) >= best - SHOWCASE_F1_MARGIN and g.activating_tokens()]
    with_context = [g for g in close if g.context_tokens()] or close or graphs

    def rank(graph: NeuronGraph) -> tuple[int, float, int, str]:
        return (-len(graph.activating_tokens()), _f1(graph), len(graph.nodes), graph.key)

    return max(with_context, key=rank)


def _context_below(graph: NeuronGraph, token: str) -> str | None:
    """The most important context token on a path below activating `token`, if any."""
    nodes, children = graph.node_by_id(), graph.children()
    stack = [n.id for n in graph.nodes if n.kind == NodeKind.ACTIVATING and n.token == token]
    best: tuple[float, str] | None = None
    while stack:
        node = nodes[stack.pop()]
        if node.kind == NodeKind.CONTEXT and node.token is not None:
            candidate = (node.importance or 0.0, node.token)
            best = max(best, candidate) if best else candidate
        stack.extend(children.get(node.id, []))
    return best[1] if best else None


def _searches(search: NeuronSearch, showcase: NeuronGraph, tokenizer: Any) -> list[str]:
    """A few real searches against the database, as Markdown lines."""
    lines = ["## Searches on the loaded graphs", ""]
    activating = sorted(showcase.activating_tokens().items(), key=lambda kv: -kv[1])
    context = sorted(showcase.context_tokens().items(), key=lambda kv: -kv[1])
    lines.append(
        f"Showcase neuron `{showcase.key}` (N2G F1 {_f1(showcase):.2f}): activates on "
        + ", ".join(repr(t) for t, _ in activating[:5])
        + ("; context " + ", ".join(repr(t) for t, _ in context[:5]) if context else "")
    )
    lines.append("")
    if activating:
        token = activating[0][0]
        hits = search.token_search(token, model=showcase.model, limit=5)
        lines.append(f"`n2g search {token!r}`: neurons that activate on it:")
        lines += [f"- {h.key}: activation {h.activation:.2f}" for h in hits]
        lines.append("")
        below = _context_below(showcase, token)
        if below:
            both = search.token_search(token, below, model=showcase.model, limit=5)
            lines.append(
                f"`n2g search {token!r} --context {below!r}`: "
                f"{len(both)} neuron(s): " + ", ".join(h.key for h in both)
            )
            lines.append("")
    like = search.like(showcase.key, limit=5, min_score=0.3)
    lines.append(
        f"`n2g like {showcase.key}` (score ≥ 0.3): "
        + (", ".join(f"{h.key} ({h.score:.2f})" for h in like) or "no neuron that close")
    )
    lines.append("")
    match = search.fires_on_text(showcase.model, SAMPLE_TEXT, tokenizer, limit=5)
    lines.append(f"`n2g like --text {SAMPLE_TEXT!r}`: neurons whose graphs fire on it:")
    for hit in match.neurons:
        peak = max(range(len(hit.activations)), key=hit.activations.__getitem__)
        lines.append(
            f"- {hit.key}: max predicted {hit.max_activation:.2f} on {match.tokens[peak]!r}"
        )
    lines.append("")
    return lines


def write_run_report(
    config: RunConfig,
    model: NeuronModel,
    search: NeuronSearch,
    similarity: SimilarityReport,
    say: Callable[[str], None],
    units: Sequence[SAEUnits] = (),
    corpus: CorpusProvenance | None = None,
    check: RelationCheck | None = None,
    circuits: dict[str, Any] | None = None,
) -> dict:
    """Write the report files of a run of `model` (loaded: its canonical name and its
    tokenizer are used, never the spec the user typed); return its summary numbers.
    With `units` (the run's SAE and transcoder), their latents' graphs are compared with
    the neurons of their layer (`units.png` and a section of report.md). `corpus`: what
    the records were made from, named in the report and the summary. `check`: the
    relations checked against the model (n2g.run.coactivation), a section when given;
    `circuits` likewise, the run's FEEDS edges (n2g.run.circuits)."""
    from n2g.graph.render import to_svg

    errors: list = []  # none: the ingest stage has stopped the run on a bad line
    graphs = list(read_graph_files([config.graph_file], errors=errors))
    graphs = [g for g in graphs if g.model == model.name and g.layer in (config.layers or [])]
    if not graphs:
        raise N2GError(f"no graphs in {config.graph_file} to report on")
    latents = list(read_graph_files([s.graph_file for s in config.unit_sets], errors=errors))
    # The run's own units only: the store may hold others of the model (earlier runs on
    # other corpora or layers), which the report must not count.
    run_keys = {g.key for g in graphs} | {g.key for g in latents}
    sets = [s for s in search.token_sets([model.name]) if s.key in run_keys]
    thresholds = threshold_rows(sets, model.name)
    every = [s for s in search.token_sets([model.name], 0.0) if s.key in run_keys]
    [every_level] = threshold_rows(every, model.name, THRESHOLDS[:1])
    [stored] = threshold_rows(sets, model.name, [similarity.threshold])
    levels, n_edges = community_levels(sets, model.name, config.communities)
    report = build_report(
        graphs,
        shlex.join(["n2g", "report", str(config.graph_file)]),
        similar_pairs=stored.similar_pairs,
        subset_pairs=stored.subset_pairs if config.similarity.subsets else None,
        groups=len(stored.groups),
        largest_group=stored.largest,
    )
    out = config.report_dir
    out.mkdir(parents=True, exist_ok=True)
    showcase = best_graph(graphs)
    try:
        write_text_atomic(out / "neuron.svg", to_svg(showcase))
        svg_line = f"Showcase neuron graph: `neuron.svg` ({showcase.key})."
    except N2GError as exc:  # no Graphviz: the report is still useful without the picture
        svg_line = f"(no SVG: {exc})"
    write_plot(report, out / "quality.png")
    comparison: list[str] = []
    unit_rows: list = []
    if units:
        unit_rows = compare_units(graphs + latents)
        lines = [line for one in units for line in _unit_set_line(one)]
        comparison = [*comparison_markdown(unit_rows, lines)]
        comparison += split_markdown(split_counts(graphs + latents))
        write_comparison_plot(graphs + latents, unit_rows, out / "units.png")
    markdown = "\n".join(
        [
            to_markdown(report),
            *corpus_lines(corpus),
            *comparison,
            *groups_markdown(sets, thresholds, every_level),
            *communities_markdown(levels, n_edges, config.communities),
            *(coactivation_markdown(check) if check is not None else []),
            *(circuits_markdown(circuits) if circuits is not None else []),
            svg_line,
            "",
            *_searches(search, showcase, model.tokenizer),
        ]
    )
    write_text_atomic(out / "report.md", markdown + "\n")
    say(markdown)
    counts = {
        f"{row.threshold:.1f}": {
            "similar_pairs": row.similar_pairs,
            "subset_pairs": row.subset_pairs,
            "groups": len(row.groups),
            "largest_group": row.largest,
        }
        for row in thresholds
    }
    return {
        "report": report.model_dump(),
        "corpus": corpus.model_dump() if corpus else None,
        "showcase": showcase.key,
        "similarity": counts,
        "communities": [row.model_dump() for row in levels],
        "coactivation": check.model_dump() if check is not None else None,
        "circuits": circuits,
        **({"units": [row.model_dump() for row in unit_rows]} if units else {}),
    }


def corpus_lines(corpus: CorpusProvenance | None) -> list[str]:
    """The report's paragraph naming its corpus exactly (none when unknown)."""
    if corpus is None:
        return []
    return [
        f"Corpus: {corpus.line()}.",
        "",
    ]


def _unit_set_line(units: SAEUnits) -> list[str]:
    """What the unit set reads (and predicts) and, when measured, how well."""
    quality = units.quality
    hooks = f"`{units.hook_name}`"
    if units.hook_name_out is not None:
        hooks = f"{hooks} -> `{units.hook_name_out}`"
    head = f"{units.kind} {units.name} on {hooks}: {units.n_units:,} latents"
    if quality is None:
        return [f"{head}.", ""]
    of = f" of `{units.hook_name_out}`" if units.hook_name_out is not None else ""
    return [
        f"{head}; on {quality.n_tokens:,} held-out tokens: explained variance{of} "
        f"{quality.explained_variance:.3f}, mean L0 {quality.mean_l0:.1f}, dead latents "
        f"{quality.dead_fraction:.1%}.",
        "",
    ]


def community_levels(
    sets: Sequence[NeuronTokenSets], scope: str, config: CommunityConfig | None
) -> tuple[list[LevelSummary], int]:
    """The run's own units' communities, a summary a level, and the edge count (the store
    may hold other runs' units of the model: the report counts this run's)."""
    if config is None:
        return [], 0
    edges = weighted_edges(sets, config.floor)
    return level_summaries(
        community_groups(sets, scope, config, edges=edges), config.resolutions
    ), len(edges.sources)


def communities_markdown(
    levels: Sequence[LevelSummary], edges: int, config: CommunityConfig | None
) -> list[str]:
    """The communities of the run's units, a line a level."""
    if config is None or not levels:
        return []
    lines = [
        "## Communities",
        "",
        f"Every pair of units whose smaller overlap reaches {config.floor:g} ({edges:,} "
        "pairs) is a weighted edge; the Leiden algorithm (Constant Potts Model: a group's "
        "pair scores, missing pairs as 0, average more than the resolution) cuts that graph "
        "at each resolution, finest first, each level inside the next (`n2g groups --level "
        "N`).",
        "",
        "| level | resolution | groups | units in them | largest |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {row.level} | {row.resolution or 0:g} | {row.groups:,} | {row.grouped_units:,} | "
        f"{row.largest:,} |"
        for row in levels
    ]
    return [*lines, ""]
