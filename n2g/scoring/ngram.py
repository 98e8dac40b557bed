"""5-gram lookup: the key of position i is the token and its 4 predecessors inside the
example window (fewer at the window's start); value = the largest normalised activation
seen at that key in training; unseen keys predict 0.

A stronger baseline than the paper's token lookup: it knows as much left context as most
N2G paths use, but only the exact contexts it saw. The keys of a window are made once
(`keys`) and shared by every unit asked about it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from n2g.scoring.base import Examples, Scorer

NGRAM = 5


def ngram_keys(tokens: np.ndarray, n: int = NGRAM) -> list[tuple[int, ...]]:
    values = tokens.tolist()
    return [tuple(values[max(0, i - n + 1) : i + 1]) for i in range(len(values))]


class NGramLookup(Scorer):
    """Largest normalised activation seen per (token + 4 predecessors)."""

    name = "ngram"
    label = "5-gram lookup"
    short = "n-gram"
    order = 20

    def __init__(self, examples: Examples) -> None:
        self.table: dict[tuple[int, ...], float] = {}
        for tokens, acts in examples:
            for key, act in zip(ngram_keys(tokens), acts.tolist(), strict=True):
                if act > self.table.get(key, -np.inf):
                    self.table[key] = act

    def predict(self, tokens: np.ndarray) -> np.ndarray:
        return self.predict_keys(ngram_keys(tokens))

    @classmethod
    def keys(cls, tokens: np.ndarray) -> list[tuple[int, ...]]:
        return ngram_keys(tokens)

    def predict_keys(self, keys: Sequence[tuple[int, ...]]) -> np.ndarray:
        """`predict` from keys made once (`ngram_keys`): windows shared by every unit of a
        layer are keyed once, not once per unit."""
        get = self.table.get
        return np.fromiter((get(k, 0.0) for k in keys), dtype=np.float32, count=len(keys))
