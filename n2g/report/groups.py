"""Similar pairs and neuron groups of a run, at the paper's threshold and below it.

The paper's rule (>= 90% overlap of both the activating and the context token sets) was
tuned on SoLU-6L; on another model it may find few pairs. Its readers would want to know
how many appear as the rule loosens, so the report counts pairs and groups at several
thresholds, from the token sets the database holds, with the same join and the same
grouping (`n2g.search`), and lists the largest groups with what their members share.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from n2g.graph.levels import FIRING_LEVEL, context_levels
from n2g.graph.model import NeuronGraph
from n2g.search.groups import NeuronGroupRow, neuron_groups
from n2g.search.similarity import (
    NeuronTokenSets,
    Relation,
    SimilarityConfig,
    similarity_join,
)

THRESHOLDS = (0.9, 0.8, 0.7, 0.6, 0.5)
SHOWN_GROUPS = 5
SHOWN_MEMBERS = 8
SHOWN_TOKENS = 8


@dataclass
class ThresholdRow:
    threshold: float
    similar_pairs: int
    subset_pairs: int
    groups: list[NeuronGroupRow]
    pairs_by_layer: dict[str, int]  # "L" for pairs inside layer L, "across" otherwise

    @property
    def grouped_neurons(self) -> int:
        return sum(g.size for g in self.groups)

    @property
    def largest(self) -> int:
        return max((g.size for g in self.groups), default=0)


def graph_token_sets(
    graphs: Sequence[NeuronGraph], level: float = FIRING_LEVEL
) -> list[NeuronTokenSets]:
    """The token sets the database compares at `level` (n2g.graph.levels; the query
    similarity_token_sets), computed from graphs read from a file instead."""
    out = []
    for g in graphs:
        levels = context_levels(g)
        activating = {t for t, a in g.activating_tokens().items() if a >= level}
        context = {t for t in g.context_tokens() if levels[t] >= level}
        out.append(NeuronTokenSets(g.key, g.layer, frozenset(activating), frozenset(context)))
    return out


def threshold_rows(
    sets: Sequence[NeuronTokenSets], scope: str, thresholds: Sequence[float] = THRESHOLDS
) -> list[ThresholdRow]:
    """Pairs and groups of `sets` at each threshold."""
    layer_of = {s.key: s.layer for s in sets}
    rows = []
    for threshold in thresholds:
        pairs = similarity_join(sets, SimilarityConfig(threshold=threshold))
        similar = [p for p in pairs if p.relation == Relation.SIMILAR_TO]
        by_layer: Counter[str] = Counter()
        for pair in similar:
            a, b = layer_of[pair.source], layer_of[pair.target]
            by_layer[str(a) if a == b else "across"] += 1
        rows.append(
            ThresholdRow(
                threshold=threshold,
                similar_pairs=len(similar),
                subset_pairs=len(pairs) - len(similar),
                groups=neuron_groups(similar, layer_of, scope, threshold),
                pairs_by_layer=dict(sorted(by_layer.items())),
            )
        )
    return rows


def _tokens(tokens: set[str]) -> str:
    shown = sorted(tokens)[:SHOWN_TOKENS]
    more = f" (+{len(tokens) - len(shown)})" if len(tokens) > len(shown) else ""
    return ", ".join(repr(t) for t in shown) + more if shown else "none"


def groups_markdown(
    sets: Sequence[NeuronTokenSets],
    rows: Sequence[ThresholdRow],
    every_level: ThresholdRow | None = None,
) -> list[str]:
    """The report's section: counts per threshold, then the largest groups found at the
    highest threshold that finds any. `every_level`: the paper's threshold over every token
    of the graphs, also those whose paths never predict firing (n2g.graph.levels)."""
    lines = [
        "## Similar neurons and groups",
        "",
        f"{len(sets)} neurons with graphs. Similar: >= t overlap of both token sets; "
        "subset: >= t of one neuron's sets inside the other's; groups: connected "
        "components of the similar pairs. The paper's rule is t = 0.9. The token sets hold "
        "the tokens whose paths predict firing (normalised activation >= 0.5).",
        "",
        "| t | similar pairs | by layer | subset pairs | groups | neurons in groups | largest |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        by_layer = ", ".join(f"{k}: {v}" for k, v in row.pairs_by_layer.items()) or "-"
        lines.append(
            f"| {row.threshold:.1f} | {row.similar_pairs} | {by_layer} | {row.subset_pairs} | "
            f"{len(row.groups)} | {row.grouped_neurons} | {row.largest} |"
        )
    lines.append("")
    if every_level is not None:
        lines += [
            f"With every token of the graphs instead (also those whose paths never predict "
            f"firing), t = {every_level.threshold:.1f} finds {every_level.similar_pairs} similar "
            f"pairs, {every_level.subset_pairs} subset pairs and {len(every_level.groups)} "
            f"groups (largest {every_level.largest}).",
            "",
        ]
    found = next((row for row in rows if row.groups), None)
    if found is None:
        lines += ["No groups at any of these thresholds.", ""]
        return lines
    if found is not rows[0]:
        lines += [
            f"The paper's t = {rows[0].threshold:.1f} finds no group on these graphs; the "
            f"largest groups at t = {found.threshold:.1f}:",
            "",
        ]
    else:
        lines += [f"Largest groups at t = {found.threshold:.1f}:", ""]
    by_key = {s.key: s for s in sets}
    for group in found.groups[:SHOWN_GROUPS]:
        members = [by_key[m] for m in group.members]
        shared_act = set.intersection(*(set(m.activating) for m in members))
        shared_ctx = set.intersection(*(set(m.context) for m in members))
        shown = ", ".join(f"`{m}`" for m in group.members[:SHOWN_MEMBERS])
        more = f" and {group.size - SHOWN_MEMBERS} more" if group.size > SHOWN_MEMBERS else ""
        lines.append(
            f"- {group.size} neurons, layers {group.layers}: {shown}{more}. Shared activating "
            f"tokens: {_tokens(shared_act)}; shared context tokens: {_tokens(shared_ctx)}"
        )
    lines.append("")
    return lines
