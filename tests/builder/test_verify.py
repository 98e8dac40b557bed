"""Verified paths (n2g.builder.verify): hand-counted matches in training windows decide
which paths keep firing."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.builder.grades import GRADE_MARGIN
from n2g.builder.trie import PathExample, build_trie
from n2g.builder.verify import path_support, verify_paths
from n2g.graph.model import NeuronGraph, NodeKind
from n2g.graph.predict import NeuronTrie

# Token 6 after 3 fires once (0.9) and not the three other times 3, 6 appear (0.1);
# token 6 after 4 fires both times it appears; token 8 fires alone once, nowhere else.
WINDOWS = [
    (np.array([3, 6, 1, 3, 6, 2]), np.array([0.0, 0.9, 0.0, 0.0, 0.1, 0.0], dtype=np.float32)),
    (np.array([3, 6, 4, 6, 8]), np.array([0.0, 0.1, 0.0, 0.8, 0.7], dtype=np.float32)),
    (np.array([3, 6, 4, 6]), np.array([0.0, 0.1, 0.0, 0.6], dtype=np.float32)),
]
IMPORTANT = np.array([1.0, 1.0], dtype=np.float32)


def _graph() -> NeuronGraph:
    paths = [
        PathExample(np.array([3, 6]), IMPORTANT, 0.9),
        PathExample(np.array([4, 6]), IMPORTANT, 0.8),
        PathExample(np.array([8]), np.array([1.0], dtype=np.float32), 0.7),
    ]
    nodes, edges = build_trie(paths, 0.75, lambda ids: [str(i) for i in ids])
    return NeuronGraph(model="m", layer=0, neuron=0, a_max=1.0, nodes=nodes, edges=edges)


def _end_after(graph: NeuronGraph, context: int | None) -> float:
    """The END activation of the path 6 <- context (or of the bare path 8)."""
    by_id = {node.id: node for node in graph.nodes}
    parent = {child: parent for parent, child in graph.edges}
    for node in graph.nodes:
        if node.kind != NodeKind.END:
            continue
        above = by_id[parent[node.id]]
        if (context is None and above.token_id == 8) or (
            context is not None and above.token_id == context
        ):
            return float(node.activation or 0.0)
    raise AssertionError(f"no path with context {context}")


def test_support_counts_every_match_and_every_firing_match():
    graph = _graph()
    matches, firing, levels = path_support(NeuronTrie.from_graph(graph), WINDOWS, 0.5)
    ends = {
        _node: (matches[i], firing[i], levels[i])
        for i, _node in enumerate(n.token_id for n in graph.nodes)
        if matches[i]
    }
    # the node before each END: 3 (context of "3 6"), 4 (context of "4 6"), 8 (bare)
    assert ends[3] == pytest.approx((4, 1, 1.2))
    assert ends[4] == pytest.approx((2, 2, 1.4))
    assert ends[8] == pytest.approx((1, 1, 0.7))


def test_a_path_firing_at_too_few_of_its_matches_falls_to_its_mean_level():
    graph = _graph()
    strict = verify_paths(graph, WINDOWS, firing_threshold=0.5, precision=0.5)
    assert _end_after(strict, 3) == pytest.approx(0.3)  # 1 of 4 fire: mean 1.2 / 4
    assert _end_after(strict, 4) == pytest.approx(0.8)  # 2 of 2
    assert _end_after(strict, None) == pytest.approx(0.7)  # matched only where it was learnt
    activating_6 = next(
        n for n in strict.nodes if n.kind == NodeKind.ACTIVATING and n.token_id == 6
    )
    assert activating_6.activation == pytest.approx(0.8)  # the largest END beneath, again
    lenient = verify_paths(graph, WINDOWS, firing_threshold=0.5, precision=0.25)
    assert _end_after(lenient, 3) == pytest.approx(0.9)  # 1 of 4 is enough at 0.25
    predicted = NeuronTrie.from_graph(strict).predict([1, 3, 6, 4, 6])
    np.testing.assert_allclose(predicted, [0, 0, 0.3, 0, 0.8], atol=1e-6)


def test_a_lowered_end_stays_below_firing_and_never_below_zero():
    windows = [(np.array([3, 6] * 4), np.array([0, 0.9, 0, 0.49, 0, 0.49, 0, 0.49], np.float32))]
    graph = verify_paths(_graph(), windows, 0.5, precision=0.5)
    assert _end_after(graph, 3) < 0.5 * (1 - GRADE_MARGIN) + 1e-6
    negative = [(np.array([3, 6, 3, 6]), np.array([0, 0.9, 0, -3.0], np.float32))]
    assert _end_after(verify_paths(_graph(), negative, 0.5, precision=0.75), 3) == 0.0


def test_the_builder_verifies_every_path_it_keeps_firing(gelu_model, gelu_records):
    """A real build: with a strict bar every firing path fires at each of its training
    matches; with none (the paper) some path claims more than its matches show."""
    from n2g.builder.batch import build_neuron_graphs, plan_neuron
    from n2g.builder.config import BuildConfig

    _, records = gelu_records
    units = list(range(gelu_model.n_units))
    base = BuildConfig(n_examples=8, extra_train_examples=0, batch_rows=64, grades="none")

    def overclaims(precision: float) -> int:
        config = base.model_copy(update={"path_precision": precision})
        found = 0
        for graph in build_neuron_graphs(gelu_model, records[1], units, config):
            assert graph.settings.path_precision == precision
            plan = plan_neuron(records[1], graph.neuron, config)
            train = [(t, a / plan.a_max) for t, a in plan.train]
            trie = NeuronTrie.from_graph(graph)
            matches, firing, _ = path_support(trie, train, 0.5)
            ends = {
                i: trie.end_value[i] for i in range(trie.root) if np.isfinite(trie.end_value[i])
            }
            found += sum(v >= 0.5 and firing[i] < matches[i] for i, v in ends.items())
        return found

    assert overclaims(0.0) > 0
    assert overclaims(1.0) == 0
