"""The report's showcase unit is one a reader can understand: near the best F1, few tokens."""

from __future__ import annotations

from n2g.graph.evaluation import Evaluation, Scores
from n2g.run.showcase import best_graph
from n2g.testing.handmade import make_graph


def _scored(neuron: int, f1: float, tokens: list[str], context: list[str | None]):
    graph = make_graph("m", 0, neuron, [(t, context, 0.9) for t in tokens])
    graph.evaluation = Evaluation(
        n_train_examples=10, n_test_examples=10, n_test_tokens=100, n_test_firing=5,
        n2g=Scores(precision=f1, recall=f1, f1=f1),
        baselines={"token_lookup": Scores(), "ngram": Scores()},
    )  # fmt: skip
    return graph


def test_the_showcase_is_near_the_best_f1_with_the_fewest_tokens() -> None:
    memoriser = _scored(0, 0.97, [f" t{i}" for i in range(12)], [" a"])  # the best F1
    detector = _scored(1, 0.9, [" except", " but"], [" everyone"])  # 0.07 below: close
    weak = _scored(2, 0.5, [" x"], [" y"])  # one token, but far below the best
    bare = _scored(3, 0.95, [" z"], [])  # no context to show
    assert best_graph([memoriser, detector, weak, bare]).key == "m/0/1"
    assert best_graph([memoriser, weak]).key == "m/0/0"  # nothing else is close
    assert best_graph([bare]).key == "m/0/3"
