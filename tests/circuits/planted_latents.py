"""SAEs and transcoders made in code on the tiny seeded model, with a planted circuit: one
latent's encoder column reads an earlier unit's write direction (SCALE times it), so that
unit is its feeder by construction. Saved in SAELens' format, they load as `path:` specs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from n2g.models.base import NeuronModel
from n2g.sae import SAEUnits

MODEL = "tiny-gelu-3l-s0"  # loadable by name, so `n2g feeds` rebuilds it
A = 5  # the neuron of layer 0 the planted latents read
FEEDER, FED = 3, 6  # latent FED reads what it is planted to; a latent FEEDER feeds it
SCALE = 50.0


def made_sae(model: NeuronModel, hook: str, seed: int, width: int = 16) -> Any:
    from sae_lens import StandardSAE, StandardSAEConfig

    torch.manual_seed(seed)
    d = int(model.model.cfg.d_model)
    sae = StandardSAE(StandardSAEConfig(d_in=d, d_sae=width))
    sae.cfg.metadata.hook_name = hook
    with torch.no_grad():
        sae.W_enc.copy_(torch.randn(d, width) * 0.1)
        sae.W_dec.copy_(torch.nn.functional.normalize(torch.randn(width, d), dim=1))
    return sae


def made_transcoder(model: NeuronModel, layer: int, seed: int, width: int = 16) -> Any:
    from sae_lens import Transcoder, TranscoderConfig

    torch.manual_seed(seed)
    d = int(model.model.cfg.d_model)
    tc = Transcoder(TranscoderConfig(d_in=d, d_sae=width, d_out=d, apply_b_dec_to_input=False))
    tc.cfg.metadata.hook_name = f"blocks.{layer}.ln2.hook_normalized"
    tc.cfg.metadata.hook_name_out = f"blocks.{layer}.hook_mlp_out"
    with torch.no_grad():
        tc.W_enc.copy_(torch.randn(d, width) * 0.1)
        tc.W_dec.copy_(torch.nn.functional.normalize(torch.randn(width, d), dim=1))
    return tc


def plant_reading_neuron(model: NeuronModel, sae: Any) -> None:
    """Latent FED of `sae` reads neuron A of layer 0's write direction."""
    with torch.no_grad():
        sae.W_enc[:, FED] = model.model.blocks[0].mlp.W_out[A] * SCALE


def plant_reading_latent(model: NeuronModel, earlier: Any, later: Any) -> None:
    """Latent FED of transcoder `later` (block 1) reads latent FEEDER of `earlier`'s decoder row,
    and no other latent of `later` reads it at all (their encoder columns, ln2 folded,
    made orthogonal to it), so FEEDER's direct effect goes to FED alone; FEEDER is made to fire
    strongly, so it stands out among `earlier`'s random latents."""
    with torch.no_grad():
        earlier.W_enc[:, FEEDER] *= 10
        row = earlier.W_dec[FEEDER]
        later.W_enc[:, FED] = row * SCALE
        ln2 = model.model.blocks[1].ln2
        seen = row - row.mean()  # what a column reads of it, through LayerNorm's centring
        w = getattr(ln2, "w", None)
        seen = seen * w if isinstance(w, torch.Tensor) else seen
        others = [c for c in range(later.W_enc.shape[1]) if c != FED]
        columns = later.W_enc[:, others]
        later.W_enc[:, others] = columns - seen[:, None] * (seen @ columns) / (seen @ seen)


def units(name: str, sae: Any) -> SAEUnits:
    return SAEUnits.from_sae(name, sae)


def save(sae: Any, folder: Path) -> str:
    """`sae` saved in SAELens' format; its `path:` spec."""
    sae.save_model(str(folder))
    return f"path:{folder}"
