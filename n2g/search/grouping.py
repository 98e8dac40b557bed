"""Similarity and groups of a store: compute them once, write them atomically, list them.

One computation makes every relation between units that the graphs alone support: the
similar and subset pairs (n2g.search.similarity), the paper's groups (their connected
components, level 0, n2g.search.groups) and the communities of the weighted similarity
graph at each resolution (levels 1.., n2g.search.communities). They are written in one
transaction, replacing the old ones, so a reader sees either the old or the new result.
Listing reads one level at a time (or the groups inside one group), with the tokens all
members share. NeuronSearch (n2g.search.api) exposes both; this module keeps api.py about
search.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, field_validator

from n2g.db.connection import Database
from n2g.errors import N2GError
from n2g.graph.levels import FIRING_LEVEL, check_level
from n2g.search import store
from n2g.search.bounds import check_count, check_limit
from n2g.search.communities import (
    CommunityConfig,
    community_groups,
    group_label,
    weighted_edges,
)
from n2g.search.group_ablation import SetAblation, stored
from n2g.search.groups import COMPONENTS_LEVEL, NeuronGroupRow, neuron_groups, scope_name
from n2g.search.similarity import NeuronTokenSets, Relation, SimilarityConfig, similarity_join

MAX_SHARED_TOKENS = 20  # a group's shared tokens listed, of each kind
MAX_LISTED_MEMBERS = 50  # members listed with a group (its size says how many)
SIMILARITY_LABEL = "similarity"  # its progress bar
COMMUNITIES_LABEL = "communities"  # the weighted pairs' progress bar


class GroupHit(BaseModel):
    """A group of similar units (level 0: the paper's components; 1..: communities, finest
    first), with the tokens every member shares (the first MAX_SHARED_TOKENS of each kind,
    in text order) and, where the main job measured it, how alike its members behave;
    where `n2g ablate --group` measured it, what taking them all away does to the loss."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    key: str
    model: str
    level: int = COMPONENTS_LEVEL
    method: str = "components"
    size: int
    layers: list[int]
    n_layers: int
    threshold: float
    resolution: float | None = None
    label: str | None = None
    parent: str | None = None
    coactivation: float | None = None  # mean r of member pairs on random windows
    coactivation_pairs: int | None = None
    ablation: SetAblation | None = None  # `n2g ablate --group`: its loss change, if measured
    members: list[str]
    shared_activating: list[str] = []
    shared_context: list[str] = []

    @field_validator("ablation", mode="before")
    @classmethod
    def _stored_ablation(cls, value: object) -> SetAblation | None:
        return stored(value)  # the store keeps it as JSON text


class LevelSummary(BaseModel):
    """One level of groups: how many, how many units they hold, the largest."""

    model_config = ConfigDict(frozen=True)

    level: int
    resolution: float | None
    groups: int
    grouped_units: int
    largest: int


class SimilarityReport(BaseModel):
    """What `compute_similarity` found and wrote."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    models: list[str]
    threshold: float
    neurons: int
    neurons_without_activating_tokens: int
    similar_pairs: int
    subset_pairs: int
    groups: int
    largest_group: int
    community_floor: float | None = None
    community_edges: int = 0
    levels: list[LevelSummary] = []
    seconds: float


def level_summaries(
    groups: Sequence[NeuronGroupRow], resolutions: Sequence[float]
) -> list[LevelSummary]:
    """Per level of communities (every level asked, an empty one too): how many groups,
    the units they hold, the largest."""
    out = []
    for level, resolution in enumerate(resolutions, start=1):
        at = [g for g in groups if g.level == level]
        out.append(
            LevelSummary(
                level=level,
                resolution=resolution,
                groups=len(at),
                grouped_units=sum(g.size for g in at),
                largest=max((g.size for g in at), default=0),
            )
        )
    return out


def compute_similarity(
    db: Database,
    models: Sequence[str],
    config: SimilarityConfig,
    communities: CommunityConfig | None,
    *,
    show_progress: bool = False,
) -> SimilarityReport:
    """Pairs, components and (unless `communities` is None) communities over `models`,
    replacing their old ones in one transaction. The models are checked by the caller."""
    from n2g.progress import progress_bar  # rich's bars: here, not in every reader's start

    start = time.perf_counter()
    neurons = store.read_token_sets(db, models, config.level)
    with_tokens = sum(1 for n in neurons if n.activating)
    with progress_bar(SIMILARITY_LABEL, with_tokens, "neurons", enabled=show_progress) as advance:
        pairs = similarity_join(neurons, config, progress=advance)
    scope = scope_name(models)
    by_key = {n.key: n for n in neurons}
    components = neuron_groups(pairs, {n.key: n.layer for n in neurons}, scope, config.threshold)
    for group in components:
        group.label = group_label([by_key[m] for m in group.members])
    found, edges = _communities(neurons, scope, communities, show_progress)
    run = {"threshold": config.threshold, "level": config.level}
    store.write_similarity(db, sorted(set(models)), scope, pairs, [*components, *found], run)
    return SimilarityReport(
        models=sorted(set(models)),
        threshold=config.threshold,
        neurons=len(neurons),
        neurons_without_activating_tokens=len(neurons) - with_tokens,
        similar_pairs=sum(1 for p in pairs if p.relation == Relation.SIMILAR_TO),
        subset_pairs=sum(1 for p in pairs if p.relation == Relation.SUBSET_OF),
        groups=len(components),
        largest_group=max((g.size for g in components), default=0),
        community_floor=communities.floor if communities is not None else None,
        community_edges=edges,
        levels=level_summaries(found, communities.resolutions if communities else ()),
        seconds=time.perf_counter() - start,
    )


def _communities(
    neurons: Sequence[NeuronTokenSets],
    scope: str,
    config: CommunityConfig | None,
    show_progress: bool,
) -> tuple[list[NeuronGroupRow], int]:
    if config is None:
        return [], 0
    from n2g.progress import progress_bar

    with_tokens = sum(1 for n in neurons if n.activating)
    with progress_bar(COMMUNITIES_LABEL, with_tokens, "units", enabled=show_progress) as advance:
        edges = weighted_edges(neurons, config.floor, progress=advance)
    return community_groups(neurons, scope, config, edges=edges), len(edges.sources)


def list_groups(
    db: Database,
    *,
    model: str | None,
    level: int,
    parent: str | None,
    min_size: int,
    limit: int,
    token_level: float = FIRING_LEVEL,
    max_members: int = MAX_LISTED_MEMBERS,
) -> list[GroupHit]:
    """The groups of one level (inside `parent` if given), largest first, then the widest
    spread over layers, with the tokens all their members share at `token_level` and
    their first `max_members` members in key order (`size` says how many there are)."""
    check_level(token_level)
    check_limit(limit)
    check_count("min_size", min_size)
    check_count("level", level, 0)
    check_count("max_members", max_members)
    if parent is not None and not store.group_exists(db, parent):
        raise N2GError(f"no group {parent!r} in the database (list them with `n2g groups`)")
    rows = store.group_rows(
        db,
        model=model,
        level=level,
        parent=parent,
        min_size=min_size,
        limit=limit,
        max_members=max_members,
    )
    shared = store.group_tokens(db, [row["key"] for row in rows], MAX_SHARED_TOKENS, token_level)
    return [GroupHit.model_validate(row | shared.get(row["key"], {})) for row in rows]
