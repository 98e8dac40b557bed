"""Graded levels (n2g.builder.grades): hand-computed levels, and graded graphs that fire
exactly where ungraded ones do while predicting every training token's level below."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.builder.batch import build_neuron_graphs, plan_neuron
from n2g.builder.config import BuildConfig
from n2g.builder.grades import GRADE_MARGIN, token_grades, token_levels, verify_bare_paths
from n2g.builder.random_windows import RandomWindows
from n2g.builder.trie import PathExample, build_trie
from n2g.graph.model import NeuronGraph
from n2g.graph.path_table import PathTable, graph_paths
from n2g.graph.predict import NeuronTrie

WINDOWS = [
    (np.array([5, 6, 5, 7]), np.array([0.2, 0.9, 0.4, -0.1], dtype=np.float32)),
    (np.array([6, 8]), np.array([0.1, 0.05], dtype=np.float32)),
]


def test_levels_are_the_mean_or_max_over_every_occurrence():
    ids, mean, counts = token_levels(WINDOWS, "mean")
    assert ids.tolist() == [5, 6, 7, 8] and counts.tolist() == [2, 2, 1, 1]
    np.testing.assert_allclose(mean, [0.3, 0.5, -0.1, 0.05], atol=1e-6)
    _, top, _ = token_levels(WINDOWS, "max")
    np.testing.assert_allclose(top, [0.4, 0.9, -0.1, 0.05], atol=1e-6)
    assert len(token_levels(WINDOWS, "none")[0]) == 0


def _grades(windows, statistic="mean", floor=0.0, limit=None) -> dict[int, float]:
    grades = token_grades(windows, statistic, floor, firing_threshold=0.5, limit=limit)
    return {} if grades is None else dict(zip(grades.token_ids, grades.levels, strict=True))


def test_grades_keep_the_floor_and_stay_below_firing():
    # 8 (0.05) is under the floor, 7 (-0.1) holds the unit down; 6's 0.9 is capped.
    capped = round(0.5 * (1 - GRADE_MARGIN), 4)
    assert _grades(WINDOWS, "max", floor=0.1) == pytest.approx({5: 0.4, 6: capped, 7: -0.1})
    assert token_grades(WINDOWS, "none", 0.0, 0.5) is None
    assert token_grades(WINDOWS, "mean", 0.9, 0.5) is None  # nothing reaches the floor


def test_a_limit_keeps_the_tokens_carrying_most_squared_level():
    # occurrences x level^2 (mean): 5: 2 x 0.09, 6: 2 x 0.25, 7: 1 x 0.01, 8: 1 x 0.0025
    assert sorted(_grades(WINDOWS, limit=2)) == [5, 6]
    assert sorted(_grades(WINDOWS)) == [5, 6, 7, 8]


def _graph(paths, grades) -> NeuronGraph:
    nodes, edges = build_trie(paths, 0.75, lambda ids: [str(i) for i in ids])
    return NeuronGraph(
        model="m", layer=0, neuron=0, a_max=1.0, nodes=nodes, edges=edges, token_grades=grades
    )


def test_a_learnt_context_still_wins_where_it_matches():
    firing = PathExample(np.array([3, 6]), np.array([0.9, 1.0], dtype=np.float32), 0.95)
    graph = _graph([firing], token_grades(WINDOWS, "mean", 0.1, 0.5))
    text = [3, 6, 6, 5, 9, 7]
    # "3 6" fires (0.95); 6 elsewhere gets its level (mean 0.5, capped); 5 its 0.3; 9
    # nothing; 7 its -0.1. The path table (like --text) predicts the same.
    expected = [0, 0.95, round(0.5 * (1 - GRADE_MARGIN), 4), 0.3, 0, -0.1]
    np.testing.assert_allclose(NeuronTrie.from_graph(graph).predict(text), expected, atol=1e-6)
    table = PathTable([(graph_paths(graph), False)])
    np.testing.assert_allclose(table.predict(text)[0], expected, atol=1e-6)


def test_grades_alone_predict_without_a_trie():
    windows = [(np.array([6, 7]), np.array([-0.2, 0.3], dtype=np.float32))]
    graph = _graph([], token_grades(windows, "mean", 0.0, 0.5))
    predicted = NeuronTrie.from_graph(graph).predict([7, 6, 1])
    np.testing.assert_allclose(predicted, [0.3, -0.2, 0], atol=1e-6)


QUICK = BuildConfig(n_examples=8, extra_train_examples=0, n_substitutes=2, batch_rows=64)


def test_graded_graphs_fire_where_ungraded_ones_do(gelu_model, gelu_records):
    """Same trie and firing scores (held-out and out of distribution), and each training
    token past the floor predicted at least at its level, in the trie and the path table."""
    _, records = gelu_records
    units = list(range(gelu_model.n_units))
    ood = RandomWindows.compute(gelu_model, 1, "other", [gelu_model.encode("zz 12 !? other")])
    plain = build_neuron_graphs(gelu_model, records[1], units, QUICK, ood=ood)
    graded_config = QUICK.model_copy(update={"grades": "mean", "grade_floor": 0.05})
    graded = build_neuron_graphs(gelu_model, records[1], units, graded_config, ood=ood)
    grew = False
    for before, after in zip(plain, graded, strict=True):
        assert after.settings.grades == "mean"
        assert after.evaluation.n2g == before.evaluation.n2g
        assert (
            after.evaluation.out_of_distribution.false_positive_rate
            == before.evaluation.out_of_distribution.false_positive_rate
        )
        assert after.nodes == before.nodes and after.edges == before.edges
        grew |= after.token_grades is not None
        plan = plan_neuron(records[1], after.neuron, graded_config)
        train = [(t, a / plan.a_max) for t, a in plan.train]
        ids, levels, _ = token_levels(train, "mean")
        trie = NeuronTrie.from_graph(after)
        table = PathTable([(graph_paths(after), False)])
        for tokens, _ in plan.train:
            predicted = trie.predict(tokens)
            np.testing.assert_allclose(table.predict(tokens)[0], predicted, atol=1e-6)
            for token, level in zip(ids, levels, strict=True):
                if abs(level) >= 0.05:
                    at = tokens == token
                    assert np.all(predicted[at] >= min(level, 0.495) - 1e-4)
    assert grew


def test_a_bare_path_fires_only_where_its_token_does_on_average():
    ones = np.ones(2, dtype=np.float32)
    paths = [
        PathExample(np.array([6]), ones[:1], 0.95),  # 6's mean is 0.5: it fires, kept
        PathExample(np.array([5]), ones[:1], 0.8),  # 5's mean is 0.3: falls to 0.3
        PathExample(np.array([7, 5]), ones, 0.9),  # a context path: never touched
        PathExample(np.array([9]), ones[:1], 0.7),  # never in training: falls to 0
        PathExample(np.array([8]), ones[:1], 0.2),  # not firing anyway: untouched
    ]
    checked = verify_bare_paths(paths, WINDOWS, importance_threshold=0.75, firing_threshold=0.5)
    assert [p.activation for p in checked] == pytest.approx([0.95, 0.3, 0.9, 0.0, 0.2])
    assert [p.tokens.tolist() for p in checked] == [p.tokens.tolist() for p in paths]
