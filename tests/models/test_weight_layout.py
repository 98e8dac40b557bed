"""n2g.models.layout: weights re-stored as transformer_lens reads them change no activation,
and the reads become views (no copy per pass)."""

from __future__ import annotations

import copy

import pytest
import torch

from n2g.models import load_model
from n2g.models.layout import relayout
from n2g.models.tiny import tiny_model


def _passes(model, batch):
    acts = model.unit_activations(batch, list(range(model.loaded_layers)))
    tokens, _ = model._pad(batch)
    return {**acts, "logits": model.model(tokens)}


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_relayout_changes_no_activation_tiny_and_gated_gqa(llama_folder, dtype):
    for model in (tiny_model(n_layers=2, seed=3), load_model(str(llama_folder))):
        model.cast(dtype)
        batch = [model.encode("weights stored another way"), model.encode("same numbers")]
        plain = copy.deepcopy(model.model)
        for param in plain.parameters():
            param.data = param.data.contiguous()  # the layout transformer_lens loads
        assert not plain.blocks[0].attn.W_Q.permute(0, 2, 1).is_contiguous()
        relaid = _passes(model, batch)
        model.model = plain
        for layer, acts in _passes(model, batch).items():
            assert torch.equal(acts, relaid[layer])  # bit for bit


def test_reads_are_views_after_relayout(llama_folder):
    model = load_model(str(llama_folder))  # NeuronModel relays out on construction
    block = model.model.blocks[0]
    assert block.mlp.W_gate.T.is_contiguous() and block.mlp.W_out.T.is_contiguous()
    assert block.attn.W_Q.permute(0, 2, 1).is_contiguous()
    assert block.attn._W_K.permute(0, 2, 1).is_contiguous()
    assert block.attn.W_O.permute(2, 0, 1).is_contiguous()
    assert model.model.unembed.W_U.T.is_contiguous()
    model.cast("bfloat16")
    assert block.mlp.W_in.T.is_contiguous()
    plain = tiny_model(n_layers=1)
    relayout(plain.model)  # idempotent
    assert plain.model.blocks[0].attn.W_V.permute(0, 2, 1).is_contiguous()
