"""Communities: the weighted pairs equal brute force; planted families are found, nested."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from n2g.errors import N2GError
from n2g.search.communities import (
    CommunityConfig,
    community_groups,
    group_label,
    nested_memberships,
    parse_resolutions,
    weighted_edges,
)
from n2g.search.pair_scores import scored_pairs
from n2g.search.similarity import NeuronTokenSets, Relation, SimilarityConfig
from n2g.testing.brute_force import brute_force_pairs
from tests.search.test_similarity import _random_neurons


@pytest.mark.parametrize("floor", [0.05, 0.3, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("seed", [0, 3])
def test_scored_pairs_equal_brute_force(floor: float, seed: int) -> None:
    neurons = _random_neurons(300, seed)
    edges = scored_pairs(neurons, floor)
    got = [
        (edges.keys[s], edges.keys[t], a, c)
        for s, t, a, c in zip(
            edges.sources, edges.targets, edges.activating, edges.context, strict=True
        )
    ]
    config = SimilarityConfig(threshold=floor, subsets=False)
    expected = [
        (p.source, p.target, p.activating_overlap, p.context_overlap)
        for p in brute_force_pairs(neurons, config)
        if p.relation == Relation.SIMILAR_TO
    ]
    assert sorted(got) == sorted(expected) and expected
    assert all(w == min(a, c) for w, (_, _, a, c) in zip(edges.weights, got, strict=True))


def test_scored_pairs_block_boundaries_lose_nothing(monkeypatch) -> None:
    """Rows are processed in blocks: a block of 7 gives the same pairs as one block."""
    import n2g.search.pair_scores as pair_scores

    neurons = _random_neurons(120, 1)
    whole = scored_pairs(neurons, 0.3)
    monkeypatch.setattr(pair_scores, "ROW_BLOCK", 7)
    blocked = scored_pairs(neurons, 0.3)
    assert whole.sources.tolist() == blocked.sources.tolist()
    assert whole.targets.tolist() == blocked.targets.tolist()


def _families() -> list[NeuronTokenSets]:
    """Two super-families, each of two families of five units. A unit fires on its
    super-family's 3 tokens, its family's 6 and 1 of its own: overlap 0.9 inside a family,
    0.3 across the families of one super-family, 0 across super-families; empty contexts
    (overlap 1). Eight loners share nothing."""
    units = []
    for sup in range(2):
        for fam in range(2):
            for i in range(5):
                tokens = {f"s{sup}-{k}" for k in range(3)} | {f"f{sup}{fam}-{k}" for k in range(6)}
                tokens.add(f"own-{sup}{fam}{i}")
                key = f"m/{fam}/{sup * 100 + fam * 10 + i}"
                units.append(NeuronTokenSets(key, fam, frozenset(tokens), frozenset()))
    units += [
        NeuronTokenSets(f"m/3/{i}", 3, frozenset({f"lone{i}"}), frozenset()) for i in range(8)
    ]
    return units


def _family_of(key: str) -> tuple[int, int]:
    index = int(key.rsplit("/", 1)[1])
    return index // 100, index % 100 // 10


def test_planted_families_are_found_and_nested_in_their_super_families() -> None:
    units = _families()
    config = CommunityConfig(floor=0.25, resolutions=(0.5, 0.1))
    groups = community_groups(units, "m", config)
    fine = [g for g in groups if g.level == 1]
    coarse = [g for g in groups if g.level == 2]
    assert sorted(sorted(_family_of(k) for k in g.members) for g in fine) == [
        [(s, f)] * 5 for s in range(2) for f in range(2)
    ]
    assert sorted({_family_of(k)[0] for k in g.members} for g in coarse) == [{0}, {1}]
    assert all(g.size == 10 for g in coarse)
    by_key = {g.key: g for g in groups}
    for group in fine:  # each fine group lies inside its parent
        parent = by_key[group.parent or ""]
        assert parent.level == 2 and set(group.members) <= set(parent.members)
    assert all(g.parent is None for g in coarse)
    assert not any(k.startswith("m/3/") for g in groups for k in g.members)  # loners alone
    assert fine[0].key == f"m:c1:{fine[0].members[0]}" and fine[0].resolution == 0.5
    assert fine[0].label.startswith("`f") and "5/5" in fine[0].label


def test_communities_are_seeded_and_every_level_nests() -> None:
    units = _random_neurons(400, 2)
    config = CommunityConfig(floor=0.2, resolutions=(0.6, 0.2, 0.05))
    edges = weighted_edges(units, config.floor)
    first = nested_memberships(edges, config)
    assert [m.tolist() for m in first] == [m.tolist() for m in nested_memberships(edges, config)]
    for finer, coarser in zip(first, first[1:], strict=False):
        parent_of: dict[int, int] = {}
        for f, c in zip(finer.tolist(), coarser.tolist(), strict=True):
            assert parent_of.setdefault(f, c) == c  # one finer community, one coarser
    counts = [len(set(m.tolist())) for m in first]
    assert counts == sorted(counts, reverse=True)  # coarser levels never have more


def test_group_label_names_the_tokens_most_members_share() -> None:
    members = [
        NeuronTokenSets("m/0/1", 0, frozenset({" import", " from"}), frozenset()),
        NeuronTokenSets("m/0/2", 0, frozenset({" import", "\x1b[31m"}), frozenset()),
    ]
    label = group_label(members)
    assert label.startswith("` import` 2/2")
    assert "\x1b" not in label  # control characters escaped, as in unit labels


@pytest.mark.parametrize(
    "resolutions",
    [(), (0.5, 0.5), (0.1, 0.5), (0.0,), (-1.0,), (1.5,), (0.9, 0.5, 0.2, 0.1, 0.05)],
)
def test_bad_resolutions_are_refused(resolutions: tuple[float, ...]) -> None:
    with pytest.raises(ValidationError):
        CommunityConfig(resolutions=resolutions)


@pytest.mark.parametrize("text", ["", "a,b", "1,2", "0", "nan", "1,,0.5,0.1,0.01,0.001"])
def test_parse_resolutions_says_one_line(text: str) -> None:
    with pytest.raises(N2GError) as err:
        parse_resolutions(text)
    assert "\n" not in str(err.value) and "--resolutions" in str(err.value)


def test_parse_resolutions_reads_fine_to_coarse() -> None:
    assert parse_resolutions("0.5, 0.2,0.05") == (0.5, 0.2, 0.05)
