"""The builder end to end on tiny models: equal to the plain reference, resumable, sharded."""

from __future__ import annotations

import json

import numpy as np
import pytest

from n2g.builder.batch import assemble_graph, build_neuron_graphs, plan_neuron
from n2g.builder.config import BuildConfig
from n2g.builder.prune import make_source, prune_examples
from n2g.builder.random_windows import RandomWindows
from n2g.builder.saliency import add_saliency
from n2g.builder.stage import Shard, build_graphs
from n2g.builder.substitutes import MaskedLMHelper, NoHelper
from n2g.errors import N2GError
from n2g.graph.file import iter_graph_file
from n2g.graph.model import NodeKind
from n2g.record.store import LayerRecords
from n2g.testing.plain_builder import graph_signature, plain_neuron_graphs

# The paper's example handling (argmax pivots, no extra examples): the tests below were
# written for it; the firing and extra-example variants have tests of their own.
QUICK = BuildConfig(
    n_examples=8,
    extra_train_examples=0,
    pivots="argmax",
    n_substitutes=2,
    neurons_per_batch=3,
    batch_rows=64,
)


@pytest.mark.parametrize(
    ("pivots", "fold", "saliency"),
    [
        ("firing", False, "measure"),
        ("argmax", False, "measure"),
        ("firing", True, "measure"),
        ("firing", False, "inherit"),
    ],
)
def test_batched_equals_plain_reference(
    gelu_model, gelu_records, tiny_mlm_path, pivots, fold, saliency
):
    _, records = gelu_records
    helper = MaskedLMHelper(str(tiny_mlm_path), gelu_model.tokenizer)
    neurons = [0, 3, 5, 9]
    config = QUICK.model_copy(
        update={"pivots": pivots, "fold_tokens": fold, "augmented_saliency": saliency}
    )
    fast = build_neuron_graphs(gelu_model, records[1], neurons, config, helper)
    plain = plain_neuron_graphs(gelu_model, records[1], neurons, config, helper)
    assert [graph_signature(g) for g in fast] == [graph_signature(g) for g in plain]
    alone = build_neuron_graphs(gelu_model, records[1], neurons, config)
    assert any(g.n_examples > a.n_examples for g, a in zip(fast, alone, strict=True)), (
        "augmentation kept some"
    )
    for graph in fast:
        assert graph.evaluation is not None and graph.evaluation.n_train_examples == 4
        assert sum(n.kind == NodeKind.ACTIVATING for n in graph.nodes) >= 1
        assert graph.settings.helper == QUICK.helper


def _two_firing_tokens(model, layer, text):
    """(neuron, window, acts) of a real window where two different tokens fire."""
    ids = np.asarray(model.encode(text), dtype=np.int64)
    windows = [ids[i : i + 24] for i in range(0, len(ids) - 24, 12)]
    acts = model.unit_activations([w.tolist() for w in windows], [layer])[layer].numpy()
    a_max = acts.max(axis=(0, 1))
    for neuron in range(model.n_units):
        for w, window in enumerate(windows):
            row = acts[w, :, neuron]
            firing = np.flatnonzero(row >= 0.5 * a_max[neuron])
            if a_max[neuron] > 0 and len({int(window[p]) for p in firing}) == 2:
                return neuron, window, row, float(a_max[neuron])
    raise AssertionError("no window with two firing tokens")


def test_every_firing_token_becomes_an_activating_node(gelu_model, corpus_text):
    neuron, window, acts, a_max = _two_firing_tokens(gelu_model, 1, corpus_text)
    # The window twice: one copy trains (split 1/1), the other is scored.
    alone = LayerRecords(
        layer=1,
        tokens=np.tile(window.astype(np.int32), (16, 2, 1)),
        acts=np.tile(acts.astype(np.float32), (16, 2, 1)),
        lengths=np.full((16, 2), len(window), dtype=np.int32),
        doc_ids=np.zeros((16, 2), dtype=np.int64),
        scores=np.full((16, 2), acts.max(), dtype=np.float32),
        a_max=np.full(16, a_max, dtype=np.float32),
    )
    firing_tokens = {int(window[p]) for p in np.flatnonzero(acts >= 0.5 * a_max)}
    for pivots, expected in (("firing", firing_tokens), ("argmax", {int(window[acts.argmax()])})):
        # Bigram paths (n2g.builder.bigram_paths) start at every firing token whatever the
        # pivots: off here, where the pivots alone are under test.
        config = QUICK.model_copy(update={"pivots": pivots, "bigram_paths": 0.0})
        (graph,) = build_neuron_graphs(gelu_model, alone, [neuron], config)
        activating = {n.token_id for n in graph.nodes if n.kind == NodeKind.ACTIVATING}
        assert activating == expected, pivots
        (plain,) = plain_neuron_graphs(gelu_model, alone, [neuron], config)
        assert graph_signature(plain) == graph_signature(graph)
    assert len(firing_tokens) == 2


