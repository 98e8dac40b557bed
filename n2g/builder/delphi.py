"""delphi's scoring protocol, LLM-free: detection and fuzzing with a predictor as the scorer.

delphi (EleutherAI; Paulo et al., "Automatically Interpreting Millions of Features in Large
Language Models", ICML 2025) scores an explanation of a unit by showing an LLM short
contexts beside it. Detection: does each context activate the unit? Fuzzing: some tokens
of each context are highlighted; are they the ones the unit fires on? Each score is a
balanced accuracy, (TPR + TNR) / 2, over activating contexts drawn from the deciles of the
unit's activations and non-activating ones. The protocol itself needs no LLM: here the
scorer is what predicts a normalised activation per token (the N2G graph, or a scoring
method of n2g.scoring), so every unit of a build gets both scores and N2G's numbers sit
beside published ones for LLM explanations.

The definitions (`level`: the build's firing threshold, 0.5 of the unit's a_max):

- Context: 32 tokens, delphi's example length. A method predicts from the context alone
  (the scorer LLM also reads only those 32 tokens); the truth is the unit's normalised
  activation there as the model computed it in the whole window.
- Activating: a window or context holds a token whose normalised activation is >= `level`.
  delphi calls a context activating when an SAE latent is nonzero in it; MLP neurons (SiLU,
  GELU) are nonzero almost everywhere, so one level serves every kind of unit: the firing
  level N2G and the baselines are scored at. (For ReLU latents it is stricter than nonzero.)
- Held out: windows never used to build the unit's graph: its test split, its recorded
  windows ranked after those used for training (records with k > n_examples +
  extra_train_examples), the weighted sample's windows not used for training (records with
  samples > 0) and the random windows of the recording corpus (the correlation score's).
  A context whose tokens occur verbatim in one of the unit's training windows is dropped
  (a random window may overlap one), and so is a repeated activating context.
- Activating contexts: one per held-out activating window: its 32 tokens with the window's
  strongest token at position 24 (delphi puts the activating token at ctx - ctx // 4),
  shifted to stay inside the window (a window shorter than 32 tokens is its own context).
- Non-activating contexts: the 32-token slices tiling the random windows from their start
  that hold no token >= `level`.
- Deciles: the activating contexts ranked by their strongest activation, weakest first
  (ties in the order given); the i-th of n (from 0) is in decile floor(10 i / n): equal
  counts, as delphi's quantiles (its decile 1 is here the last, the strongest).
- Detection: a method judges a context activating when it predicts >= `level` on any of its
  tokens. TPR over the activating contexts (and per decile), TNR over the non-activating.
- Fuzzing: the correctly highlighted samples are the activating contexts with their tokens
  >= `level` marked; the wrongly highlighted ones are the non-activating contexts with n
  random tokens marked, n = ceil(the mean count of marked tokens per correct sample)
  (delphi's rule), drawn with the unit's seed. A method calls a highlighting correct when it
  predicts >= `level` on every marked token (delphi's prompt: an example "is only correct
  if every marked token is representative of the feature").
- Balanced accuracy = (TPR + TNR) / 2; a rate over an empty class is None, and so is the
  balanced accuracy then (delphi counts such a rate as 0).

Where this differs from delphi's LLM setting: the scorer is a token predictor judging each
context alone and deterministically, not an LLM reading five shuffled contexts and a
sentence; delphi's deciles are of every activating context of a 10M-token cache, these of a
unit's held-out activating windows, which lean to the strong end (the test split holds the
unit's top windows; sample windows are drawn in proportion to their maximum); delphi marks
tokens >= 0.3 x the context's maximum in correct fuzzing samples, here those >= `level`, so
that truth and judgement share one level; the paper scores 100 activating and 100
non-activating contexts, here as many as the held-out windows give. numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from n2g.graph.evaluation import Classification, Delphi, DelphiMethod
from n2g.scoring import N2G

CONTEXT = 32  # tokens a context holds (delphi's example_ctx_len)
PIVOT_AT = CONTEXT - CONTEXT // 4  # where an activating context holds its strongest token
N_DECILES = 10

# (token ids, true normalised activation per token) of a window or a context
Window = tuple[np.ndarray, np.ndarray]


def activating_context(tokens: np.ndarray, truth: np.ndarray) -> Window:
    """A window's context around its strongest token (at PIVOT_AT, moved inside)."""
    peak = int(np.argmax(truth))
    start = min(max(peak - PIVOT_AT, 0), max(len(tokens) - CONTEXT, 0))
    return tokens[start : start + CONTEXT], truth[start : start + CONTEXT]


