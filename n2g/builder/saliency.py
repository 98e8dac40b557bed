"""Saliency (paper eq. 3, with the ratio the way its text means it).

importance(k) = 1 - a(pivot, y with token k masked) / a(pivot, y): near 1 when masking k
kills the activation, 0 when it changes nothing, negative when masking raises it. The raw
value is kept for the threshold test; graph files store it clipped to [0, 1]. Masking uses
one token that is right for the tokenizer (its pad / mask token, configurable), not id 1
(the public code's choice, which is a real token such as `"` for GPT-2). All masked copies
of all examples of all neurons in a batch go through shared forward passes, each masked
copy running only from its masked position on (`n2g.builder.variants`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from n2g.builder.examples import Example
from n2g.builder.saliency_tree import group_by_origin, masked_sibling_activations
from n2g.builder.variants import Variant, variant_activations
from n2g.models.base import NeuronModel


def importances_from(masked: np.ndarray, original: float) -> np.ndarray:
    """Eq. 3 for every position given the masked pivot activations."""
    return (1.0 - masked / np.float32(original)).astype(np.float32)


def add_saliency(
    model: NeuronModel,
    layer: int,
    examples: Sequence[Example],
    *,
    mask_token_id: int,
    batch_rows: int,
    share_prefix: bool = True,
) -> None:
    """Fill `example.importances` (raw eq. 3 values, float32 [L]) for every example
    (`share_prefix`: see `n2g.builder.variants` and, for augmented examples,
    `n2g.builder.saliency_tree`)."""
    bos = int(model.prepend_bos and model.tokenizer.bos_token_id is not None)
    derived = [
        (i, e.origin, e.substituted_at, int(e.tokens[e.substituted_at]), e.neuron)
        for i, e in enumerate(examples)
        if e.origin is not None
    ]
    groups = [
        g
        for g in group_by_origin(derived)
        if share_prefix and bos and g.tree_tokens() < g.flat_tokens()
    ]
    treed = {s.index for g in groups for s in g.siblings}
    masked = masked_sibling_activations(model, layer, groups, mask_token_id, batch_rows)
    rest = [i for i in range(len(examples)) if i not in treed]
    variants = [
        Variant(i, k, mask_token_id, examples[i].neuron)
        for i in rest
        for k in range(len(examples[i].tokens))
    ]
    bases = [example.tokens for example in examples]
    acts = variant_activations(model, layer, bases, variants, batch_rows, share_prefix)
    start = 0
    for i in rest:
        length = len(examples[i].tokens)
        masked[i] = acts[start : start + length]
        start += length
    for i, example in enumerate(examples):
        example.importances = importances_from(masked[i], example.activation)
