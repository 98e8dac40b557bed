"""Families of units: communities of the weighted similarity graph, nested over resolutions.

The paper's groups (connected components of SIMILAR_TO, n2g.search.groups) need ≥ 90%
overlap of both token sets: on SmolLM2 they are a dozen groups of 3-4 units. Units that
share most but not all of their tokens, or form a family through many partial overlaps,
are in no group. Here every pair whose score (the smaller of its activating and context
overlaps, the score `n2g like` ranks by: a pair is SIMILAR_TO at t exactly when its score
is ≥ t) reaches a low floor is a weighted edge, and the graph is cut into communities with
the Leiden algorithm (Traag, van Eck & Waltman 2019; igraph's C implementation) at a few
resolutions from fine to coarse.

Why the Constant Potts Model and not modularity: CPM's resolution γ is absolute (a group
is kept together when its pairs' scores, the missing pairs counted as 0, average more
than γ), so the same γ means the same thing on a store of 50 units and of 46,080, and it
has no resolution limit (Traag, Van Dooren & Nesterov 2011). Modularity's resolution is
relative to the whole graph's weight: tried first, it split a three-unit SIMILAR_TO
component into singletons on a small store and made one community of 8,909 units on the
whole-model benchmark.

Why nested by aggregation and not independent runs: a user browsing a coarse family wants
its finer families inside it. Level 1 is Leiden on the units' graph at the finest
resolution; level 2 runs on the graph of level 1's communities (an edge's weight the sum
of the unit edges between them, each community's node weight its number of units, so the
CPM quality of the lifted partition is unchanged: the Louvain aggregation step), and so
on. Each coarser community is therefore a union of finer ones, and every group records
its parent; bench/communities.py measures what nesting costs in quality against
independent runs.

Seeded: igraph draws from the random generator handed to it, so the same pairs and
resolutions give the same communities, and a group's key (its level and smallest member)
is stable across reruns.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from n2g.errors import N2GError, printable
from n2g.search.groups import NeuronGroupRow
from n2g.search.pair_scores import WeightedEdges, scored_pairs
from n2g.search.similarity import NeuronTokenSets

MAX_RESOLUTION = 1.0  # a pair scores at most 1: above it every unit is alone
MAX_LEVELS = 4
LABEL_TOKENS = 3  # tokens named in a group's label


class CommunityConfig(BaseModel):
    """Settings of the communities: the edge floor and the resolutions, fine to coarse."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    floor: float = Field(
        0.3, gt=0.0, le=1.0, description="smallest pair score (min of both overlaps) kept as edge"
    )
    resolutions: tuple[float, ...] = Field(
        (0.5, 0.2, 0.05), description="CPM resolutions, one a level, fine to coarse"
    )
    seed: int = Field(0, ge=0, description="seed of the Leiden algorithm")

    @field_validator("resolutions")
    @classmethod
    def _check_resolutions(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not 1 <= len(value) <= MAX_LEVELS:
            raise ValueError(f"give 1 to {MAX_LEVELS} resolutions, fine to coarse")
        if any(not 0.0 < r <= MAX_RESOLUTION for r in value):
            raise ValueError(f"each resolution must lie in (0, {MAX_RESOLUTION:g}]")
        if any(a <= b for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("resolutions must decrease, fine to coarse (e.g. 0.5,0.2,0.05)")
        return value


def parse_resolutions(text: str) -> tuple[float, ...]:
    """'0.5,0.2,0.05' -> (0.5, 0.2, 0.05), checked as CommunityConfig checks them; one line on
    bad input."""
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise N2GError(
            f"--resolutions {printable(text)}: give numbers, e.g. 0.5,0.2,0.05"
        ) from None
    try:
        return CommunityConfig(resolutions=values).resolutions
    except ValidationError as err:
        reason = err.errors()[0]["msg"].removeprefix("Value error, ")
        raise N2GError(f"--resolutions {printable(text)}: {reason}") from None


def weighted_edges(
    sets: Sequence[NeuronTokenSets], floor: float, progress: Callable[[int], None] | None = None
) -> WeightedEdges:
    """Every pair of units with a score ≥ `floor` (n2g.search.pair_scores: exact)."""
    return scored_pairs(sets, floor, progress)


@contextmanager
def _seeded_igraph(seed: int) -> Iterator[None]:
    """igraph's random numbers from a seeded generator, restored afterwards."""
    import igraph  # imported when used: `n2g` commands that never group start faster

    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


def _leiden(
    n: int,
    sources: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray,
    node_weights: np.ndarray,
    resolution: float,
) -> np.ndarray:
    """Community of each of `n` nodes (CPM with `resolution`; node weights: units inside)."""
    import igraph

    graph = igraph.Graph(n=n, edges=np.column_stack([sources, targets]).tolist())
    clustering = graph.community_leiden(
        objective_function="CPM",
        weights=weights.tolist(),
        node_weights=node_weights.tolist(),
        resolution=resolution,
        n_iterations=-1,
    )
    return np.asarray(clustering.membership, dtype=np.int64)


def _aggregate(
    membership: np.ndarray, sources: np.ndarray, targets: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The edges between communities (weights summed; edges inside one are dropped: they
    only add a constant to the quality once node weights are given)."""
    a, b = membership[sources], membership[targets]
    keep = a != b
    low, high = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    if not len(low):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float64)
    pair_ids, inverse = np.unique(np.column_stack([low, high]), axis=0, return_inverse=True)
    summed = np.zeros(len(pair_ids), dtype=np.float64)
    np.add.at(summed, inverse.ravel(), weights[keep])
    return pair_ids[:, 0], pair_ids[:, 1], summed


def nested_memberships(edges: WeightedEdges, config: CommunityConfig) -> list[np.ndarray]:
    """For each resolution, fine to coarse, the community of every unit (nested). A unit
    without edges is alone at every level (Leiden runs on the others only: faster, same
    result, since a lone node never joins a community)."""
    n = len(edges.keys)
    linked = np.flatnonzero(edges.strengths() > 0)
    compact = np.full(n, -1, dtype=np.int64)
    compact[linked] = np.arange(len(linked))
    sources, targets = compact[edges.sources], compact[edges.targets]
    weights, node_weights = edges.weights, np.ones(len(linked), dtype=np.float64)
    current = np.arange(len(linked), dtype=np.int64)  # each linked unit's community
    alone = np.arange(n, dtype=np.int64) + len(linked)  # ids no community uses
    out = []
    with _seeded_igraph(config.seed):
        for resolution in config.resolutions:
            membership = _leiden(
                len(node_weights), sources, targets, weights, node_weights, resolution
            )
            current = membership[current]
            unit_membership = alone.copy()
            unit_membership[linked] = current
            out.append(unit_membership)
            sources, targets, weights = _aggregate(membership, sources, targets, weights)
            node_weights = np.bincount(membership, weights=node_weights).astype(
                np.float64
            )  # units inside
    return out


def group_label(members: Sequence[NeuronTokenSets]) -> str:
    """The activating tokens most members fire on, with how many: "`import` 12/14, ..."."""
    counts = Counter(token for member in members for token in member.activating)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:LABEL_TOKENS]
    return ", ".join(f"`{printable(token)}` {count}/{len(members)}" for token, count in top)


def community_groups(
    sets: Sequence[NeuronTokenSets],
    scope: str,
    config: CommunityConfig,
    edges: WeightedEdges | None = None,
) -> list[NeuronGroupRow]:
    """Every community of ≥ 2 units at every level (1 = finest), each with its label and
    the key of the community holding it one level up."""
    edges = edges if edges is not None else weighted_edges(sets, config.floor)
    by_key = {s.key: s for s in sets}
    memberships = nested_memberships(edges, config)
    keys_at: list[dict[int, str]] = []  # per level: community id -> group key
    rows: list[NeuronGroupRow] = []
    for level, membership in enumerate(memberships, start=1):
        members_of: dict[int, list[str]] = {}
        for unit, community in enumerate(membership.tolist()):
            members_of.setdefault(community, []).append(edges.keys[unit])
        keys: dict[int, str] = {}
        for community, members in members_of.items():
            if len(members) < 2:
                continue
            keys[community] = f"{scope}:c{level}:{members[0]}"
            rows.append(
                NeuronGroupRow(
                    key=keys[community],
                    model=scope,
                    size=len(members),
                    layers=sorted({by_key[m].layer for m in members}),
                    threshold=config.floor,
                    members=members,
                    level=level,
                    resolution=config.resolutions[level - 1],
                    label=group_label([by_key[m] for m in members]),
                )
            )
        keys_at.append(keys)
    _link_parents(rows, memberships, keys_at, edges.keys)
    rows.sort(key=lambda g: (g.level, -g.size, -len(g.layers), g.key))
    return rows


def _link_parents(
    rows: list[NeuronGroupRow],
    memberships: list[np.ndarray],
    keys_at: list[dict[int, str]],
    unit_keys: list[str],
) -> None:
    """Set each group's parent: the group one level up that holds its members."""
    position = {key: i for i, key in enumerate(unit_keys)}
    for row in rows:
        if row.level >= len(memberships):
            continue
        up = memberships[row.level]  # level is 1-based: index `level` is the next level
        row.parent = keys_at[row.level].get(int(up[position[row.members[0]]]))
