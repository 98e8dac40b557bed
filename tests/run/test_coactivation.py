"""The check of relations against the model: a copied neuron co-activates perfectly."""

from __future__ import annotations

import pytest
import torch

from n2g.models.tiny import tiny_model
from n2g.report.coactivation import CoactivationConfig, coactivation_markdown
from n2g.run.coactivation import check_relations
from n2g.search.similarity import NeuronTokenSets
from tests.builder.conftest import TEXT, write_records


@pytest.fixture(scope="module")
def copied(tmp_path_factory):
    """A tiny model whose layer-0 neuron 1 reads exactly what neuron 0 reads, its records."""
    model = tiny_model(n_layers=2, seed=3)
    mlp = model.model.blocks[0].mlp
    with torch.no_grad():
        mlp.W_in[:, 1] = mlp.W_in[:, 0]
        mlp.b_in[1] = mlp.b_in[0]
    folder = tmp_path_factory.mktemp("records")
    write_records(folder, model, [0, 1], k=6, window=24)
    return model, folder


def _sets(name: str) -> list[NeuronTokenSets]:
    def unit(layer: int, index: int, tokens: str) -> NeuronTokenSets:
        return NeuronTokenSets(
            f"{name}/{layer}/{index}", layer, frozenset(tokens.split()), frozenset()
        )

    units = [unit(0, 0, "a b c"), unit(0, 1, "a b c")]  # the graphs call them similar
    units += [unit(layer, 10 + i, f"t{layer}{i}") for layer in (0, 1) for i in range(12)]
    return units


def test_a_copied_neuron_and_its_group_co_activate_above_random(copied) -> None:
    model, records = copied
    ids = model.encode(TEXT)
    windows = [ids[i : i + 24] for i in range(0, len(ids) - 24, 24)]
    a, b = f"{model.name}/0/0", f"{model.name}/0/1"
    groups = [
        {"key": "G", "level": 1, "size": 2, "members": [a, b]},
        {"key": "H", "level": 0, "size": 3, "members": [f"{model.name}/1/1{i}" for i in range(3)]},
    ]
    config = CoactivationConfig(windows=len(windows), pairs=8, random_pairs=64, top=3)
    check, rows = check_relations(model, windows, records, _sets(model.name), groups, config)
    by_category = {row["category"]: row for row in check.random_windows}
    assert by_category["similar@0.9"]["pairs"] == 1
    assert by_category["similar@0.9"]["median"] == pytest.approx(1.0, abs=1e-5)
    top = {row["category"]: row for row in check.top_windows}
    assert top["similar@0.9"]["median"] == pytest.approx(1.0, abs=1e-5)
    assert by_category["random"]["pairs"] == 64
    assert abs(by_category["random"]["median"]) < 0.9
    stored = {row["key"]: row for row in rows}
    assert stored["G"]["coactivation"] == pytest.approx(1.0, abs=1e-5) and stored["G"]["pairs"] == 1
    assert stored["H"]["pairs"] == 3
    assert check.group_random_p95 is not None and check.group_random_p95 < 0.99
    level_one = next(level for level in check.levels if level.level == 1)
    assert (level_one.groups_above, level_one.units_above) == (1, 2)
    text = "\n".join(coactivation_markdown(check))
    assert "similar@0.9" in text and "| 1 | 1 | 2 | 1 | 2 |" in text


def test_a_unit_that_never_varies_is_undefined_not_zero(copied) -> None:
    model, records = copied
    ids = model.encode(TEXT)
    windows = [ids[:24], ids[24:48]]
    mlp = model.model.blocks[1].mlp
    still, other = f"{model.name}/1/5", f"{model.name}/1/6"
    with torch.no_grad():
        saved_w, saved_b = mlp.W_in[:, 5].clone(), mlp.b_in[5].clone()
        mlp.W_in[:, 5] = 0.0  # the same input everywhere: the same activation everywhere
    try:
        groups = [{"key": "Z", "level": 1, "size": 2, "members": [still, other]}]
        config = CoactivationConfig(windows=2, pairs=4, random_pairs=16, top=2)
        check, rows = check_relations(model, windows, records, _sets(model.name), groups, config)
    finally:
        with torch.no_grad():
            mlp.W_in[:, 5], mlp.b_in[5] = saved_w, saved_b
    assert rows == [
        {"key": "Z", "coactivation": None, "pairs": 1, "random": check.group_random_mean}
    ]
    [level] = check.levels
    assert (level.groups, level.undefined, level.median_r) == (1, 1, None)