def test_argmax_pivots_reproduce_one_pivot_per_example(gelu_model, gelu_records):
    """pivots="argmax" is the paper's eq. 1: exactly the graph of the argmax-only pipeline
    (prune each training window at its argmax, saliency, trie), repeats dropped."""
    _, records = gelu_records
    config = QUICK.model_copy(update={"pivots": "argmax"})
    mask = gelu_model.mask_token_id
    for neuron in (0, 3, 5, 9):
        plan = plan_neuron(records[1], neuron, config)
        sources = [make_source(neuron, t, a) for t, a in plan.train if float(a.max()) > 0]
        old = prune_examples(gelu_model, 1, sources, threshold=0.5, block=4, batch_rows=64)
        old = [e for e in old if e is not None]
        add_saliency(gelu_model, 1, old, mask_token_id=mask, batch_rows=64)
        distinct = list({e.key: e for e in reversed(old)}.values())[::-1]
        expected = assemble_graph(gelu_model, 1, plan, distinct, config, mask)
        (graph,) = build_neuron_graphs(gelu_model, records[1], [neuron], config)
        assert graph_signature(graph) == graph_signature(expected)
        firing = build_neuron_graphs(gelu_model, records[1], [neuron], QUICK)[0]
        assert firing.n_examples >= graph.n_examples


def test_out_of_distribution_is_evaluated(gelu_model, gelu_records):
    _, records = gelu_records
    windows = [gelu_model.encode("completely different text, 12345 !?"), gelu_model.encode("zzz")]
    ood = RandomWindows.compute(gelu_model, 1, "other", windows)
    (graph,) = build_neuron_graphs(gelu_model, records[1], [4], QUICK, NoHelper(), ood)
    result = graph.evaluation.out_of_distribution
    assert result.corpus == "other" and result.n_tokens == sum(len(w) for w in windows)
    assert 0.0 <= result.false_positive_rate <= 1.0


