"""Bigram paths (n2g.builder.bigram_paths): hand-counted pairs in training windows decide
which (previous token, firing token) paths join the trie, and a real build adds them."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.builder.bigram_paths import bigram_paths
from n2g.graph.model import NodeKind
from n2g.graph.predict import NeuronTrie

# "3 6" occurs four times and fires once (0.9); "4 6" twice, firing both times (0.8, 0.6);
# "6 8" once, firing (0.7); token 5 fires at the start of a window, where no pair ends.
WINDOWS = [
    (np.array([3, 6, 1, 3, 6, 2]), np.array([0.0, 0.9, 0.0, 0.0, 0.1, 0.0], dtype=np.float32)),
    (np.array([3, 6, 4, 6, 8]), np.array([0.0, 0.1, 0.0, 0.8, 0.7], dtype=np.float32)),
    (np.array([5, 3, 6, 4, 6]), np.array([0.9, 0.0, 0.1, 0.0, 0.6], dtype=np.float32)),
]


def _found(precision: float) -> dict[tuple[int, int], float]:
    paths = bigram_paths(WINDOWS, firing_threshold=0.5, precision=precision, importance=0.75)
    for path in paths:
        np.testing.assert_allclose(path.importances, [0.75, 0.75])
    return {(int(p.tokens[0]), int(p.tokens[1])): p.activation for p in paths}


def test_a_pair_joins_where_enough_of_its_positions_fire():
    assert _found(0.5) == pytest.approx({(4, 6): 0.7, (6, 8): 0.7})  # "3 6": 1 of 4
    assert _found(0.25) == pytest.approx({(3, 6): 0.9, (4, 6): 0.7, (6, 8): 0.7})
    assert _found(1.0) == pytest.approx({(4, 6): 0.7, (6, 8): 0.7})


def test_nothing_without_pairs_or_without_a_bar():
    assert _found(0.0) == {}
    assert bigram_paths([(np.array([5]), np.array([0.9]))], 0.5, 0.5, 0.75) == []
    assert bigram_paths([], 0.5, 0.5, 0.75) == []


def test_a_real_build_fires_on_every_reliable_pair(gelu_model, gelu_records):
    """Built with a bar of 0.5, every pair that fires at half its training positions or
    more fires at all of them in the graph; without bigram paths some such pair does not."""
    from n2g.builder.batch import build_neuron_graphs, plan_neuron
    from n2g.builder.config import BuildConfig

    _, records = gelu_records
    units = list(range(gelu_model.n_units))
    # Bare-token paths verified: in this tiny model they would fire on every pair anyway.
    base = BuildConfig(
        n_examples=8, extra_train_examples=0, batch_rows=64, grades="none", bare_paths="verify"
    )

    def silent_reliable_pairs(bar: float) -> int:
        config = base.model_copy(update={"bigram_paths": bar, "path_precision": 0.0})
        silent = 0
        for graph in build_neuron_graphs(gelu_model, records[1], units, config):
            assert graph.settings.bigram_paths == bar
            plan = plan_neuron(records[1], graph.neuron, config)
            train = [(t, a / plan.a_max) for t, a in plan.train]
            reliable = bigram_paths(train, 0.5, 0.5, 0.75)
            activating = {n.token_id for n in graph.nodes if n.kind == NodeKind.ACTIVATING}
            trie = NeuronTrie.from_graph(graph)
            for tokens, _ in train:
                predicted = trie.predict(tokens)
                for path in reliable:
                    assert bar == 0.0 or int(path.tokens[1]) in activating
                    at = np.flatnonzero(
                        (tokens[1:] == path.tokens[1]) & (tokens[:-1] == path.tokens[0])
                    )
                    silent += int(np.sum(predicted[at + 1] < 0.5))
        return silent

    assert silent_reliable_pairs(0.5) == 0
    assert silent_reliable_pairs(0.0) > 0
