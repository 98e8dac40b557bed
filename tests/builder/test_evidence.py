"""The evidence a graph keeps: snippets of its train and test windows, checkable by hand."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.builder.batch import build_neuron_graphs, plan_neuron
from n2g.builder.config import BuildConfig
from n2g.builder.evidence import (
    MAX_SNIPPET,
    MIN_LEFT_CONTEXT,
    RIGHT_CONTEXT,
    left_context,
    snippet_span,
)
from n2g.graph.file import dump_graph_line, parse_graph_line
from n2g.graph.model import FORMAT_VERSION, NeuronGraph
from n2g.graph.predict import NeuronTrie
from n2g.testing.handmade import handmade_graphs

CONFIG = BuildConfig(
    n_examples=8, extra_train_examples=4, pivots="firing", neurons_per_batch=8, batch_rows=64
)


def test_a_snippet_holds_the_peak_its_left_context_and_a_few_tokens_after() -> None:
    acts = np.zeros(100, np.float32)
    acts[50] = 1.0
    assert snippet_span(acts, 0.5, left=6) == (44, 50 + RIGHT_CONTEXT + 1)
    # near the window's edges it stops there
    acts[:] = 0
    acts[1] = 1.0
    assert snippet_span(acts, 0.5, left=6)[0] == 0
    acts[:] = 0
    acts[99] = 1.0
    assert snippet_span(acts, 0.5, left=6)[1] == 100


def test_nearby_firing_tokens_join_the_snippet_far_ones_do_not() -> None:
    acts = np.zeros(200, np.float32)
    acts[100], acts[110], acts[190] = 1.0, 0.6, 0.9
    start, stop = snippet_span(acts, 0.5, left=8)
    assert start <= 92 and stop > 110  # 110 joined
    assert stop < 190 and stop - start <= MAX_SNIPPET  # 190 would make it too long
    # a token below the firing threshold does not widen the snippet
    acts[190] = 0.4
    assert snippet_span(acts, 0.5, left=8) == (start, stop)


def test_left_context_follows_the_graphs_longest_path() -> None:
    deep = max(handmade_graphs(), key=lambda g: max((n.depth for n in g.nodes), default=0))
    deepest_end = max(n.depth for n in deep.nodes if n.kind == "end")
    assert left_context(deep) == max(deepest_end, MIN_LEFT_CONTEXT)
    empty = NeuronGraph(model="m", layer=0, neuron=0, a_max=1.0)
    assert left_context(empty) == MIN_LEFT_CONTEXT


@pytest.fixture(scope="module")
def built(gelu_model, gelu_records):
    _, records = gelu_records
    neurons = list(range(gelu_model.n_units))
    return records[1], build_neuron_graphs(gelu_model, records[1], neurons, CONFIG)


def test_every_train_and_test_window_is_kept_with_its_rank(built) -> None:
    records, graphs = built
    for graph in graphs:
        plan = plan_neuron(records, graph.neuron, CONFIG)
        train = [e.rank for e in graph.evidence if e.split == "train"]
        test = [e.rank for e in graph.evidence if e.split == "test"]
        assert sorted(train) == sorted(plan.train_ranks)
        assert sorted(test) == sorted(plan.test_ranks)
        assert len(test) == graph.evaluation.n_test_examples
        assert set(train).isdisjoint(test)
        assert max(test) < CONFIG.n_examples  # the test split is the paper's top examples
        assert any(r >= CONFIG.n_examples for r in train)  # ranks 9..12 train only


def test_snippets_hold_the_true_and_predicted_activations_of_their_window(
    built, gelu_model
) -> None:
    records, graphs = built
    checked = 0
    for graph in graphs:
        trie = NeuronTrie.from_graph(graph)
        recorded = records.examples(graph.neuron)
        for example in graph.evidence:
            tokens, acts = (np.asarray(x) for x in recorded[example.rank])
            span = slice(example.start, example.start + len(example.tokens))
            assert example.tokens == gelu_model.token_strings(tokens[span].tolist())
            truth = acts[span] / records.a_max[graph.neuron]
            np.testing.assert_allclose(example.activations, truth, atol=6e-4)
            predicted = trie.predict(np.asarray(tokens, np.int64))[span]
            np.testing.assert_allclose(example.predicted, predicted, atol=6e-4)
            assert max(example.activations) == pytest.approx(float(truth.max()), abs=6e-4)
            checked += 1
    assert checked > 100


def test_evidence_round_trips_through_the_file_format(built) -> None:
    _, graphs = built
    graph = next(g for g in graphs if g.evidence)
    line = dump_graph_line(graph)
    assert '"evidence"' in line
    assert parse_graph_line(line) == graph


def test_evidence_can_be_left_out(gelu_model, gelu_records) -> None:
    _, records = gelu_records
    config = CONFIG.model_copy(update={"keep_evidence": False})
    (graph,) = build_neuron_graphs(gelu_model, records[1], [3], config)
    assert graph.evidence == []
    assert '"evidence"' not in dump_graph_line(graph)


def test_files_of_format_1_still_load_without_evidence() -> None:
    graph = handmade_graphs()[0]
    line = dump_graph_line(graph).replace(
        f'"format_version":{FORMAT_VERSION}', '"format_version":1'
    )
    old = parse_graph_line(line)
    assert old.format_version == 1 and old.evidence == []
    assert dump_graph_line(old) == line  # read and written back unchanged
