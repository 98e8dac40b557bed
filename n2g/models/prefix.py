"""Passes that start where sequences part: keys and values of a shared prefix, reused.

The builder asks about many sequences that agree with one another up to some position: an
example and its masked copies (saliency), an example and its substituted copies
(augmentation), and an augmented example and its masked copies. The model is causal, so up
to the first differing token every layer computes exactly what it computed for the other
sequence; only the attention keys and values of those positions are needed later on.
`prefix_states` keeps them for a batch (transformer_lens' key-value cache, filled by one
pass); `gather_after_prefix` then runs only the tokens after a kept prefix, attending to the
stored ones, and reads unit activations like `NeuronModel.gather_activations`;
`extend_states` does the same and returns the states of the longer sequences, for a further
level of sequences that agree with those.

Kept prefixes of different lengths share a pass: they are left-padded to the longest, the
padding masked out of attention and left out of the positions (rotary or absolute), and the
suffixes right-padded (causal: padding after a token never reaches it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from transformer_lens.cache.key_value_cache import TransformerLensKeyValueCache
from transformer_lens.cache.key_value_cache_entry import TransformerLensKeyValueCacheEntry

if TYPE_CHECKING:
    from n2g.models.base import NeuronModel


@dataclass
class PrefixStates:
    """Per-layer attention keys and values of a batch of sequences, position p of row i at
    index p (BOS first when there is one; past a row's end: padding, never read)."""

    keys: list[torch.Tensor]  # per layer computed: [B, bos + T, kv_heads, d_head]
    values: list[torch.Tensor]
    lengths: torch.Tensor  # tokens of each sequence, BOS excluded
    bos: int  # 1 when a BOS position precedes every sequence, else 0

    @classmethod
    def join(cls, parts: Sequence[PrefixStates]) -> PrefixStates:
        """The states of several passes as one batch, in order."""
        width = max(p.keys[0].shape[1] for p in parts)

        def stack(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
            pad = torch.nn.functional.pad
            return torch.cat([pad(t, (0, 0, 0, 0, 0, width - t.shape[1])) for t in tensors])

        n_layers = len(parts[0].keys)
        return cls(
            keys=[stack([p.keys[i] for p in parts]) for i in range(n_layers)],
            values=[stack([p.values[i] for p in parts]) for i in range(n_layers)],
            lengths=torch.cat([p.lengths for p in parts]),
            bos=parts[0].bos,
        )


@torch.inference_mode()
def prefix_states(model: NeuronModel, batch: Sequence[Sequence[int]], layer: int) -> PrefixStates:
    """The keys and values of every attention layer up to `layer` at every position of each
    sequence (BOS included), from one pass."""
    model.check_layer(layer)
    tokens, lengths = model._pad(batch)
    cache = TransformerLensKeyValueCache.init_cache(model.model.cfg, model.device, tokens.shape[0])
    model._run_until(
        tokens,
        {layer: lambda value: None},
        past_kv_cache=cache,
        attention_mask=torch.ones_like(tokens, device=model.device),
    )
    computed = [e for e in cache.entries if e.past_keys.shape[1] > 0]
    return PrefixStates(
        keys=[e.past_keys for e in computed],
        values=[e.past_values for e in computed],
        lengths=lengths,
        bos=tokens.shape[1] - int(lengths.max()) if len(lengths) else 0,
    )


@dataclass
class _SuffixPass:
    """One pass over suffixes after left-padded kept prefixes (the shared part of
    `gather_after_prefix` and `extend_states`)."""

    tokens: torch.Tensor  # [B, n] right-padded suffixes
    lengths: torch.Tensor  # [B] suffix lengths
    reused: torch.Tensor  # [B] kept positions (BOS included)
    cache: TransformerLensKeyValueCache

    @classmethod
    def build(
        cls,
        model: NeuronModel,
        states: PrefixStates,
        bases: Sequence[int],
        keeps: Sequence[int],
        suffixes: Sequence[Sequence[int]],
        retain: bool,
    ) -> _SuffixPass:
        index = torch.as_tensor(bases, dtype=torch.long)
        reused = torch.as_tensor(keeps, dtype=torch.long) + states.bos
        if bool((reused < 1).any()) or bool((reused > states.lengths[index] + states.bos).any()):
            raise ValueError("a kept prefix is empty or longer than its sequence")
        lengths = torch.tensor([len(s) for s in suffixes], dtype=torch.long)
        if bool((lengths < 1).any()):
            raise ValueError("every suffix needs at least one token")
        tokens = torch.full((len(suffixes), int(lengths.max())), model.tokenizer.pad_token_id)
        for i, suffix in enumerate(suffixes):
            tokens[i, : len(suffix)] = torch.as_tensor(suffix, dtype=torch.long)
        width = int(reused.max())
        start = width - reused  # left padding of each kept prefix
        slots = torch.arange(width)[None, :]
        source = (slots - start[:, None]).clamp(min=0)  # [B, width] position in the base
        mask = (slots >= start[:, None]).to(torch.int)
        entries = [
            TransformerLensKeyValueCacheEntry(
                k[index[:, None], source], v[index[:, None], source], frozen=not retain
            )
            for k, v in zip(states.keys, states.values, strict=True)
        ]
        cache = TransformerLensKeyValueCache(entries, mask.to(model.device), frozen=not retain)
        return cls(tokens, lengths, reused, cache)

    def run(self, model: NeuronModel, layer: int, read: Callable[[torch.Tensor], None]) -> None:
        model._run_until(
            self.tokens,
            {layer: read},
            past_kv_cache=self.cache,
            attention_mask=torch.ones_like(self.tokens, device=model.device),
        )


@torch.inference_mode()
def gather_after_prefix(
    model: NeuronModel,
    states: PrefixStates,
    bases: Sequence[int],
    keeps: Sequence[int],
    suffixes: Sequence[Sequence[int]],
    layer: int,
    positions: Sequence[int],
    units: Sequence[int],
    rows: Sequence[int] | None = None,
) -> torch.Tensor:
    """float32 [R]: like `gather_activations` for the sequences
    `batch[bases[i]][:keeps[i]] + suffixes[i]` (`batch`: what `states` hold), running only
    the suffixes. `positions` count in the suffix; request r reads suffix `rows[r]`
    (default: suffix r)."""
    model.check_layer(layer)
    asked = range(len(suffixes)) if rows is None else rows
    row_index = torch.as_tensor(asked, dtype=torch.long)
    position = torch.as_tensor(positions, dtype=torch.long)
    out = torch.zeros(len(row_index), dtype=torch.float32)
    if len(row_index) == 0:
        return out
    run = _SuffixPass.build(model, states, bases, keeps, suffixes, retain=False)
    if bool((position >= run.lengths[row_index]).any()):
        raise ValueError("a requested position is past the end of its suffix")
    run.run(model, layer, model._reader(out, row_index, position, torch.as_tensor(units)))
    return out


@torch.inference_mode()
def extend_states(
    model: NeuronModel,
    states: PrefixStates,
    bases: Sequence[int],
    keeps: Sequence[int],
    suffixes: Sequence[Sequence[int]],
    layer: int,
) -> PrefixStates:
    """The states of the sequences `batch[bases[i]][:keeps[i]] + suffixes[i]`, one row each,
    running only the suffixes."""
    model.check_layer(layer)
    run = _SuffixPass.build(model, states, bases, keeps, suffixes, retain=True)
    run.run(model, layer, lambda value: None)
    width = int(run.reused.max())
    total = run.reused + run.lengths  # positions of each new sequence, BOS included
    slots = torch.arange(int(total.max()))[None, :]
    # Position p of row i: in the kept prefix (left-padded by width - reused) or the suffix.
    start = width - run.reused
    index = torch.where(
        slots < run.reused[:, None],
        slots + start[:, None],
        width + slots - run.reused[:, None],
    ).clamp(max=width + run.tokens.shape[1] - 1)
    rows = torch.arange(len(suffixes))[:, None]
    return PrefixStates(
        keys=[e.past_keys[rows, index] for e in run.cache.entries],
        values=[e.past_values[rows, index] for e in run.cache.entries],
        lengths=total - states.bos,
        bos=states.bos,
    )
