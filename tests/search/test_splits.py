"""Neurons against latents (queries/unit_splits.cypher through NeuronSearch.splits) on the
real server: known splits, the ranking against brute force, and every refusal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.errors import N2GError
from n2g.report.groups import graph_token_sets
from n2g.search import NeuronSearch
from n2g.search.splits import UnitSetMissing
from n2g.testing.brute_force import brute_force_splits
from n2g.testing.splits import (
    ALONE_KEY,
    MODEL,
    NEURON_KEY,
    SAE,
    TRANSCODER,
    random_split_graphs,
    split_graphs,
)

RANDOM = random_split_graphs()


@pytest.fixture(scope="module")
def search(db_config) -> Iterator[NeuronSearch]:
    database = Database.connect(db_config)
    try:
        clear_database(database)
        ingest_graphs(database, split_graphs() + RANDOM)
        yield NeuronSearch(database)
    finally:
        database.close()


def test_a_neuron_splits_into_the_latents_inside_it(search) -> None:
    result = search.splits(NEURON_KEY)
    assert (result.model, result.layer, result.unit_set) == (MODEL, 1, None)
    assert result.against == [SAE, TRANSCODER]
    keys = [hit.key for hit in result.hits]
    # inside (containment 1) first, the one covering more of the neuron first; then by overlap
    assert keys == [
        f"{MODEL}/{SAE}/0",
        f"{MODEL}/{SAE}/1",
        f"{MODEL}/{SAE}/2",
        f"{MODEL}/{TRANSCODER}/0",
    ]
    assert [hit.key for hit in result.inside] == keys[:2]
    first, second, broad, transcoded = result.hits
    assert first.containment == 1.0 and first.activating_overlap == 0.5
    assert sorted(first.shared_activating) == [" a", " b", " c"]
    assert first.shared_context == [" x"] and first.context_overlap == 1.0
    assert second.context_overlap == 0.0 and second.unit_set == SAE
    assert broad.containment == 6 / 16 and not broad.inside
    assert transcoded.containment == 0.5 and transcoded.unit_set == TRANSCODER


def test_one_unit_set_and_the_inside_threshold(search) -> None:
    result = search.splits(NEURON_KEY, unit_set=TRANSCODER, min_inside=0.5)
    assert result.against == [TRANSCODER]
    assert [(hit.key, hit.inside) for hit in result.hits] == [(f"{MODEL}/{TRANSCODER}/0", True)]
    assert len(search.splits(NEURON_KEY, limit=1).hits) == 1


def test_a_latent_against_the_neurons_it_lies_inside(search) -> None:
    result = search.splits(f"{MODEL}/{SAE}/1")
    assert result.unit_set == SAE and result.against == [None]
    assert [(hit.key, hit.inside, hit.unit_set) for hit in result.hits] == [
        (f"{MODEL}/1/1", True, None),  # {d, e} lies inside {d, e, f, g0}: overlap 0.5
        (NEURON_KEY, True, None),  # ... and inside the six: overlap 1/3
    ]
    other = search.splits(f"{MODEL}/{SAE}/1", unit_set=TRANSCODER)
    assert other.hits == []  # the transcoder's latents share no token with it: no error


@pytest.mark.parametrize("level", [0.5, 0.0])
def test_the_ranking_equals_brute_force(search, level) -> None:
    sets = {s.key: s for s in graph_token_sets(RANDOM, level)}
    unit_set_of = {g.key: g.unit_set for g in RANDOM}
    checked = 0
    for graph in RANDOM:
        if not sets[graph.key].activating:
            continue
        for unit_set in (None, f"sae:L{graph.layer}-r"):
            if unit_set == graph.unit_set:
                continue
            others = [
                sets[g.key]
                for g in RANDOM
                if g.layer == graph.layer
                and (
                    g.unit_set == unit_set
                    if unit_set
                    else (g.unit_set is None) != (graph.unit_set is None)
                )
            ]
            expected = brute_force_splits(sets[graph.key], others, unit_set_of, 0.6)
            found = search.splits(
                graph.key, unit_set=unit_set, min_inside=0.6, limit=500, level=level
            ).hits
            assert [h.key for h in found] == [r["key"] for r in expected], graph.key
            for hit, row in zip(found, expected, strict=True):
                shared = {
                    "shared_activating": sorted(hit.shared_activating),
                    "shared_context": sorted(hit.shared_context),
                }
                assert hit.model_dump(include=set(row)) | shared == row  # same divisions
            checked += bool(expected)
    assert checked > 30


def test_refusals(search) -> None:
    with pytest.raises(N2GError, match="no neuron 'split/1/999' in the database"):
        search.splits(f"{MODEL}/1/999")
    with pytest.raises(UnitSetMissing, match="no graphs of SAE or transcoder latents in layer 2"):
        search.splits(ALONE_KEY)
    with pytest.raises(UnitSetMissing, match=r"no graphs of sae:nope in layer 1 \(unit sets"):
        search.splits(NEURON_KEY, unit_set="sae:nope")
    with pytest.raises(N2GError, match="is a unit of sae:L1-split-4x itself"):
        search.splits(f"{MODEL}/{SAE}/0", unit_set=SAE)
    for bad in ("mlp", "sae:", "sae:a/b"):
        with pytest.raises(N2GError, match="is not sae:NAME or tc:NAME"):
            search.splits(NEURON_KEY, unit_set=bad)
    with pytest.raises(N2GError, match="min inside must be between 0 and 1"):
        search.splits(NEURON_KEY, min_inside=float("nan"))
    with pytest.raises(N2GError, match="is not MODEL/LAYER/INDEX"):
        search.splits("split/1")
