"""Virtual weights on a tiny model built in code: the planted feeder comes first, the
batched products equal one dot product a pair, and folding the norm changes nothing."""

from __future__ import annotations

import pytest
import torch

from n2g.models.virtual_weights import UnitLayer, feeds, plain_virtual_weight
from tests.circuits.planted import A, B, planted_model


def test_the_planted_unit_is_the_top_feeder() -> None:
    model = planted_model()
    edges = feeds([UnitLayer(model, 0), UnitLayer(model, 1)], k=3)
    into_b = [e for e in edges if e.target == f"{model.name}/1/{B}"]
    assert [e.rank for e in into_b] == [0, 1, 2]
    assert into_b[0].source == f"{model.name}/0/{A}" and into_b[0].virtual_weight > 0
    assert abs(into_b[0].virtual_weight) > 2 * abs(into_b[1].virtual_weight)
    assert not any(e.target.startswith(f"{model.name}/0/") for e in edges)  # nothing upstream
    assert len(edges) == 3 * model.n_units


def test_batched_equals_one_pair_at_a_time() -> None:
    model = planted_model(n_layers=3)
    parts = [UnitLayer(model, layer, range(0, 64, 3)) for layer in range(3)]
    edges = feeds(parts, k=4, targets_per_pass=5)
    for edge in edges[::7]:
        (_, s_layer, s_unit), (_, t_layer, t_unit) = (
            e.split("/") for e in (edge.source, edge.target)
        )
        plain = plain_virtual_weight(
            parts[int(s_layer)], int(s_unit), parts[int(t_layer)], int(t_unit)
        )
        assert edge.virtual_weight == pytest.approx(plain, rel=1e-4, abs=1e-5)
    # every candidate was weighed: no source outside the kept top k is stronger
    target = parts[2]
    strongest = max(
        abs(plain_virtual_weight(parts[layer], u, target, 0))
        for layer in (0, 1)
        for u in parts[layer].indices()
    )
    top = next(e for e in edges if e.target == f"{model.name}/2/0")
    assert abs(top.virtual_weight) == pytest.approx(strongest, rel=1e-4)


def test_folding_the_norm_as_transformer_lens_does_changes_no_weight() -> None:
    model = planted_model()
    before = feeds([UnitLayer(model, 0), UnitLayer(model, 1)], k=5)
    model.model.process_weights_(fold_ln=True, center_writing_weights=True, center_unembed=True)
    assert model.model.cfg.normalization_type == "LNPre"
    after = feeds([UnitLayer(model, 0), UnitLayer(model, 1)], k=5)
    assert [(e.source, e.target) for e in after] == [(e.source, e.target) for e in before]
    assert torch.allclose(
        torch.tensor([e.virtual_weight for e in after]),
        torch.tensor([e.virtual_weight for e in before]),
        rtol=1e-4,
        atol=1e-5,
    )


def test_bad_k_is_refused() -> None:
    with pytest.raises(ValueError, match="k must be"):
        feeds([UnitLayer(planted_model(), 0)], k=0)