def tile_slices(length: int) -> list[slice]:
    """The CONTEXT-token slices tiling a window of `length` tokens from its start (a
    shorter rest is left out, unless it is the whole window)."""
    return [slice(i, i + CONTEXT) for i in range(0, max(length - CONTEXT, 0) + 1, CONTEXT)]


def tiles(tokens: np.ndarray, truth: np.ndarray) -> list[Window]:
    """A window's tiles (`tile_slices`) with their truth."""
    return [(tokens[part], truth[part]) for part in tile_slices(len(tokens))]


# Random odd multipliers of a 64-bit hash of token runs (fixed: the same runs, the same hash).
_COEFFICIENTS = np.random.default_rng(0).integers(1, 2**62, size=4096, dtype=np.uint64) | 1


def _run_hashes(runs: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of `runs` (token runs of one length, wrapping sums)."""
    weights = np.resize(_COEFFICIENTS, runs.shape[1])
    return (runs.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)


def occurs_in(contexts: Sequence[np.ndarray], windows: Sequence[np.ndarray]) -> list[bool]:
    """Whether each context occurs verbatim, as a run of consecutive tokens, in one of
    `windows` (hashes find the candidates, a comparison confirms each)."""
    found = [False] * len(contexts)
    for length in sorted({len(c) for c in contexts}):
        runs = [
            np.lib.stride_tricks.sliding_window_view(np.asarray(w, np.int64), length)
            for w in windows
            if len(w) >= length
        ]
        if not runs:
            continue
        hashes = set(_run_hashes(np.concatenate(runs)).tolist())
        mine = [i for i, c in enumerate(contexts) if len(c) == length]
        ours = _run_hashes(np.stack([np.asarray(contexts[i], np.int64) for i in mine]))
        for i, value in zip(mine, ours.tolist(), strict=True):
            context = np.asarray(contexts[i], np.int64)
            found[i] = value in hashes and any(bool((r == context).all(axis=1).any()) for r in runs)
    return found


@dataclass
class HeldOut:
    """A unit's delphi contexts: activating ones with their decile, non-activating ones."""

    activating: list[Window]
    deciles: np.ndarray  # int, 0 (weakest) .. N_DECILES - 1, one per activating context
    non_activating: list[Window]
    tile_index: list[int]  # each non-activating context's place among the random tiles

    @property
    def contexts(self) -> list[np.ndarray]:
        """Every context's tokens, activating first: what the methods predict on."""
        return [t for t, _ in self.activating] + [t for t, _ in self.non_activating]


def deciles(strengths: Sequence[float]) -> np.ndarray:
    """Each value's decile among `strengths` (equal counts, weakest first, ties in order)."""
    n = len(strengths)
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(np.asarray(strengths, dtype=np.float64), kind="stable")] = np.arange(n)
    return rank * N_DECILES // max(n, 1)


