"""Evaluation: the paper's protocol, its baselines, and an out-of-distribution check.

- Split: a neuron's top `n_examples` recorded examples, shuffled with a seed fixed per
  (seed, layer, neuron), `train_fraction` of them (paper: 10 of 20) build the graph, the
  rest test it.
- Truth: recorded activation / a_max; "firing" = normalised activation >= 0.5.
- Scores: precision, recall, F1 of the firing class over every test token. Undefined
  values are None: precision when nothing is predicted firing, recall when nothing truly
  fires; F1 = 2TP / (2TP + FP + FN), None only when both are empty. Neurons with no firing
  test token are counted (`n_test_firing == 0`) and reported (n2g.graph.quality), not dropped.
- Baselines: the scoring methods of n2g.scoring (token lookup, 5-gram, bigram, ...), each
  fitted on the same training examples and scored exactly as N2G is; each module there
  says what its method predicts.
- Out of distribution: random windows of another corpus; the model's real activations
  there are the truth; reports the false-positive rate (predicted firing among truly
  non-firing tokens) and the scores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from n2g.graph.evaluation import (
    BaselineOutOfDistribution,
    Correlation,
    Evaluation,
    OutOfDistribution,
    Scores,
)
from n2g.scoring import N2G, Examples, Scorer, scorers
from n2g.scoring.ngram import NGRAM as NGRAM
from n2g.scoring.ngram import NGramLookup as NGramLookup
from n2g.scoring.ngram import ngram_keys as ngram_keys
from n2g.scoring.token_lookup import TokenLookup as TokenLookup


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


def fit_baselines(train: Examples) -> list[Scorer]:
    """Every scoring method of n2g.scoring, fitted on `train`."""
    return [method(train) for method in scorers()]


def predict_baselines(
    fitted: Sequence[Scorer], windows: Sequence[np.ndarray], keys: Mapping[str, Sequence[Any]]
) -> dict[str, list[np.ndarray]]:
    """Each fitted method's predictions on `windows`, from their `keys` (per method name,
    one entry a window; `window_keys` makes them)."""
    return {m.name: [m.predict_keys(k) for k in keys[m.name]] for m in fitted}


def window_keys(windows: Sequence[np.ndarray]) -> dict[str, list[Any]]:
    """Every method's keys of every window (made once, shared by all units asked)."""
    return {method.name: [method.keys(w) for w in windows] for method in scorers()}


def evaluate_split(
    predict_many: Callable[[Sequence[np.ndarray]], list[np.ndarray]],
    train: Sequence[tuple[np.ndarray, np.ndarray]],
    test: Sequence[tuple[np.ndarray, np.ndarray]],
    firing_threshold: float,
    predicted: Mapping[str, Sequence[np.ndarray]] | None = None,
) -> Evaluation:
    """Score N2G (`predict_many(list of token arrays)`) and every baseline on `test`.

    `train`/`test` are (tokens, normalised activations) of whole recorded windows;
    `predicted`: the methods' predictions on `test`'s windows (keys n2g and the scoring
    methods' names) when the caller has them already (the correlation score reuses them),
    instead of predicting here.
    """
    tokens = [t for t, _ in test]
    truth = (
        np.concatenate([a for _, a in test]) >= firing_threshold
        if test
        else np.zeros(0, dtype=bool)
    )
    if predicted is None:
        predicted = {
            N2G: predict_many(tokens) if test else [],
            **{m.name: [m.predict(t) for t in tokens] for m in fit_baselines(train)},
        }

    def scores(method: str) -> Scores:
        values = predicted[method]
        joined = np.concatenate(values) if len(values) else np.zeros(0, dtype=np.float32)
        return firing_scores(truth, joined >= firing_threshold)

    return Evaluation(
        firing_threshold=firing_threshold,
        n_train_examples=len(train),
        n_test_examples=len(test),
        n_test_tokens=len(truth),
        n_test_firing=int(truth.sum()),
        n2g=scores(N2G),
        baselines={name: scores(name) for name in predicted if name != N2G},
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
    """Scores of N2G's predictions (and optionally the baselines', keyed by scoring method)
    against the model's real activations on foreign windows."""
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
        baselines=extra,
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
    """The pooled correlation of each method (keys n2g and the scoring methods' names) with
    the truth over all tokens of the top and random windows given (in the same order)."""
    pooled = np.concatenate(truth) if truth else np.zeros(0, np.float32)
    scores = {
        method: pearson(pooled, np.concatenate(values) if values else np.zeros(0, np.float32))
        for method, values in predictions.items()
    }
    n2g = scores.pop(N2G, None)
    return Correlation(
        n_top_windows=n_top_windows, n_random_windows=n_random_windows, n2g=n2g, baselines=scores
    )
