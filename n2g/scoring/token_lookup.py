"""Token lookup, the paper's baseline: each token id -> the largest normalised activation
it had anywhere in the training examples; unseen tokens predict 0.

A dense table over the ids seen answers a whole window with one gather: the
out-of-distribution check asks every unit about tens of thousands of tokens.
"""

from __future__ import annotations

import numpy as np

from n2g.scoring.base import Examples, Scorer


class TokenLookup(Scorer):
    """Largest normalised activation seen per token id in training."""

    name = "token_lookup"
    label = "Token lookup"
    short = "lookup"
    order = 10

    def __init__(self, examples: Examples) -> None:
        tokens = [np.asarray(t, dtype=np.int64) for t, _ in examples]
        flat = np.concatenate(tokens) if tokens else np.zeros(0, dtype=np.int64)
        acts = [np.asarray(a, dtype=np.float32) for _, a in examples]
        values = np.concatenate(acts) if acts else np.zeros(0, dtype=np.float32)
        size = int(flat.max()) + 1 if len(flat) else 0
        best = np.full(size, -np.inf, dtype=np.float32)
        np.maximum.at(best, flat, values)
        self._best = np.where(np.isfinite(best), best, np.float32(0.0))

    def predict(self, tokens: np.ndarray) -> np.ndarray:
        tokens = np.asarray(tokens, dtype=np.int64)
        known = tokens < len(self._best)
        out = np.zeros(len(tokens), dtype=np.float32)
        out[known] = self._best[tokens[known]]
        return out
