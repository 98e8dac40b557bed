"""How many neurons split into latents: per layer and SAE (or transcoder), from graph files.

The report's summary of what `n2g split` answers one neuron at a time (n2g.search.splits
holds the definitions): a latent lies inside a neuron when at least `min_inside` of its
activating tokens are the neuron's, and a neuron with two or more latents inside it is
split into them, the superposition reading of a polysemantic neuron. Counted on the token
sets the store compares (n2g.report.groups.graph_token_sets, at the firing level), with
an inverted index from token to latents, so a layer of thousands of neurons against tens
of thousands of latents costs one pass over the shared tokens, not every pair.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from pydantic import BaseModel, Field

from n2g.graph.levels import FIRING_LEVEL
from n2g.graph.model import NeuronGraph
from n2g.report.groups import graph_token_sets
from n2g.search.similarity import NeuronTokenSets
from n2g.search.splits import MIN_INSIDE


class SplitCountRow(BaseModel):
    """One layer's neurons against one unit set of latents on that layer."""

    model: str
    layer: int
    unit_set: str
    neurons: int = Field(description="neurons with an activating token")
    latents: int = Field(description="latents with an activating token")
    split: int = Field(description="neurons with ≥ 2 latents inside them")
    one_inside: int = Field(description="neurons with exactly one latent inside them")
    latents_inside: int = Field(description="latents inside at least one neuron")


def _count(
    kind: tuple[str, int, str], neurons: list[NeuronTokenSets], latents: list[NeuronTokenSets]
) -> SplitCountRow:
    holders: dict[str, list[int]] = defaultdict(list)  # token -> latents firing on it
    for i, latent in enumerate(latents):
        for token in latent.activating:
            holders[token].append(i)
    inside_counts: list[int] = []
    inside_any: set[int] = set()
    for neuron in neurons:
        shared = Counter(i for token in neuron.activating for i in holders.get(token, ()))
        inside = {i for i, n in shared.items() if n / len(latents[i].activating) >= MIN_INSIDE}
        inside_counts.append(len(inside))
        inside_any |= inside
    return SplitCountRow(
        model=kind[0],
        layer=kind[1],
        unit_set=kind[2],
        neurons=len(neurons),
        latents=len(latents),
        split=sum(n >= 2 for n in inside_counts),
        one_inside=sum(n == 1 for n in inside_counts),
        latents_inside=len(inside_any),
    )


def split_counts(graphs: Sequence[NeuronGraph], level: float = FIRING_LEVEL) -> list[SplitCountRow]:
    """A row per model, layer and unit set of latents that has neurons on its layer among
    `graphs` (units without an activating token at `level` left out)."""
    sets = dict(zip((g.key for g in graphs), graph_token_sets(graphs, level), strict=True))
    by_kind: dict[tuple[str, int, str], list[NeuronTokenSets]] = defaultdict(list)
    for graph in graphs:
        if sets[graph.key].activating:
            by_kind[(graph.model, graph.layer, graph.unit_set or "")].append(sets[graph.key])
    rows = []
    for (model, layer, unit_set), latents in sorted(by_kind.items()):
        neurons = by_kind.get((model, layer, ""))
        if unit_set and neurons:
            rows.append(_count((model, layer, unit_set), neurons, latents))
    return rows


def split_markdown(rows: Sequence[SplitCountRow]) -> list[str]:
    """The report's lines (none without rows)."""
    if not rows:
        return []
    models = len({row.model for row in rows}) > 1  # name the model only where it varies
    lines = [
        "### Neurons split into latents",
        "",
        f"A latent lies inside a neuron when ≥ {MIN_INSIDE:.0%} of its activating tokens are "
        "the neuron's (firing level); a neuron with two or more inside is split into them "
        "(`n2g split KEY` lists them).",
        "",
        "| layer | latents | neurons | split into ≥ 2 | exactly 1 inside "
        "| latents inside a neuron |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        share = f" ({row.split / row.neurons:.1%})" if row.neurons else ""
        latents = f"{row.model} {row.unit_set}" if models else row.unit_set
        lines.append(
            f"| {row.layer} | {latents} | {row.neurons:,} | {row.split:,}{share} "
            f"| {row.one_inside:,} | {row.latents_inside:,} of {row.latents:,} |"
        )
    return [*lines, ""]