def test_build_graphs_resumes_after_a_torn_line(gelu_model, gelu_records, tmp_path):
    folder, _ = gelu_records
    out = tmp_path / "graphs.jsonl"
    first = build_graphs(gelu_model, folder, QUICK, out, False, layers=[0, 1], neurons=range(4))
    assert first.n_written == 8 and first.n_skipped == 0
    lines = out.read_text().splitlines(keepends=True)
    kept = "".join(lines[:5])
    out.write_text(kept + lines[5][: len(lines[5]) // 2])  # died mid-write
    second = build_graphs(gelu_model, folder, QUICK, out, False, layers=[0, 1], neurons=range(4))
    assert second.n_skipped == 5 and second.n_written == 3
    text = out.read_text()
    assert text.startswith(kept)  # nothing already written was lost or rewritten
    graphs = [g for _, g in iter_graph_file(out)]
    assert sorted((g.layer, g.neuron) for g in graphs) == [
        (ly, n) for ly in (0, 1) for n in range(4)
    ]
    assert {row.layer for row in second.quality} == {0, 1}


def test_interrupted_build_keeps_finished_batches(gelu_model, gelu_records, tmp_path):
    folder, _ = gelu_records
    out = tmp_path / "graphs.jsonl"

    class InterruptSecondBatch:
        name = "interrupting"
        calls = 0

        def substitutes(self, requests, n):
            self.calls += 1
            if self.calls == 2:
                raise KeyboardInterrupt
            return [[] for _ in requests]

    config = QUICK.model_copy(update={"neurons_per_batch": 2})
    with pytest.raises(KeyboardInterrupt):
        build_graphs(gelu_model, folder, config, out, False, layers=[1], neurons=range(5),
                     helper=InterruptSecondBatch())  # fmt: skip
    assert len(out.read_text().splitlines()) == 2
    summary = build_graphs(gelu_model, folder, config, out, False, layers=[1], neurons=range(5))
    assert summary.n_skipped == 2 and summary.n_written == 3


def test_shards_split_the_work(gelu_model, gelu_records, tmp_path):
    folder, _ = gelu_records
    out = tmp_path / "g.jsonl"
    seen = []
    for index in range(3):
        summary = build_graphs(gelu_model, folder, QUICK, out, False, layers=[0, 1],
                               neurons=range(3), shard=Shard(index=index, count=3))  # fmt: skip
        assert summary.out_path.endswith(f"g.shard-{index}-of-3.jsonl")
        seen += [(g.layer, g.neuron) for _, g in iter_graph_file(summary.out_path)]
    assert sorted(seen) == [(ly, n) for ly in (0, 1) for n in range(3)]
    assert Shard.parse("2/4") == Shard(index=2, count=4)
    for bad in ("4/4", "x", "1/0"):
        with pytest.raises(N2GError):
            Shard.parse(bad)


def test_bad_input_is_one_clear_error(gelu_model, solu_model, gelu_records, tmp_path):
    folder, _ = gelu_records
    out = tmp_path / "g.jsonl"
    with pytest.raises(N2GError, match="from model"):
        build_graphs(solu_model, folder, QUICK, out, False)
    with pytest.raises(N2GError, match="neuron 99 is out of range"):
        build_graphs(gelu_model, folder, QUICK, out, False, neurons=[99])
    with pytest.raises(N2GError, match="not 5"):
        build_graphs(gelu_model, folder, QUICK, out, False, layers=[5])
    build_graphs(gelu_model, folder, QUICK, out, False, layers=[0], neurons=range(3))
    lines = out.read_text().splitlines(keepends=True)
    broken = json.loads(lines[1])
    broken["nodes"] = "oops"
    corrupt = lines[0] + json.dumps(broken) + "\n" + lines[2]
    out.write_text(corrupt)
    with pytest.raises(N2GError, match=r"g\.jsonl:2"):
        build_graphs(gelu_model, folder, QUICK, out, False, layers=[0], neurons=range(4))
    assert out.read_text() == corrupt  # nothing touched
    errors = []
    assert len(list(iter_graph_file(out, errors=errors))) == 2 and len(errors) == 1


def test_empty_and_silent_neurons_still_get_a_graph(gelu_model, gelu_records):
    _, records = gelu_records
    silent = type(records[1])(**{**records[1].__dict__})
    silent.acts = np.where(np.arange(16)[:, None, None] == 2, -1.0, records[1].acts)
    silent.a_max = np.where(np.arange(16) == 2, -1.0, records[1].a_max).astype(np.float32)
    (graph,) = build_neuron_graphs(gelu_model, silent, [2], QUICK)
    assert graph.nodes == [] and graph.evaluation.n_test_firing == 0


@pytest.mark.parametrize("end_activation", ["rescaled", "pruned"])
def test_graphs_reproduce_their_own_training_firings(gelu_model, gelu_records, end_activation):
    """With END nodes rescaled to the full context (the paper's numbers), every training
    window's pivot is predicted at least at its recorded normalised activation: the
    example's own path matches the window. With the pruned activation stored, pruning may
    have let it fall to half, so some training firings are predicted below it."""
    from n2g.graph.predict import NeuronTrie

    _, records = gelu_records
    config = QUICK.model_copy(update={"end_activation": end_activation})
    neurons = list(range(gelu_model.n_units))
    shortfalls = []
    for graph in build_neuron_graphs(gelu_model, records[1], neurons, config):
        plan = plan_neuron(records[1], graph.neuron, config)
        trie = NeuronTrie.from_graph(graph)
        assert graph.settings.end_activation == end_activation
        for tokens, acts in plan.train:
            pivot = int(np.argmax(acts))
            if acts[pivot] <= 0:
                continue
            predicted = float(trie.predict(tokens)[pivot])
            shortfalls.append(acts[pivot] / plan.a_max - predicted)
    if end_activation == "rescaled":
        assert max(shortfalls) < 1e-4
    else:
        assert max(shortfalls) > 0.05


def test_folded_graphs_see_token_classes(gelu_model, gelu_records):
    """With token folding the trie holds class ids named by folded text, reproduces its
    training firings on the folded windows, fires alike on any case of a window, and is
    scored (with both baselines) on folded tokens."""
    from n2g.builder.evaluate import evaluate_split
    from n2g.graph.predict import NeuronTrie
    from n2g.graph.token_fold import fold_token, vocabulary_classes

    _, records = gelu_records
    classes = vocabulary_classes(gelu_model.tokenizer)
    config = QUICK.model_copy(update={"fold_tokens": True})
    graphs = build_neuron_graphs(gelu_model, records[1], list(range(gelu_model.n_units)), config)
    swapped_case_differs = False
    for graph in graphs:
        assert graph.settings.fold_tokens
        plan = plan_neuron(records[1], graph.neuron, config)
        trie = NeuronTrie.from_graph(graph)
        for node in graph.nodes:
            if node.token_id is not None:
                assert classes.canon[node.token_id] == node.token_id
                name = gelu_model.token_strings([node.token_id])[0]
                assert node.token == fold_token(name)
        for tokens, acts in plan.train:
            pivot = int(np.argmax(acts))
            if acts[pivot] > 0:
                assert float(trie.predict(classes.map(tokens))[pivot]) >= (
                    acts[pivot] / plan.a_max - 1e-4
                )
            text = gelu_model.tokenizer.decode(tokens.tolist())
            swapped = np.asarray(gelu_model.encode(text.swapcase()))
            if len(swapped) == len(tokens):
                swapped_case_differs |= bool((swapped != tokens).any())
                np.testing.assert_array_equal(
                    trie.predict(classes.map(swapped)), trie.predict(classes.map(tokens))
                )
        test = [(classes.map(t), a / plan.a_max) for t, a in plan.test]
        train = [(classes.map(t), a / plan.a_max) for t, a in plan.train]
        expected = evaluate_split(trie.predict_many, train, test, config.firing_threshold)
        assert graph.evaluation is not None
        assert graph.evaluation.n2g == expected.n2g
        assert graph.evaluation.baselines == expected.baselines
    assert swapped_case_differs


def test_extra_training_examples_leave_the_test_split_alone(gelu_records):
    _, records = gelu_records
    base = QUICK.model_copy(update={"n_examples": 8})
    more = base.model_copy(update={"extra_train_examples": 4})
    for neuron in (0, 3, 7):
        plain, extra = plan_neuron(records[1], neuron, base), plan_neuron(records[1], neuron, more)
        assert (len(plain.train), len(plain.test)) == (4, 4)
        assert len(extra.train) == 8
        assert [t.tolist() for t, _ in extra.test] == [t.tolist() for t, _ in plain.test]
        ranked = records[1].examples(neuron)
        assert [t.tolist() for t, _ in extra.train[4:]] == [t.tolist() for t, _ in ranked[8:12]]


def test_sampled_training_examples_never_include_a_test_window(
    gelu_model, gelu_records, tmp_path, corpus_text
):
    from n2g.record.config import RecordConfig
    from n2g.record.recorder import record_stage
    from n2g.record.store import load_layer

    (tmp_path / "text.txt").write_text(corpus_text, encoding="utf-8")
    config = RecordConfig(window=16, k=6, samples=8, max_tokens=None)
    record_stage(gelu_model, str(tmp_path / "text.txt"), [1], tmp_path / "r", config)
    records = load_layer(tmp_path / "r", 1)
    build = QUICK.model_copy(update={"n_examples": 6, "sample_train_examples": 3})
    grew = 0
    for neuron in range(gelu_model.n_units):
        plan = plan_neuron(records, neuron, build)
        test = {tuple(t.tolist()) for t, _ in plan.test}
        assert len(plan.test) == 3 and 3 <= len(plan.train) <= 6
        assert not test & {tuple(t.tolist()) for t, _ in plan.train}
        grew += len(plan.train) - 3
    assert grew > 0
    _, plain_records = gelu_records
    with pytest.raises(N2GError, match="weighted sample"):
        plan_neuron(plain_records[1], 0, build)


def test_the_summary_says_where_the_time_went(gelu_model, gelu_records, tmp_path):
    folder, _ = gelu_records
    summary = build_graphs(gelu_model, folder, QUICK, tmp_path / "g.jsonl", False, neurons=[0, 1])
    assert {"plan", "prune", "saliency", "trie", "evaluate"} <= set(summary.stage_seconds)
    assert all(seconds >= 0 for seconds in summary.stage_seconds.values())


def test_random_windows_of_several_layers_come_from_one_pass(tmp_path):
    from n2g.builder.random_windows import WINDOW_LAYER_GROUP, random_windows_provider
    from n2g.models.tiny import tiny_model

    from .conftest import TEXT

    model = tiny_model(n_layers=8, d_model=32, d_mlp=16, act_fn="gelu", seed=4)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    passes: list[list[int]] = []
    real = model.unit_activations

    def counted(batch, layers):
        passes.append(list(layers))
        return real(batch, layers)

    one_by_one = random_windows_provider(model, str(corpus), 5, 24, 0)
    expected = {layer: one_by_one(layer) for layer in range(8)}
    model.unit_activations = counted  # type: ignore[method-assign]
    grouped = random_windows_provider(model, str(corpus), 5, 24, 0, layers=range(8))
    for layer in range(8):
        got = grouped(layer)
        assert [w.tolist() for w in got.windows] == [w.tolist() for w in expected[layer].windows]
        np.testing.assert_array_equal(got.acts, expected[layer].acts)
    assert passes == [list(range(WINDOW_LAYER_GROUP)), list(range(WINDOW_LAYER_GROUP, 8))]
    again = grouped(3)  # asked again after use: computed again, the same
    np.testing.assert_array_equal(again.acts, expected[3].acts)
