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
    (`share_prefix`: see `n2g.builder.variants`)."""
    variants = [
        Variant(i, k, mask_token_id, example.neuron)
        for i, example in enumerate(examples)
        for k in range(len(example.tokens))
    ]
    bases = [example.tokens for example in examples]
    acts = variant_activations(model, layer, bases, variants, batch_rows, share_prefix)
    start = 0
    for example in examples:
        length = len(example.tokens)
        example.importances = importances_from(acts[start : start + length], example.activation)
        start += length
