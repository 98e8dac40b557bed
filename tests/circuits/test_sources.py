"""The three edge sources on the planted model (B of layer 1 reads A of layer 0): weights
and data rank A first for B; evidence ranks the unit whose activating tokens B reads;
the check grades every source on shared random units."""

from __future__ import annotations

import random

import pytest

from n2g.circuits.evidence import UnitTokens, evidence_scores
from n2g.circuits.measure import measure_unit, pick_randoms
from n2g.circuits.sources import Eligible, by_data, by_evidence, by_weights, feeds_rows
from n2g.circuits.table import layer_table
from n2g.circuits.windows import unit_windows
from n2g.record.store import LayerRecords
from tests.builder.conftest import write_records
from tests.circuits.planted import A, B, planted_model


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    model = planted_model()
    folder = tmp_path_factory.mktemp("planted-records")
    records: dict[int, LayerRecords] = write_records(folder, model, [1], k=8, window=24)
    return model, records[1]


def test_data_and_weights_rank_the_planted_feeder_first(planted) -> None:
    model, records = planted
    at = Eligible(model, 1, {0: range(model.n_units)})
    for scored in (by_data(at, [B, 3], 5, records), by_weights(at, [B, 3], 5)):
        top, score = scored[B]
        assert top[0][0] == (0, A) and top[0][1] > 0
        assert score((0, A)) == pytest.approx(top[0][1], rel=1e-4)
        assert len(top) == 5


def test_data_rows_are_ranked_edges(planted) -> None:
    model, records = planted
    at = Eligible(model, 1, {0: range(model.n_units)})
    rows = feeds_rows(model.name, 1, by_data(at, [B], 3, records))
    assert [r["rank"] for r in rows] == [0, 1, 2]
    assert rows[0]["source"] == f"{model.name}/0/{A}" and rows[0]["target"] == f"{model.name}/1/{B}"


def test_evidence_ranks_the_unit_whose_tokens_the_later_one_reads() -> None:
    tokens = {
        (0, 0): UnitTokens(0, 0, {" import": 1.0}, {}),
        (0, 1): UnitTokens(0, 1, {" the": 0.9, " a": 0.8}, {}),
        (0, 2): UnitTokens(0, 2, {"x": 0.2}, {}),
        (1, 0): UnitTokens(1, 0, {" os": 1.0}, {" import": 0.9, "x": 0.1}),
        (1, 1): UnitTokens(1, 1, {" import": 0.5}, {}),  # same layer: never a source
    }
    at = Eligible(planted_model(), 1, {0: [0, 1, 2]})
    top, score = by_evidence(at, [0], 3, tokens)[0]
    assert [c for c, _ in top] == [(0, 0), (0, 2)]  # (0, 1) shares nothing: no edge
    assert score((0, 1)) == 0.0 and top[0][1] > top[1][1] > 0
    scores, order = evidence_scores(list(tokens.values()), [tokens[(1, 0)]])
    assert [(u.layer, u.index) for u in order] == [(0, 0), (0, 1), (0, 2)]  # not (1, 1)
    assert scores.shape == (1, 3) and scores[0, 1] == 0.0


def test_the_check_grades_each_source_on_the_same_random_units(planted) -> None:
    model, records = planted
    at = Eligible(model, 1, {0: range(model.n_units)})
    scored = {"weights": by_weights(at, [B], 3), "data": by_data(at, [B], 3, records)}
    ranked = {s: scored[s][B][0] for s in scored}
    taken = {c for top in ranked.values() for c, _ in top}
    randoms = pick_randoms(at.candidates(), taken, 3, random.Random(0))
    windows = unit_windows(records, B, crop=16).test
    measure = measure_unit(
        model, 1, B, windows, ranked, randoms, {s: scored[s][B][1] for s in scored}
    )
    assert measure is not None and set(measure.checks) == {"weights", "data"}
    for source in scored:
        check = measure.checks[source]["zero"]
        assert check.k == 3 and len(check.effects) == 6
        assert measure.effects[(0, A)][0] == max(abs(e) for e in check.effects)
    table = layer_table([measure])
    assert table["1"]["data"]["mean"]["units"] == 1  # type: ignore[index]
