"""A tiny model with a set of units known by construction: three layer-0 neurons fire on
'z' only (they read the 'z' embedding past a high bias) and write toward predicting 'q'.
Taking them away must raise the loss after 'z' on text where "zq" recurs, and change
nothing on text without 'z' (they never fire there)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from n2g.models.base import NeuronModel
from n2g.models.tiny import tiny_model
from n2g.record.store import RecordsManifest, save_layer, save_manifest
from tests.builder.conftest import brute_force_records

SET = (3, 10, 20)  # the planted units of layer 0
LETTERS = "abcdefghijklmnoprstuvwxy "  # no z, no q


def planted_set_model(name: str = "planted-zq") -> NeuronModel:
    torch.set_num_threads(1)
    model = tiny_model(n_layers=2, seed=0, name=name)
    tl = model.model
    z, q = model.encode("z")[0], model.encode("q")[0]
    with torch.no_grad():
        for block in tl.blocks:
            block.attn.W_O.zero_()  # no mixing between positions: each token on its own
        reads = tl.embed.W_E[z] - tl.embed.W_E[z].mean()
        reads = reads / reads.std()
        writes = tl.unembed.W_U[:, q] - tl.unembed.W_U[:, q].mean()
        for unit in SET:
            tl.blocks[0].mlp.W_in[:, unit] = 10 * reads / reads.norm()
            tl.blocks[0].mlp.b_in[unit] = -7 * reads.norm()
            tl.blocks[0].mlp.W_out[unit] = 20 * writes / writes.norm()
    return model


def text(with_z: bool, length: int, seed: int) -> str:
    """Random letters; with `with_z`, "zq" about every tenth character."""
    rng = np.random.default_rng(seed)
    out: list[str] = []
    while len(out) < length:
        if with_z and rng.random() < 0.2:
            out += ["z", "q"]
        else:
            out.append(LETTERS[rng.integers(len(LETTERS))])
    return "".join(out[:length])


def write_planted_records(folder: Path, model: NeuronModel, corpus: Path) -> None:
    """Records of layers 0 and 1 over `corpus` (k 8, windows of 24 bytes)."""
    words = corpus.read_text(encoding="utf-8")
    for layer_records in brute_force_records(model, words, [0, 1], 8, 24).values():
        save_layer(folder, layer_records)
    save_manifest(
        folder,
        RecordsManifest(
            model=model.name,
            layers=[0, 1],
            n_units=model.n_units,
            k=8,
            window=24,
            corpus=f"file:{corpus.resolve()}",
            n_windows=0,
            n_tokens=len(model.encode(words)),
        ),
    )
