"""Pivot activations of one-token variants of examples, sharing the unchanged prefix.

Saliency's masked copies and augmentation's candidates are both an example with one token
changed (masked or substituted) and the neuron read at its last token, the pivot. Before
the changed position k the variant IS the example, and the model is causal: every layer's
keys and values there are the example's own. So each example runs once to keep them
(`NeuronModel.prefix_states`), and a variant then runs only its L-k tokens from k on
(`gather_after_prefix`) instead of all L: masking every position of an example costs
~L^2/2 tokens instead of L^2, a substituted pivot 1 token instead of L. The answers are
those of full passes (to float rounding: the same sums in another order).

The base pass costs L tokens, so an example takes this route only when its variants save
clearly more than that (`worth_sharing`); the rest, short examples and variants at
position 0, run as whole rows through `pivot_batch` as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from n2g.builder.examples import PivotRow, pivot_batch
from n2g.models.base import NeuronModel
from n2g.models.prefix import PrefixStates

# Token budget (base tokens, padding included) of the examples whose states are held at
# once: per token and layer SmolLM2 keeps 2 x 3 heads x 64 values (keys and values), so
# 8,192 tokens x 30 layers is ~190 MB in float32.
STATE_TOKENS = 8192
# Share an example's prefix only when its variants skip at least this many times the
# tokens its own base pass costs (each extra pass and the cache copies cost something too).
SHARE_MARGIN = 2.0
# Padding a pass may add to its longest-first sorted sequences before a new pass starts:
# lengths vary widely (1-32 tokens), and one pass padded to the longest ran ~2x the tokens.
PAD_WASTE = 0.1


@dataclass(frozen=True)
class Variant:
    """`bases[base]` with position `position` replaced by `token`, read for `neuron` at the
    base's last token."""

    base: int
    position: int
    token: int
    neuron: int


def worth_sharing(length: int, positions: Sequence[int], bos: int) -> bool:
    """Whether variants at `positions` of a base of `length` tokens should reuse its prefix:
    the tokens they skip (sum of positions, BOS too) against the base pass's."""
    skipped = sum(k + bos for k in positions if k + bos > 0)
    return skipped >= SHARE_MARGIN * (length + bos)


def variant_activations(
    model: NeuronModel,
    layer: int,
    bases: Sequence[np.ndarray],
    variants: Sequence[Variant],
    batch_rows: int,
    share_prefix: bool = True,
) -> np.ndarray:
    """float32 [len(variants)]: each variant's neuron activation at its pivot."""
    out = np.zeros(len(variants), dtype=np.float32)
    bos = int(model.prepend_bos and model.tokenizer.bos_token_id is not None)
    by_base: dict[int, list[int]] = {}
    for i, v in enumerate(variants):
        by_base.setdefault(v.base, []).append(i)
    shared: dict[tuple[int, ...], list[int]] = {}  # distinct base tokens -> variant indices
    whole: list[int] = []
    for base, indices in by_base.items():
        reuse = [i for i in indices if variants[i].position + bos > 0]
        positions = [variants[i].position for i in reuse]
        if share_prefix and worth_sharing(len(bases[base]), positions, bos):
            key = tuple(int(t) for t in bases[base])
            shared.setdefault(key, []).extend(reuse)
            whole.extend(i for i in indices if variants[i].position + bos == 0)
        else:
            whole.extend(indices)
    if whole:
        rows = [_whole_row(bases[variants[i].base], variants[i]) for i in whole]
        out[whole] = pivot_batch(model, layer, rows, batch_rows)
    keys = sorted(shared, key=len)
    for chunk in _chunks(keys):
        _run_shared(model, layer, chunk, [shared[k] for k in chunk], variants, batch_rows, out)
    return out


def _whole_row(base: np.ndarray, variant: Variant) -> PivotRow:
    tokens = base.copy()
    tokens[variant.position] = variant.token
    return PivotRow(tokens, variant.neuron, len(tokens) - 1)


def _chunks(keys: Sequence[tuple[int, ...]]) -> list[list[tuple[int, ...]]]:
    """Consecutive keys (sorted by length) whose padded base pass fits `STATE_TOKENS`."""
    chunks: list[list[tuple[int, ...]]] = []
    for key in keys:
        if chunks and (len(chunks[-1]) + 1) * len(key) <= STATE_TOKENS:
            chunks[-1].append(key)
        else:
            chunks.append([key])
    return chunks


def length_batches(lengths: Sequence[int], max_rows: int) -> list[range]:
    """Consecutive index ranges of ascending `lengths`, each at most `max_rows` long and
    padded (to its last, longest) by at most `PAD_WASTE` of its real tokens."""
    batches: list[range] = []
    start, total = 0, 0
    for i, length in enumerate(lengths):
        rows = i - start + 1
        if rows > max_rows or rows * length > (1 + PAD_WASTE) * (total + length):
            batches.append(range(start, i))
            start, total = i, 0
        total += length
    if start < len(lengths):
        batches.append(range(start, len(lengths)))
    return batches


def _states(
    model: NeuronModel, layer: int, keys: Sequence[tuple[int, ...]], batch_rows: int
) -> PrefixStates:
    """The prefix states of `keys` (ascending length), computed in passes of similar
    lengths and joined as if from one pass."""
    parts = [
        model.prefix_states([list(keys[i]) for i in batch], layer)
        for batch in length_batches([len(k) for k in keys], batch_rows)
    ]
    return PrefixStates.join(parts)


def _run_shared(
    model: NeuronModel,
    layer: int,
    keys: Sequence[tuple[int, ...]],
    owned: Sequence[Sequence[int]],
    variants: Sequence[Variant],
    batch_rows: int,
    out: np.ndarray,
) -> None:
    """The variants of the bases `keys` (`owned[j]`: those of base j): one base pass, then
    the distinct suffixes in order of length, `batch_rows` a pass."""
    states = _states(model, layer, keys, batch_rows)
    # distinct (base, position, token) -> the variant indices it answers
    asked: dict[tuple[int, int, int], list[int]] = {}
    for j, indices in enumerate(owned):
        for i in indices:
            v = variants[i]
            asked.setdefault((j, v.position, v.token), []).append(i)
    suffixes = sorted(asked, key=lambda s: len(keys[s[0]]) - s[1])
    for batch in length_batches([len(keys[j]) - k for j, k, _ in suffixes], batch_rows):
        chunk = suffixes[batch.start : batch.stop]
        tokens = [[token, *keys[j][position + 1 :]] for j, position, token in chunk]
        asks = [(r, i) for r, s in enumerate(chunk) for i in asked[s]]
        acts = model.gather_after_prefix(
            states,
            [j for j, _, _ in chunk],
            [position for _, position, _ in chunk],
            tokens,
            layer,
            [len(tokens[r]) - 1 for r, _ in asks],
            [variants[i].neuron for _, i in asks],
            rows=[r for r, _ in asks],
        )
        out[[i for _, i in asks]] = acts.numpy()
