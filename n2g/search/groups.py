"""Neuron groups: connected components of the SIMILAR_TO relation (union-find).

Why connected components and not a clustering with a tunable cut: SIMILAR_TO already
demands ≥ 90% overlap on both token sets, so a component is a chain of near-identical
graphs; single-linkage drift along such chains is small, and components need no extra
parameter, are deterministic, and cost near-linear time. SUBSET_OF is deliberately left
out: one broad neuron containing many narrow ones would merge unrelated neurons.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from n2g.search.similarity import Relation, SimilarPair

COMPONENTS_LEVEL = 0  # the paper's groups; communities are levels 1.. (n2g.search.communities)


@dataclass(slots=True)
class NeuronGroupRow:
    """One group as written to the database (`(:NeuronGroup)` + its members)."""

    key: str
    model: str
    size: int
    layers: list[int]
    threshold: float  # components: the SIMILAR_TO threshold; communities: the edge floor
    members: list[str] = field(default_factory=list)
    level: int = COMPONENTS_LEVEL
    resolution: float | None = None  # communities only
    label: str = ""
    parent: str | None = None  # the group one level up holding this one (communities)

    @property
    def method(self) -> str:
        return "components" if self.level == COMPONENTS_LEVEL else "communities"

    def as_row(self) -> dict[str, object]:
        return {
            "key": self.key,
            "model": self.model,
            "size": self.size,
            "layers": self.layers,
            "threshold": self.threshold,
            "members": self.members,
            "level": self.level,
            "method": self.method,
            "resolution": self.resolution,
            "label": self.label,
            "parent": self.parent,
        }


class UnionFind:
    """Disjoint sets over neuron keys, with path compression and union by size."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._size: dict[str, int] = {}

    def find(self, item: str) -> str:
        if item not in self._parent:
            self._parent[item], self._size[item] = item, 1
            return item
        root = item
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[item] != root:  # path compression
            self._parent[item], item = root, self._parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return
        if self._size[root_a] < self._size[root_b]:
            root_a, root_b = root_b, root_a
        self._parent[root_b] = root_a
        self._size[root_a] += self._size[root_b]

    def components(self) -> list[list[str]]:
        """Every set, members sorted; sets ordered by their first member."""
        out: dict[str, list[str]] = {}
        for item in self._parent:
            out.setdefault(self.find(item), []).append(item)
        return sorted((sorted(m) for m in out.values()), key=lambda m: m[0])


def scope_name(models: Sequence[str]) -> str:
    """The `model` property of groups computed over these models ('a' or 'a+b')."""
    return "+".join(sorted(set(models)))


def neuron_groups(
    pairs: Iterable[SimilarPair],
    layer_of: dict[str, int],
    scope: str,
    threshold: float,
    min_size: int = 2,
) -> list[NeuronGroupRow]:
    """Connected components of the SIMILAR_TO pairs, largest first.

    `layer_of` maps neuron key → layer. A group's key is
    `<scope>:group:<its smallest member key>`, stable across reruns on the same data.
    """
    union_find = UnionFind()
    for pair in pairs:
        if pair.relation == Relation.SIMILAR_TO:
            union_find.union(pair.source, pair.target)
    groups = [
        NeuronGroupRow(
            key=f"{scope}:group:{members[0]}",
            model=scope,
            size=len(members),
            layers=sorted({layer_of[m] for m in members}),
            threshold=threshold,
            members=members,
        )
        for members in union_find.components()
        if len(members) >= min_size
    ]
    groups.sort(key=lambda g: (-g.size, -len(g.layers), g.key))
    return groups
