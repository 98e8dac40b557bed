"""Tiny seeded HookedTransformers built in code: tests and examples, no downloads."""

from __future__ import annotations

import torch
from transformer_lens import HookedTransformer, HookedTransformerConfig

from n2g.models.base import NeuronModel
from n2g.models.tokenizers import ByteTokenizer


def tiny_model(
    *,
    n_layers: int = 2,
    d_model: int = 32,
    d_mlp: int = 64,
    n_heads: int = 4,
    n_ctx: int = 128,
    act_fn: str = "gelu",
    seed: int = 0,
    name: str | None = None,
    device: str = "cpu",
) -> NeuronModel:
    """A randomly initialised byte-level transformer (deterministic for a seed).

    `act_fn="solu_ln"` gives the paper's SoLU architecture. Built on the CPU (the same
    weights on every machine: transformer_lens would otherwise build on a GPU when there is
    one, from another random stream), then moved to `device`.
    """
    tokenizer = ByteTokenizer()
    cfg = HookedTransformerConfig(
        n_layers=n_layers,
        d_model=d_model,
        d_head=d_model // n_heads,
        n_heads=n_heads,
        d_mlp=d_mlp,
        d_vocab=tokenizer.vocab_size,
        n_ctx=n_ctx,
        act_fn=act_fn,
        normalization_type="LN",
        seed=seed,
        device="cpu",
    )
    torch.manual_seed(seed)
    model = HookedTransformer(cfg)
    # Default init gives near-uniform, low-contrast activations; widen the embeddings so
    # tiny neurons have distinct favourite tokens, as trained models' neurons do.
    with torch.no_grad():
        generator = torch.Generator().manual_seed(seed)
        model.embed.W_E.copy_(torch.randn(model.embed.W_E.shape, generator=generator))
    if device != "cpu":
        model.to(device, print_details=False)
    return NeuronModel(
        name=name or f"tiny-{act_fn}-{n_layers}l-s{seed}",
        model=model,
        tokenizer=tokenizer,
        n_layers=n_layers,
        prepend_bos=True,
        device=device,
    )
