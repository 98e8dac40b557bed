"""Neurons and latents of one layer with known splits, for the tests of `n2g split`.

Model "split", layer 1: neuron 0 fires on six tokens; the SAE's latents 0 and 1 each fire
on a part of them (so the neuron splits into both), latent 2 on all six and ten more, the
transcoder's latent 0 on one of them and one other token; latents of another layer and of
another model fire on the same tokens (never compared). Layer 2 holds neurons only.
"""

from __future__ import annotations

from collections.abc import Sequence

from n2g.graph.model import NeuronGraph
from n2g.testing.handmade import Path, make_graph, random_graphs

MODEL = "split"
SAE = "sae:L1-split-4x"
TRANSCODER = "tc:L1-split-4x"
NEURON_KEY = f"{MODEL}/1/0"
ALONE_KEY = f"{MODEL}/2/0"  # no latents on its layer
SIX = [" a", " b", " c", " d", " e", " f"]
RANDOM_MODEL = "splitrand"


def _paths(tokens: Sequence[str], context: str = " x") -> list[Path]:
    return [(token, [context], 0.8) for token in tokens]


def latent(model: str, layer: int, unit_set: str, index: int, paths: list[Path]) -> NeuronGraph:
    graph = make_graph(model, layer, index, paths)
    graph.unit_set = unit_set
    graph.hook_name = f"blocks.{layer}.hook_mlp_out"
    return graph


def split_graphs() -> list[NeuronGraph]:
    """The layer with known splits (module docstring)."""
    many = SIX + [f" g{i}" for i in range(10)]
    return [
        make_graph(MODEL, 1, 0, _paths(SIX)),
        make_graph(MODEL, 1, 1, _paths([" d", " e", " f", " g0"])),
        latent(MODEL, 1, SAE, 0, _paths([" a", " b", " c"])),
        latent(MODEL, 1, SAE, 1, _paths([" d", " e"], " y")),
        latent(MODEL, 1, SAE, 2, _paths(many)),
        latent(MODEL, 1, SAE, 3, _paths([" q"])),
        latent(MODEL, 1, TRANSCODER, 0, _paths([" a", " z"])),
        latent(MODEL, 0, "sae:L0-split-4x", 0, _paths(SIX)),
        latent("splitother", 1, SAE, 0, _paths(SIX)),
        make_graph(MODEL, 2, 0, _paths(SIX)),
    ]


def random_split_graphs(n: int = 90, seed: int = 11) -> list[NeuronGraph]:
    """Random graphs of three layers, a third of each layer's units an SAE's latents and a
    third a transcoder's (for checking the query against brute force)."""
    graphs = random_graphs(RANDOM_MODEL, n, seed)
    for i, graph in enumerate(graphs):
        kind = (i // 3) % 3  # random_graphs puts unit i on layer i % 3
        if kind:
            graph.unit_set = f"{'sae' if kind == 1 else 'tc'}:L{graph.layer}-r"
            graph.hook_name = f"blocks.{graph.layer}.hook_mlp_out"
    return graphs
