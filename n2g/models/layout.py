"""Weight layouts that turn transformer_lens' per-pass weight copies into views.

transformer_lens copies weight matrices on every forward pass: the gated MLP calls
`F.linear(x, W.T.contiguous())` for its three matrices, and attention rearranges W_Q, W_K,
W_V ("h m d -> (h d) m") and W_O ("h d m -> m (h d)") into matrices that are not views of
the stored layout. Per SmolLM2 layer that is ~3.5M values copied per pass whatever its
size, which the builder's many small passes (pruning's late rounds, masked suffixes of a
few tokens) pay over and over: 13% of a deep-layer build with the helper. The unembedding
does the same with `W_U.T.contiguous()` (28M values for SmolLM2) on every causal-helper
pass: 9% of a layers 0-3 build with the helper. Storing each
parameter in the memory order those expressions read (same shape, same values, other
strides) makes `.contiguous()` and the reshapes free. The matrices the matmuls see are the
same contiguous tensors as before, so every activation is bit-identical (tests check it).
"""

from __future__ import annotations

import torch
from transformer_lens import HookedTransformer
from transformer_lens.components.mlps.gated_mlp import GatedMLP

# Parameter name -> the permutation whose result transformer_lens makes contiguous.
ATTENTION_ORDERS = {
    "W_Q": (0, 2, 1),  # [head, d_model, d_head] read as rows (head d_head) of d_model
    "W_K": (0, 2, 1),
    "W_V": (0, 2, 1),
    "_W_K": (0, 2, 1),  # grouped-query attention stores K and V unexpanded
    "_W_V": (0, 2, 1),
    "W_O": (2, 0, 1),  # [head, d_head, d_model] read as d_model rows of (head d_head)
}
GATED_MLP_ORDERS = {"W_gate": (1, 0), "W_in": (1, 0), "W_out": (1, 0)}
UNEMBED_ORDERS = {"W_U": (1, 0)}  # read as F.linear(x, W_U.T.contiguous())


def store_for_reading(param: torch.nn.Parameter, order: tuple[int, ...]) -> None:
    """Keep `param`'s values, stored so that `param.permute(order)` is contiguous."""
    inverse = tuple(order.index(i) for i in range(len(order)))
    param.data = param.data.permute(order).contiguous().permute(inverse)


def relayout(model: HookedTransformer) -> None:
    """Re-store the weights of every block and the unembedding as transformer_lens reads
    them (in place)."""
    orders: list[tuple[torch.nn.Module, dict[str, tuple[int, ...]]]] = [
        (model.unembed, dict(UNEMBED_ORDERS))
    ]
    for block in model.blocks:
        orders.append((block.attn, dict(ATTENTION_ORDERS)))
        if isinstance(block.mlp, GatedMLP):
            orders.append((block.mlp, dict(GATED_MLP_ORDERS)))
    for module, by_name in orders:
        for name, order in by_name.items():
            param = module._parameters.get(name)
            if param is not None and param.dim() == len(order):
                store_for_reading(param, order)
