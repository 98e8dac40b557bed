"""Fixtures shared by the model tests: a tiny local HF folder, and HF's own MLP activations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import torch

from n2g.testing.hf_folder import save_tiny_llama


@pytest.fixture(scope="module")
def llama_folder(tmp_path_factory) -> Path:
    return save_tiny_llama(tmp_path_factory.mktemp("tiny_llama"))


def _gated_mlp_inputs(hf_model, ids: Sequence[int], layers: Sequence[int]) -> dict:
    """Layer -> the input of each layer's `down_proj` (HF's gated MLP activation
    act_fn(gate_proj(x)) * up_proj(x)), [1, T, d_mlp], from one forward pass on `ids`."""
    seen: dict[int, torch.Tensor] = {}
    handles = [
        hf_model.model.layers[layer].mlp.down_proj.register_forward_pre_hook(
            lambda mod, args, layer=layer: seen.__setitem__(layer, args[0])
        )
        for layer in layers
    ]
    try:
        with torch.no_grad():
            hf_model(torch.tensor([list(ids)]))
    finally:
        for handle in handles:
            handle.remove()
    return seen


@pytest.fixture
def gated_mlp_inputs() -> Callable[..., dict]:
    """`gated_mlp_inputs(hf_model, ids, layers)`: cross-implementation ground truth."""
    return _gated_mlp_inputs
