"""The bigram lookup: (previous token, token) pairs seen in training, nothing else."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.scoring.bigram import BigramLookup, pair_codes


def test_a_seen_pair_predicts_its_largest_activation_and_nothing_else_does() -> None:
    train = [
        (np.array([1, 2, 3, 2]), np.array([0.9, 0.8, 0.1, 0.3])),
        (np.array([7, 1, 2]), np.array([0.0, 0.2, 0.6])),
    ]
    bigram = BigramLookup(train)
    # (1, 2) was seen twice (0.8, 0.6): the largest; (2, 3) 0.1; (3, 2) 0.3.
    assert bigram.predict(np.array([5, 1, 2, 3, 2])).tolist() == pytest.approx(
        [0, 0, 0.8, 0.1, 0.3]
    )
    # A window's first token has no pair: 0, even though token 1 fired at a window's start
    # in training (0.9) -- no fallback to the token alone.
    assert bigram.predict(np.array([1, 2])).tolist() == pytest.approx([0, 0.8])
    # Unseen pairs, and tokens unseen altogether: 0.
    assert bigram.predict(np.array([2, 1, 99, 100_000])).tolist() == [0, 0, 0, 0]


def test_negative_activations_are_kept_and_nothing_trained_predicts_zeros() -> None:
    train = [(np.array([4, 5, 4, 5]), np.array([0.0, -0.4, 0.0, -0.2]))]
    assert BigramLookup(train).predict(np.array([4, 5])).tolist() == pytest.approx([0, -0.2])
    assert BigramLookup([]).predict(np.array([1, 2, 3])).tolist() == [0, 0, 0]
    assert BigramLookup(train).predict(np.array([], dtype=np.int64)).tolist() == []


def test_keys_made_once_give_the_same_predictions_as_a_plain_table() -> None:
    rng = np.random.default_rng(0)
    train = [(rng.integers(0, 9, 40), rng.random(40).astype(np.float32)) for _ in range(5)]
    bigram = BigramLookup(train)
    table: dict[tuple[int, int], float] = {}
    for tokens, acts in train:
        for prev, tok, act in zip(tokens[:-1], tokens[1:], acts[1:], strict=True):
            table[(prev, tok)] = max(table.get((prev, tok), -np.inf), float(act))
    for window in (rng.integers(0, 12, 30), train[2][0]):
        plain = [0.0] + [
            table.get((p, t), 0.0) for p, t in zip(window[:-1], window[1:], strict=True)
        ]
        np.testing.assert_allclose(bigram.predict(window), plain, rtol=0, atol=0)
        np.testing.assert_array_equal(
            bigram.predict_keys(pair_codes(window)), bigram.predict(window)
        )
