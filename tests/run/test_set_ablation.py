"""`Store.ablate` against the real database: a planted group found by `similar` is
ablated, its result is stored on the Group and read back by the groups listing."""

from __future__ import annotations

import pytest

from n2g.api import Store
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.errors import N2GError
from n2g.run.ablation_texts import control_texts, firing_texts
from n2g.testing.handmade import make_graph
from tests.models.planted_set import SET, planted_set_model, text, write_planted_records

SETTINGS = {"windows": 6, "control": 6, "random": 4, "per_unit": 2}


@pytest.fixture(scope="module")
def planted(tmp_path_factory, db_config):
    """The planted model, its records over "zq" text, a plain control corpus, and a store
    whose level-0 group is the planted set."""
    model = planted_set_model()
    folder = tmp_path_factory.mktemp("planted-zq")
    corpus = folder / "zq.txt"
    corpus.write_text(text(True, 3000, 1), encoding="utf-8")
    plain = folder / "plain.txt"
    plain.write_text(text(False, 3000, 2), encoding="utf-8")
    records = folder / "records"
    records.mkdir()
    write_planted_records(records, model, corpus)
    graphs = [make_graph(model.name, 0, u, [("z", ["x"], 0.9)]) for u in SET]
    graphs += [make_graph(model.name, 0, u, [(f"t{u}", [f"c{u}"], 0.9)]) for u in (1, 2)]
    store = Store(Database.connect(db_config))
    clear_database(store.db)
    ingest_graphs(store.db, graphs)
    store.similar([model.name], communities=None)
    (group,) = store.groups(model=model.name, level=0)
    assert sorted(group.members) == sorted(f"{model.name}/0/{u}" for u in SET)
    yield store, model, records, plain, group.key
    store.close()


def test_a_group_is_measured_and_stored_on_it(planted) -> None:
    store, model, records, plain, key = planted
    result = store.ablate(model, records, group=key, control_corpus=str(plain), **SETTINGS)
    assert result.group == key and result.held_out
    assert result.firing.low > 0 and result.control.mean == pytest.approx(0.0, abs=1e-5)
    assert result.above_random == 1.0
    (listed,) = store.groups(model=model.name, level=0)
    assert listed.ablation == result


def test_the_same_units_by_key_and_by_token(planted) -> None:
    store, model, records, plain, _ = planted
    keys = [f"{model.name}/0/{u}" for u in SET]
    by_key = store.ablate(model, records, units=keys, control_corpus=str(plain), **SETTINGS)
    by_token = store.ablate(model, records, token="z", control_corpus=str(plain), **SETTINGS)
    assert by_key.units == by_token.units == keys
    assert by_key.firing == by_token.firing and by_key.group is None


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"group": "planted-zq:nope"}, "no group"),
        ({"token": "never"}, "no unit of planted-zq fires"),
        ({"units": ["planted-zq/0/1", "other/0/1"]}, "mixes models"),
        ({"units": ["other/0/1"]}, "not of planted-zq"),
        ({"units": ["planted-zq/0/sae:x/1"]}, "not an MLP neuron"),
        ({"units": ["planted-zq/0/1"], "group": "g"}, "one way"),
        ({"units": ["planted-zq/0/1"], "memory_gb": 1e-6}, "GiB"),
    ],
)
def test_refusals_are_one_line(planted, kwargs, words) -> None:
    store, model, records, plain, _ = planted
    with pytest.raises(N2GError, match=words) as caught:
        store.ablate(model, records, control_corpus=str(plain), **kwargs)
    assert "\n" not in str(caught.value)


def test_a_context_cuts_each_window_after_its_last_firing_position(planted) -> None:
    store, model, records, plain, _ = planted
    units = [(0, u) for u in SET]
    whole = firing_texts(records, units, per_unit=2, max_windows=6)
    cut = firing_texts(records, units, per_unit=2, max_windows=6, context=8)
    z = model.encode("z")[0]
    for full, window, positions in zip(whole.windows, cut.windows, cut.positions, strict=True):
        assert 2 <= len(window) <= 8 and positions and positions[-1] >= len(window) - 2
        assert all(window[p] == z for p in positions)  # the planted units fire on z only
        assert any(full[i : i + len(window)] == window for i in range(len(full)))
    assert [len(w) for w in control_texts(records, model.tokenizer, 3, 0, str(plain), 8)] == [8] * 3
    result = store.ablate(
        model,
        records,
        units=[f"{model.name}/0/{u}" for u in SET],
        control_corpus=str(plain),
        context=8,
        **SETTINGS,
    )
    assert result.context == 8 and result.at_firing is not None and result.at_firing.mean > 1.0
