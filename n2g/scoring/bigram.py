"""Bigram lookup: the key of position i is the pair (token i-1, token i) inside the
example window; value = the largest normalised activation seen for that pair in training.
An unseen pair predicts 0, and so does a window's first token (it has no pair inside the
window): there is no fallback to the token alone, which is the token lookup's job.

Between the token lookup (no context) and the 5-gram lookup (four tokens of context): it
asks whether one token of context already explains a unit. A pair is coded as one int64
(previous id * 2^32 + id; the first position's code is negative and never seen), so a
window is answered by one sorted search, and its codes are made once (`keys`) for every
unit asked about it.
"""

from __future__ import annotations

import numpy as np

from n2g.scoring.base import Examples, Scorer

_SHIFT = np.int64(1 << 32)


def pair_codes(tokens: np.ndarray) -> np.ndarray:
    """int64 code of (previous token, token) per position; -1 stands before the first."""
    tokens = np.asarray(tokens, dtype=np.int64)
    previous = np.concatenate([np.full(min(len(tokens), 1), -1, np.int64), tokens[:-1]])
    return previous * _SHIFT + tokens


class BigramLookup(Scorer):
    """Largest normalised activation seen per (previous token, token) pair."""

    name = "bigram"
    label = "Bigram lookup"
    short = "bigram"
    order = 30

    def __init__(self, examples: Examples) -> None:
        codes = [pair_codes(t)[1:] for t, _ in examples]
        acts = [np.asarray(a, dtype=np.float32)[1:] for _, a in examples]
        flat = np.concatenate(codes) if codes else np.zeros(0, np.int64)
        values = np.concatenate(acts) if acts else np.zeros(0, np.float32)
        self._codes, inverse = np.unique(flat, return_inverse=True)
        best = np.full(len(self._codes), -np.inf, dtype=np.float32)
        np.maximum.at(best, inverse.reshape(-1), values)
        self._best = best

    def predict(self, tokens: np.ndarray) -> np.ndarray:
        return self.predict_keys(pair_codes(tokens))

    @classmethod
    def keys(cls, tokens: np.ndarray) -> np.ndarray:
        return pair_codes(tokens)

    def predict_keys(self, keys: np.ndarray) -> np.ndarray:
        out = np.zeros(len(keys), dtype=np.float32)
        if len(self._codes) == 0:
            return out
        at = np.minimum(np.searchsorted(self._codes, keys), len(self._codes) - 1)
        seen = self._codes[at] == keys
        out[seen] = self._best[at[seen]]
        return out
