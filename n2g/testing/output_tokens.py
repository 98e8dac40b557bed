"""The plain reference of a unit's output tokens: one unit at a time, the folding spelt out.

For each unit alone: its write direction, centred where the final norm is a LayerNorm,
times the unembedding with the norm's scale applied row by row, centred over the
vocabulary, then a full sort. No slicing into passes, no cached unembedding, no top-k:
what n2g.models.logit_lens computes in one product a slice, the way a first version would.
The tests hold the two equal; bench/output_tokens.py times them side by side.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from n2g.graph.model import OutputTokens, TokenLogits
from n2g.models.base import NeuronModel
from n2g.models.logit_lens import n_named_tokens, write_directions


def plain_output_tokens(
    model: NeuronModel, layer: int, units: Sequence[int], k: int
) -> list[OutputTokens] | None:
    """Each unit's k most promoted and suppressed tokens, computed unit by unit."""
    hooked = model.model
    out = []
    for unit in units:
        directions = write_directions(model, layer, [unit])
        if directions is None:
            return None
        direction = directions[0].double()
        if hooked.cfg.normalization_type in ("LN", "LNPre"):
            direction = direction - direction.mean()
        unembed = hooked.W_U.detach().double().to(direction.device)
        scale = getattr(hooked.ln_final, "w", None)
        if isinstance(scale, torch.Tensor):
            unembed = unembed * scale.detach().double().to(direction.device)[:, None]
        product = direction @ unembed
        logits = (product - product.mean())[: n_named_tokens(model)].cpu().tolist()
        ranked = sorted(range(len(logits)), key=lambda i: (-logits[i], i))
        lowest = sorted(range(len(logits)), key=lambda i: (logits[i], i))
        out.append(
            OutputTokens(
                promoted=_side(model, ranked[:k], logits),
                suppressed=_side(model, lowest[:k], logits),
            )
        )
    return out


def _side(model: NeuronModel, ids: list[int], logits: list[float]) -> TokenLogits:
    return TokenLogits(
        token_ids=ids, tokens=model.token_strings(ids), logits=[logits[i] for i in ids]
    )
