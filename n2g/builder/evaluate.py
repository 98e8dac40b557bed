"""Evaluation: the paper's protocol, its two baselines, and an out-of-distribution check.

- Split: a neuron's top `n_examples` recorded examples, shuffled with a seed fixed per
  (seed, layer, neuron), `train_fraction` of them (paper: 10 of 20) build the graph, the
  rest test it.
- Truth: recorded activation / a_max; "firing" = normalised activation >= 0.5.
- Scores: precision, recall, F1 of the firing class over every test token. Undefined
  values are None: precision when nothing is predicted firing, recall when nothing truly
  fires; F1 = 2TP / (2TP + FP + FN), None only when both are empty. Neurons with no firing
  test token are counted (`n_test_firing == 0`) and reported (n2g.graph.quality), not dropped.
- Token lookup baseline: each token id -> the largest normalised activation it had anywhere
  in the training examples; unseen tokens predict 0.
- 5-gram baseline: the key of position i is the token and its 4 predecessors inside the
  example window (fewer at the window's start); value = the largest normalised activation
  seen at that key in training; unseen keys predict 0.
- Out of distribution: random windows of another corpus; the model's real activations
  there are the truth; reports the false-positive rate (predicted firing among truly
  non-firing tokens) and the scores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from n2g.graph.model import (
    BaselineOutOfDistribution,
    Correlation,
    Evaluation,
    OutOfDistribution,
    Scores,
)
from n2g.graph.quality import METHODS

NGRAM = 5


def split_indices(
    n: int, train_fraction: float, seed: int, layer: int, neuron: int
) -> tuple[list[int], list[int]]:
    """Deterministic train/test split of n examples (at least one of each when n >= 2)."""
    order = np.random.default_rng([seed, layer, neuron]).permutation(n).tolist()
    n_train = min(max(int(round(n * train_fraction)), 1), n - 1) if n >= 2 else n
    return sorted(order[:n_train]), sorted(order[n_train:])


def firing_scores(truth: np.ndarray, predicted: np.ndarray) -> Scores:
    """P/R/F1 of the firing class from boolean arrays."""
    tp = int(np.sum(truth & predicted))
    fp = int(np.sum(~truth & predicted))
    fn = int(np.sum(truth & ~predicted))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return Scores(precision=precision, recall=recall, f1=f1)


class TokenLookup:
    """Baseline: largest normalised activation seen per token id in training."""

    def __init__(self, examples: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        tokens = [np.asarray(t, dtype=np.int64) for t, _ in examples]
        flat = np.concatenate(tokens) if tokens else np.zeros(0, dtype=np.int64)
        acts = [np.asarray(a, dtype=np.float32) for _, a in examples]
        values = np.concatenate(acts) if acts else np.zeros(0, dtype=np.float32)
        # A dense table over the ids seen: one gather answers a whole window (the
        # out-of-distribution check asks every neuron about tens of thousands of tokens).
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


def ngram_keys(tokens: np.ndarray, n: int = NGRAM) -> list[tuple[int, ...]]:
    values = tokens.tolist()
    return [tuple(values[max(0, i - n + 1) : i + 1]) for i in range(len(values))]


class NGramLookup:
    """Baseline: largest normalised activation seen per (token + 4 predecessors)."""

    def __init__(self, examples: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        self.table: dict[tuple[int, ...], float] = {}
        for tokens, acts in examples:
            for key, act in zip(ngram_keys(tokens), acts.tolist(), strict=True):
                if act > self.table.get(key, -np.inf):
                    self.table[key] = act

    def predict(self, tokens: np.ndarray) -> np.ndarray:
        return self.predict_keys(ngram_keys(tokens))

    def predict_keys(self, keys: Sequence[tuple[int, ...]]) -> np.ndarray:
        """`predict` from keys made once (`ngram_keys`): windows shared by every neuron
        of a layer are keyed once, not once per neuron."""
        get = self.table.get
        return np.fromiter((get(k, 0.0) for k in keys), dtype=np.float32, count=len(keys))


def evaluate_split(
    predict_many: Callable[[Sequence[np.ndarray]], list[np.ndarray]],
    train: Sequence[tuple[np.ndarray, np.ndarray]],
    test: Sequence[tuple[np.ndarray, np.ndarray]],
    firing_threshold: float,
    predicted: Mapping[str, Sequence[np.ndarray]] | None = None,
) -> Evaluation:
    """Score N2G (`predict_many(list of token arrays)`) and both baselines on `test`.

    `train`/`test` are (tokens, normalised activations) of whole recorded windows;
    `predicted`: the three methods' predictions on `test`'s windows (keys n2g,
    token_lookup, ngram) when the caller has them already (the correlation score reuses
    them), instead of predicting here.
    """
    if test:
        tokens = [t for t, _ in test]
        truth = np.concatenate([a for _, a in test]) >= firing_threshold
        if predicted is None:
            token_lookup, ngram = TokenLookup(train), NGramLookup(train)
            predicted = {
                "n2g": predict_many(tokens),
                "token_lookup": [token_lookup.predict(t) for t in tokens],
                "ngram": [ngram.predict(t) for t in tokens],
            }
        n2g, lookup, five = (np.concatenate(predicted[m]) for m in METHODS)
    else:
        truth = n2g = lookup = five = np.zeros(0, dtype=np.float32)
        truth = truth >= firing_threshold
    return Evaluation(
        firing_threshold=firing_threshold,
        n_train_examples=len(train),
        n_test_examples=len(test),
        n_test_tokens=len(truth),
        n_test_firing=int(truth.sum()),
        n2g=firing_scores(truth, n2g >= firing_threshold),
        token_lookup=firing_scores(truth, lookup >= firing_threshold),
        ngram=firing_scores(truth, five >= firing_threshold),
    )


def _firing_on(
    predictions: Sequence[np.ndarray], truth: np.ndarray, firing_threshold: float
) -> tuple[float, Scores]:
    predicted = (
        np.concatenate(predictions) >= firing_threshold if predictions else np.zeros(0, bool)
    )
    negatives = int(np.sum(~truth))
    false_positives = int(np.sum(~truth & predicted))
    rate = false_positives / negatives if negatives else 0.0
    return rate, firing_scores(truth, predicted)


def out_of_distribution(
    predictions: Sequence[np.ndarray],
    normalised_truth: Sequence[np.ndarray],
    corpus: str,
    firing_threshold: float,
    baselines: Mapping[str, Sequence[np.ndarray]] | None = None,
) -> OutOfDistribution:
    """Scores of N2G's predictions (and optionally the baselines', keyed `token_lookup` /
    `ngram`) against the model's real activations on foreign windows."""
    truth = (
        np.concatenate(normalised_truth) >= firing_threshold
        if normalised_truth
        else np.zeros(0, bool)
    )
    rate, scores = _firing_on(predictions, truth, firing_threshold)
    extra = {}
    for name, baseline in (baselines or {}).items():
        base_rate, base_scores = _firing_on(baseline, truth, firing_threshold)
        extra[name] = BaselineOutOfDistribution(false_positive_rate=base_rate, scores=base_scores)
    return OutOfDistribution(
        corpus=corpus,
        n_tokens=len(truth),
        n_true_firing=int(truth.sum()),
        false_positive_rate=rate,
        scores=scores,
        **extra,
    )


def pearson(truth: np.ndarray, predicted: np.ndarray) -> float | None:
    """Pearson r of two equal-length arrays; None when either is constant (undefined)."""
    if len(truth) < 2:
        return None
    t = truth.astype(np.float64) - float(np.mean(truth))
    p = predicted.astype(np.float64) - float(np.mean(predicted))
    denominator = float(np.sqrt(np.sum(t * t) * np.sum(p * p)))
    if denominator <= 0.0 or not np.isfinite(denominator):
        return None
    return float(np.clip(np.sum(t * p) / denominator, -1.0, 1.0))


def correlation_scores(
    truth: Sequence[np.ndarray],
    predictions: Mapping[str, Sequence[np.ndarray]],
    n_top_windows: int,
    n_random_windows: int,
) -> Correlation:
    """The pooled correlation of each method (keys n2g, token_lookup, ngram) with the truth
    over all tokens of the top and random windows given (in the same order)."""
    pooled = np.concatenate(truth) if truth else np.zeros(0, np.float32)
    scores = {
        method: pearson(pooled, np.concatenate(values) if values else np.zeros(0, np.float32))
        for method, values in predictions.items()
    }
    return Correlation(n_top_windows=n_top_windows, n_random_windows=n_random_windows, **scores)