def held_out_contexts(
    windows: Sequence[Window],
    random: Sequence[Window],
    train: Sequence[np.ndarray],
    level: float,
) -> HeldOut:
    """The unit's contexts from its held-out `windows` (activating contexts; the random
    windows among them too) and its `random` windows (non-activating slices), none found
    verbatim in a `train` window (see the module docstring)."""
    cut = [activating_context(t, a) for t, a in windows if len(a) and float(a.max()) >= level]
    seen: set[bytes] = set()
    activating = []
    for context in cut:
        key = np.asarray(context[0], np.int64).tobytes()
        if key not in seen:
            seen.add(key)
            activating.append(context)
    every = [s for t, a in random for s in tiles(t, a)]
    index = [i for i, (_, a) in enumerate(every) if len(a) and float(a.max()) < level]
    quiet = [every[i] for i in index]
    kept = [not found for found in occurs_in([t for t, _ in activating + quiet], train)]
    n = len(activating)
    activating = [c for c, keep in zip(activating, kept[:n], strict=True) if keep]
    index = [i for i, keep in zip(index, kept[n:], strict=True) if keep]
    strengths = [float(a.max()) for _, a in activating]
    return HeldOut(activating, deciles(strengths), [every[i] for i in index], index)


def _judged(positive: np.ndarray, negative: np.ndarray, decile: np.ndarray) -> Classification:
    """Rates from a method's answers: `positive[i]` whether it called the i-th activating
    context activating (correctly highlighted), `negative[j]` whether it called the j-th
    non-activating one so (wrongly: a false positive)."""
    tpr = float(positive.mean()) if len(positive) else None
    tnr = 1.0 - float(negative.mean()) if len(negative) else None
    return Classification(
        balanced_accuracy=(tpr + tnr) / 2 if tpr is not None and tnr is not None else None,
        true_positive_rate=tpr,
        true_negative_rate=tnr,
        decile_hits=np.bincount(decile[positive], minlength=N_DECILES).tolist(),
    )


def _groups(sizes: Sequence[int]) -> np.ndarray:
    """The start of each group of consecutive items of these (non-zero) sizes."""
    starts = np.zeros(len(sizes), dtype=np.int64)
    starts[1:] = np.cumsum(sizes)[:-1]
    return starts


def delphi_scores(
    held_out: HeldOut,
    predicted: Mapping[str, Sequence[np.ndarray]],
    level: float,
    rng: np.random.Generator,
) -> Delphi:
    """Detection and fuzzing of every method in `predicted` (keys n2g and the scoring
    methods' names; each one prediction per context of `held_out.contexts`, in order)."""
    n = len(held_out.activating)
    marked = [np.flatnonzero(truth >= level) for _, truth in held_out.activating]
    n_highlighted = max(1, math.ceil(np.mean([len(m) for m in marked]))) if marked else 1
    wrong = [
        rng.choice(len(t), size=min(n_highlighted, len(t)), replace=False)
        for t, _ in held_out.non_activating
    ]
    # Every context's tokens and every sample's marked tokens, flat: one pass a method.
    sizes = [len(t) for t in held_out.contexts]
    starts = _groups(sizes)
    marks = [m + start for m, start in zip(marked + wrong, starts, strict=True)]
    mark_starts = _groups([len(m) for m in marks])
    flat_marks = np.concatenate(marks) if marks else np.zeros(0, np.int64)

    def scores(values: Sequence[np.ndarray]) -> DelphiMethod:
        if not sizes:
            nothing = np.zeros(0, dtype=bool)
            return DelphiMethod(detection=_judged(nothing, nothing, held_out.deciles),
                                fuzzing=_judged(nothing, nothing, held_out.deciles))  # fmt: skip
        fires = np.concatenate([np.asarray(v) for v in values]) >= level
        detected = np.logical_or.reduceat(fires, starts)
        right = np.logical_and.reduceat(fires[flat_marks], mark_starts)
        return DelphiMethod(
            detection=_judged(detected[:n], detected[n:], held_out.deciles),
            fuzzing=_judged(right[:n], right[n:], held_out.deciles),
        )

    return Delphi(
        context_tokens=CONTEXT,
        decile_sizes=np.bincount(held_out.deciles, minlength=N_DECILES).tolist(),
        n_non_activating=len(held_out.non_activating),
        n_highlighted=n_highlighted,
        n2g=scores(predicted[N2G]),
        baselines={name: scores(v) for name, v in predicted.items() if name != N2G},
    )
