"""A tiny model whose circuit is known by construction: neuron B of layer 1 reads neuron
A of layer 0's write direction (W_in[1][:, B] = SCALE x W_out[0][A])."""

from __future__ import annotations

import torch

from n2g.models.base import NeuronModel
from n2g.models.tiny import tiny_model

A, B = 5, 7
SCALE = 50.0


def planted_model(n_layers: int = 2, seed: int = 0) -> NeuronModel:
    torch.set_num_threads(1)
    model = tiny_model(n_layers=n_layers, seed=seed, name=f"planted-{n_layers}l")
    with torch.no_grad():
        model.model.blocks[1].mlp.W_in[:, B] = model.model.blocks[0].mlp.W_out[A] * SCALE
    return model
