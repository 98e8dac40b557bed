"""Token folding: one map from a model's token ids to classes of tokens that read the same.

With folding on (`BuildSettings.fold_tokens`), " Paris", "Paris" and "PARIS" are one token
for a neuron graph: its trie, its evaluation and both baselines see classes, not ids. The
public N2G code compared tokens with case and surrounding whitespace removed; measured
on the same neurons it helps the graphs generalise from ten training windows
(bench/fidelity.py, variants `*+fold`).

The rule (`fold_token`) is written once and used by everything that matches a folded graph:
the builder (trie and baselines), prediction on any text (`n2g like --text`), and token
search (a query token is looked up as typed and folded). Tokens that are only whitespace
keep their own class: a newline carries structure (code, lists) a space does not.

A class is named by its folded text and numbered by its smallest member id, so a folded
trie's `token_id` is still a real token of the model. numpy only (the read side uses it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Vocabulary(Protocol):
    vocab_size: int

    def token_strings(self, ids: Sequence[int]) -> list[str]: ...


def fold_token(token: str) -> str:
    """The text a token is matched by when folding: stripped and lower-cased, unless that
    leaves nothing (whitespace-only and empty tokens stay as they are)."""
    folded = token.strip().lower()
    return folded if folded else token


class TokenClasses:
    """The folding map of one vocabulary: `canon[id]` = the smallest id of its class."""

    def __init__(self, canon: np.ndarray) -> None:
        self.canon = np.asarray(canon, dtype=np.int64)

    @classmethod
    def from_strings(cls, strings: Sequence[str]) -> TokenClasses:
        """Classes of a vocabulary given every id's token text (`strings[id]`)."""
        first: dict[str, int] = {}
        canon = np.empty(len(strings), dtype=np.int64)
        for token_id, text in enumerate(strings):
            canon[token_id] = first.setdefault(fold_token(text), token_id)
        return cls(canon)

    @property
    def n_classes(self) -> int:
        return int(len(np.unique(self.canon)))

    def map(self, token_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Each id's class id; ids outside the vocabulary stay as they are."""
        ids = np.asarray(token_ids, dtype=np.int64)
        inside = (ids >= 0) & (ids < len(self.canon))
        return np.where(inside, self.canon[np.where(inside, ids, 0)], ids)


# id(tokenizer) -> (tokenizer, its classes); the tokenizer is held so its id stays unique.
_CLASSES: dict[int, tuple[Vocabulary, TokenClasses]] = {}


def vocabulary_classes(tokenizer: Vocabulary) -> TokenClasses:
    """The classes of a tokenizer's whole vocabulary, made once per tokenizer (about a
    second for a 49k vocabulary: every token is decoded once)."""
    held = _CLASSES.get(id(tokenizer))
    if held is None:
        strings = tokenizer.token_strings(range(tokenizer.vocab_size))
        held = _CLASSES[id(tokenizer)] = (tokenizer, TokenClasses.from_strings(strings))
    return held[1]
