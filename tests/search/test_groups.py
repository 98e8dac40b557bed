"""Neuron groups: union-find components equal a plain graph search."""

from __future__ import annotations

import random

from n2g.search.groups import UnionFind, neuron_groups, scope_name
from n2g.search.similarity import Relation, SimilarPair
from n2g.testing.brute_force import brute_force_components


def _pair(a: str, b: str, relation: Relation = Relation.SIMILAR_TO) -> SimilarPair:
    return SimilarPair(a, b, relation, 1.0, 1.0)


def test_components_match_graph_search_on_random_graphs() -> None:
    rng = random.Random(3)
    keys = [f"m/{i % 5}/{i}" for i in range(300)]
    edges = [tuple(rng.sample(keys, 2)) for _ in range(220)]
    union_find = UnionFind()
    for key in keys:
        union_find.find(key)
    for a, b in edges:
        union_find.union(a, b)
    got = {frozenset(c) for c in union_find.components()}
    assert got == {frozenset(c) for c in brute_force_components(keys, edges)}


def test_groups_ignore_subsets_and_singletons_and_sort_by_size_then_spread() -> None:
    pairs = [
        _pair("m/0/1", "m/1/2"),
        _pair("m/1/2", "m/3/3"),  # chain: one group of three over layers 0, 1, 3
        _pair("m/2/7", "m/2/8"),
        _pair("m/0/5", "m/0/6"),
        _pair("m/0/9", "m/3/9", Relation.SUBSET_OF),  # never grouped
    ]
    layer_of = {k: int(k.split("/")[1]) for p in pairs for k in (p.source, p.target)}
    groups = neuron_groups(pairs, layer_of, scope="m", threshold=0.9)
    assert [g.members for g in groups] == [
        ["m/0/1", "m/1/2", "m/3/3"],
        ["m/0/5", "m/0/6"],
        ["m/2/7", "m/2/8"],
    ]
    assert groups[0].layers == [0, 1, 3] and groups[0].size == 3
    assert groups[0].key == "m:group:m/0/1" and groups[0].model == "m"
    assert groups[0].as_row()["threshold"] == 0.9
    assert neuron_groups(pairs, layer_of, "m", 0.9, min_size=3)[0].size == 3


def test_scope_name() -> None:
    assert scope_name(["b", "a", "b"]) == "a+b"
    assert scope_name(["solu"]) == "solu"
