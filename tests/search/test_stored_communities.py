"""Communities through the real store: written with their levels and parents, listed one
level (or one parent) at a time, equal to what the module computes from the same sets."""

from __future__ import annotations

import pytest

from n2g.errors import N2GError
from n2g.search import CommunityConfig, NeuronSearch, SimilarityConfig
from n2g.search.communities import community_groups


@pytest.fixture(scope="module")
def search(search_db) -> NeuronSearch:
    return NeuronSearch(search_db)


CONFIG = CommunityConfig(floor=0.2, resolutions=(0.5, 0.1))


@pytest.fixture(scope="module")
def stored(search):
    report = search.compute_similarity(["rand"], SimilarityConfig(), communities=CONFIG)
    expected = community_groups(search.token_sets(["rand"]), "rand", CONFIG)
    return report, expected


def test_every_level_is_stored_as_computed(search, stored) -> None:
    report, expected = stored
    assert [row.level for row in report.levels] == [1, 2]
    for level in (1, 2):
        want = {g.key: g for g in expected if g.level == level}
        got = search.groups(model="rand", level=level, limit=100_000)
        assert want and {g.key for g in got} == set(want)
        for group in got:
            assert group.size == want[group.key].size
            assert group.members == sorted(want[group.key].members)[:50]
            assert group.parent == want[group.key].parent and group.label
            assert (
                group.method == "communities" and group.resolution == CONFIG.resolutions[level - 1]
            )
    assert report.levels[0].groups == sum(g.level == 1 for g in expected)


def test_groups_inside_a_parent_are_its_children(search, stored) -> None:
    _, expected = stored
    parent = next(g for g in expected if g.level == 2)
    children = search.groups(level=1, parent=parent.key, limit=100_000)
    assert {g.key for g in children} == {
        g.key for g in expected if g.level == 1 and g.parent == parent.key
    }
    assert all(set(c.members) <= set(parent.members) for c in children)


def test_a_rerun_replaces_the_groups(search, stored) -> None:
    before = search.groups(model="rand", level=1, limit=100_000)
    search.compute_similarity(["rand"], SimilarityConfig(), communities=CONFIG)
    after = search.groups(model="rand", level=1, limit=100_000)
    assert [g.key for g in after] == [g.key for g in before]
    search.compute_similarity(["rand"], SimilarityConfig(), communities=None)
    assert search.groups(model="rand", level=1, limit=100_000) == []
    assert search.groups(model="rand", level=0, limit=100_000)  # the paper's groups stay
    search.compute_similarity(["rand"], SimilarityConfig(), communities=CONFIG)


def test_bad_group_queries_say_one_line(search, stored) -> None:
    with pytest.raises(N2GError, match="no group 'rand:c9:nothing'"):
        search.groups(level=1, parent="rand:c9:nothing")
    with pytest.raises(N2GError, match="level must be at least 0"):
        search.groups(level=-1)
    with pytest.raises(N2GError, match="no neuron graphs for model"):
        search.groups(model="no-such-model", level=1)
