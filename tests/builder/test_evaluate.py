"""Scores, baselines, the split, out-of-distribution scores and per-layer averaging."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.builder.evaluate import (
    NGramLookup,
    TokenLookup,
    correlation_scores,
    evaluate_split,
    firing_scores,
    ngram_keys,
    out_of_distribution,
    pearson,
    split_indices,
)
from n2g.scoring import baseline_names, scorers


def test_firing_scores_known_counts():
    truth = np.array([1, 1, 0, 0, 1], dtype=bool)
    predicted = np.array([1, 0, 1, 0, 1], dtype=bool)  # tp 2, fp 1, fn 1
    scores = firing_scores(truth, predicted)
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(2 / 3)
    empty = firing_scores(np.zeros(3, bool), np.zeros(3, bool))
    assert empty.precision is None and empty.recall is None and empty.f1 is None
    missed = firing_scores(np.ones(2, bool), np.zeros(2, bool))
    assert missed.precision is None and missed.recall == 0 and missed.f1 == 0


def test_split_is_fixed_and_disjoint():
    train, test = split_indices(20, 0.5, seed=0, layer=1, neuron=7)
    assert (train, test) == split_indices(20, 0.5, seed=0, layer=1, neuron=7)
    assert len(train) == len(test) == 10 and not set(train) & set(test)
    assert set(train) | set(test) == set(range(20))
    assert split_indices(20, 0.5, seed=1, layer=1, neuron=7) != (train, test)
    assert [len(x) for x in split_indices(3, 0.5, 0, 0, 0)] in ([2, 1], [1, 2])


def test_baselines():
    train = [(np.array([1, 2, 3, 4, 5, 6]), np.array([0, 0.9, 0, 0, 0, 0.7]))]
    lookup = TokenLookup(train)
    assert lookup.predict(np.array([2, 6, 9])).tolist() == pytest.approx([0.9, 0.7, 0])
    five = NGramLookup(train)
    # 6 preceded by 2 3 4 5 is the seen 5-gram; 6 after other tokens is not.
    assert five.predict(np.array([2, 3, 4, 5, 6])).tolist()[-1] == pytest.approx(0.7)
    assert five.predict(np.array([9, 3, 4, 5, 6])).tolist()[-1] == 0
    # At a window's start the key is shorter: "1 2" is seen as the start of the window.
    assert five.predict(np.array([1, 2])).tolist() == pytest.approx([0, 0.9])


def test_token_lookup_keeps_the_largest_value_even_when_negative():
    train = [(np.array([4, 4, 7]), np.array([-0.3, -0.1, 0.2])), (np.array([7]), np.array([0.6]))]
    lookup = TokenLookup(train)
    # Seen with only negative values: the largest of them; unseen (below or beyond the ids
    # seen in training): 0.
    assert lookup.predict(np.array([4, 7, 0, 100_000])).tolist() == pytest.approx([-0.1, 0.6, 0, 0])
    assert TokenLookup([]).predict(np.array([1, 2])).tolist() == [0, 0]


def test_ngram_keys_made_once_give_the_same_predictions():
    rng = np.random.default_rng(0)
    train = [(rng.integers(0, 9, 40), rng.random(40).astype(np.float32)) for _ in range(5)]
    five = NGramLookup(train)
    for window in (rng.integers(0, 9, 30), train[2][0]):
        np.testing.assert_array_equal(five.predict_keys(ngram_keys(window)), five.predict(window))


def test_evaluate_split_counts_and_scores():
    train = [(np.array([5, 6]), np.array([0.1, 1.0]))]
    test = [(np.array([6, 5, 6]), np.array([0.8, 0.0, 0.2]))]

    def predict_many(seqs):
        return [np.where(np.asarray(s) == 6, 0.9, 0.0).astype(np.float32) for s in seqs]

    evaluation = evaluate_split(predict_many, train, test, 0.5)
    assert evaluation.n_test_tokens == 3 and evaluation.n_test_firing == 1
    assert evaluation.n2g.precision == pytest.approx(0.5) and evaluation.n2g.recall == 1.0
    assert evaluation.baselines["token_lookup"].f1 == pytest.approx(2 / 3)
    assert list(evaluation.baselines) == list(baseline_names())  # every scoring method
    # Predictions handed in (made once for evaluation and correlation) score the same,
    # and are what is scored: the callable is not asked again.
    tokens = [t for t, _ in test]
    predicted = {
        "n2g": predict_many(tokens),
        **{method.name: [method(train).predict(t) for t in tokens] for method in scorers()},
    }
    given = evaluate_split(None, train, test, 0.5, predicted=predicted)
    assert given == evaluation
    predicted["n2g"] = [np.zeros(3, np.float32)]
    assert evaluate_split(None, train, test, 0.5, predicted=predicted).n2g.recall == 0.0


def test_out_of_distribution_false_positive_rate():
    ood = out_of_distribution(
        [np.array([0.9, 0.9, 0.0, 0.0])], [np.array([0.8, 0.1, 0.1, 0.0])], "other", 0.5
    )
    assert ood.n_tokens == 4 and ood.n_true_firing == 1
    assert ood.false_positive_rate == pytest.approx(1 / 3)
    assert ood.scores.f1 == pytest.approx(2 / 3)


def test_pearson_equals_numpy_and_is_none_when_undefined():
    rng = np.random.default_rng(0)
    truth, predicted = rng.random(50), rng.random(50)
    assert pearson(truth, predicted) == pytest.approx(np.corrcoef(truth, predicted)[0, 1])
    assert pearson(truth, 2 * truth + 1) == pytest.approx(1.0)
    assert pearson(truth, np.zeros(50)) is None  # a method that predicts nothing
    assert pearson(np.ones(3), truth[:3]) is None


def test_correlation_pools_top_and_random_windows():
    top = [np.array([0.0, 1.0, 0.2])]
    random = [np.array([0.0, 0.1, 0.0, 0.0])]
    perfect = correlation_scores(top + random, {"n2g": top + random}, 1, 1)
    assert perfect.n2g == pytest.approx(1.0) and (
        perfect.n_top_windows,
        perfect.n_random_windows,
    ) == (1, 1)
    pooled = np.concatenate(top + random)
    guess = [np.array([0.0, 0.9, 0.0]), np.array([0.5, 0.0, 0.0, 0.0])]
    scores = correlation_scores(
        top + random, {"n2g": guess, "ngram": [np.zeros(3), np.zeros(4)]}, 1, 1
    )
    assert scores.n2g == pytest.approx(np.corrcoef(pooled, np.concatenate(guess))[0, 1])
    assert scores.of("ngram") is None and "ngram" not in scores.baselines
