"""Prune (paper eq. 1-2): the shortest left context that keeps the pivot firing.

Pivots (`BuildConfig.pivots`): "argmax" is the paper's eq. 1, e = the argmax of the
recorded activations, one pivot per example (the paper). "firing" (the default) makes EVERY
token of the window that fires (a / a_max >= the firing threshold, the same test the
evaluation scores; the argmax always included) a pivot of its own pruned example: with one
pivot per window a neuron that fires on several tokens of its top windows only ever learns
the strongest one, and its graph misses the rest (low recall against the token-lookup
baseline, which learns every firing token). Exact duplicates among a neuron's pruned
examples are dropped. On SmolLM2 layers 0-3 "firing" raised mean F1 by 0.01 to 0.12
(`bench/results/fidelity-w*.md`).

For a pivot e the answer is the smallest length L such
that a(e, x[e-L+1 .. e]) >= threshold * a(e, x). The reference a(e, x) is the recorded
activation (the model is causal, so the window's activation at e is the activation of its
prefix ending at e; records come from the same model, which `n2g build` checks). The paper
grows one token at a time; so does this, exactly, but the lengths of a round are evaluated
together: every still-open example (of every neuron in the batch) contributes the lengths
c .. c+b-1 to one batched pass, and leaves the queue as soon as its answer is known, or
when `max_context` lengths were tried without one (it then keeps that many tokens). Most
answers are short (1-3 tokens on SmolLM2), so rounds start small (`block` lengths) and grow
by one length every fourth round: a pass over L tokens costs ~L, and lengths tried past the
answer are waste. Against the tokens the answers needed (SmolLM2 layer 20, 32 neurons),
doubling every round tried ~2x, doubling every second round 1.34x, this 1.13x, for a few
more passes (11 rounds to reach 32 tokens instead of 7); the answers are the same whatever
the schedule, as every length up to the first hit is tried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from n2g.builder.examples import Example, PivotRow, pivot_batch
from n2g.models.base import NeuronModel

MAX_BLOCK = 64


@dataclass
class Source:
    """A recorded example to prune: its window, the neuron, the pivot and its activation."""

    neuron: int
    tokens: np.ndarray  # int64, the real (unpadded) window
    pivot: int  # index of the pivot token in the window
    activation: float  # the recorded activation at the pivot: a(e, x)


def make_source(neuron: int, tokens: np.ndarray, acts: np.ndarray) -> Source:
    """Pivot (eq. 1) = the first position of the maximum recorded activation."""
    pivot = int(np.argmax(acts))
    return Source(neuron, np.asarray(tokens, dtype=np.int64), pivot, float(acts[pivot]))


def pivot_positions(
    acts: np.ndarray, a_max: float, firing_threshold: float, mode: str
) -> list[int]:
    """The pivots of one window, ascending: the argmax ("argmax"), or every position with
    a / a_max >= firing_threshold plus the argmax ("firing")."""
    argmax = int(np.argmax(acts))
    if mode == "argmax" or a_max <= 0:
        return [argmax]
    firing = np.flatnonzero(acts / np.float32(a_max) >= np.float32(firing_threshold))
    return sorted({argmax, *(int(p) for p in firing)})


def make_sources(
    neuron: int,
    tokens: np.ndarray,
    acts: np.ndarray,
    *,
    a_max: float,
    firing_threshold: float,
    mode: str,
) -> list[Source]:
    """One source per pivot of the window (see `pivot_positions`); none at or below 0."""
    tokens = np.asarray(tokens, dtype=np.int64)
    return [
        Source(neuron, tokens, p, float(acts[p]))
        for p in pivot_positions(acts, a_max, firing_threshold, mode)
        if float(acts[p]) > 0
    ]


def unique_examples(examples: Sequence[Example | None]) -> list[Example]:
    """The examples without Nones and without exact repeats (same neuron, same tokens);
    the first of each is kept, so the order stays deterministic."""
    seen: set[tuple[int, tuple[int, ...]]] = set()
    kept = []
    for example in examples:
        if example is None or (example.neuron, example.key) in seen:
            continue
        seen.add((example.neuron, example.key))
        kept.append(example)
    return kept


def prune_examples(
    model: NeuronModel,
    layer: int,
    sources: Sequence[Source],
    *,
    threshold: float,
    block: int,
    batch_rows: int,
    max_context: int | None = None,
) -> list[Example | None]:
    """Pruned example per source (None when the pivot activation is not positive).

    `max_context` caps the lengths tried: a pivot that needs more keeps that many tokens
    (None when its activation there is not positive); see `BuildConfig.max_context`.
    """
    results: list[Example | None] = [None] * len(sources)
    next_length = {i: 1 for i, s in enumerate(sources) if s.activation > 0}

    def longest_tried(src: Source) -> int:
        return src.pivot + 1 if max_context is None else min(src.pivot + 1, max_context)

    size, rounds = block, 0
    while next_length:
        rows: list[PivotRow] = []
        owners: list[tuple[int, int]] = []  # (source index, length)
        for i, low in next_length.items():
            src = sources[i]
            end = src.pivot + 1
            for length in range(low, min(longest_tried(src), low + size - 1) + 1):
                rows.append(PivotRow(src.tokens[end - length : end], src.neuron, length - 1))
                owners.append((i, length))
        acts = pivot_batch(model, layer, rows, batch_rows)
        found: dict[int, tuple[int, float]] = {}
        longest: dict[int, float] = {}  # activation at the longest length tried this round
        for (i, length), act in zip(owners, acts, strict=True):
            longest[i] = float(act)
            hit = act >= threshold * sources[i].activation
            if hit and (i not in found or length < found[i][0]):
                found[i] = (length, float(act))
        for i in list(next_length):
            src = sources[i]
            next_length[i] += size
            if i not in found and next_length[i] > longest_tried(src):
                # The cap was reached, or (threshold ~1) the full context fell a float hair
                # short of its recorded value: the longest context tried is the answer.
                found[i] = (longest_tried(src), longest[i])
            if i in found:
                length, act = found[i]
                if act <= 0:
                    del next_length[i]
                    continue
                tokens = src.tokens[src.pivot + 1 - length : src.pivot + 1].copy()
                results[i] = Example(src.neuron, tokens, act, scale=src.activation / act)
                del next_length[i]
        rounds += 1
        size = min(block + rounds // 4, MAX_BLOCK)
    return results
