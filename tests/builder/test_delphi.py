"""delphi's protocol, LLM-free: hand-made contexts whose scores are worked out by hand.

Every expected number below is computed in the comments from the definitions in
n2g/builder/delphi.py, not read off the code's output.
"""

from __future__ import annotations

import numpy as np
import pytest

from n2g.builder.batch import build_neuron_graphs
from n2g.builder.config import BuildConfig
from n2g.builder.delphi import (
    CONTEXT,
    activating_context,
    deciles,
    delphi_scores,
    held_out_contexts,
    occurs_in,
    tiles,
)
from n2g.builder.plan import normalised, plan_neuron
from n2g.builder.random_windows import RandomWindows
from n2g.graph.predict import NeuronTrie
from n2g.record.store import LayerRecords
from n2g.scoring import baseline_names, scorers

LEVEL = 0.5


def _window(tokens: list[int], truth: list[float]) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(tokens, dtype=np.int64), np.asarray(truth, dtype=np.float32)


def test_an_activating_context_holds_the_peak_at_position_24_inside_the_window():
    tokens = np.arange(100, 140)  # 40 tokens
    for peak, start in ((30, 6), (3, 0), (39, 8)):  # 30 - 24 = 6; clipped to 0; to 40 - 32
        truth = np.zeros(40, np.float32)
        truth[peak] = 0.9
        context, values = activating_context(tokens, truth)
        assert context.tolist() == list(range(100 + start, 100 + start + CONTEXT))
        assert int(np.argmax(values)) == peak - start
    short = _window([1, 2, 3], [0.0, 0.7, 0.0])  # shorter than a context: all of it
    assert activating_context(*short)[0].tolist() == [1, 2, 3]


def test_tiles_cover_a_window_from_its_start_in_whole_contexts():
    tokens = np.arange(70)
    assert [t[0].tolist() for t in tiles(tokens, np.zeros(70))] == [
        list(range(0, 32)),
        list(range(32, 64)),  # the last 6 tokens make no whole context
    ]
    assert [t[0].tolist() for t in tiles(np.arange(20), np.zeros(20))] == [list(range(20))]


def test_deciles_are_equal_counts_weakest_first():
    assert deciles([0.9, 0.6, 0.7]).tolist() == [6, 0, 3]  # ranks 2, 0, 1 of 3: 10 r // 3
    assert deciles([0.5, 0.5]).tolist() == [0, 5]  # a tie keeps the order given
    assert deciles(np.linspace(1, 0, 20)).tolist() == [9 - i // 2 for i in range(20)]
    assert deciles([]).tolist() == []


def test_a_context_seen_verbatim_in_training_is_found():
    train = [np.asarray([1, 5, 6, 7, 9]), np.asarray([2, 3])]
    contexts = [np.asarray([5, 6, 7]), np.asarray([6, 5]), np.asarray([2, 3]), np.asarray([8])]
    assert occurs_in(contexts, train) == [True, False, True, False]
    assert occurs_in(contexts, []) == [False] * 4


def _hand_made():
    """Held out: A fires at tokens 1 and 3 (peak 0.9), B at token 0 (0.7), C never; random
    windows: R1 silent but seen in training, R2 fires at token 1 (0.55), R3 silent."""
    a = _window([1, 2, 3, 4], [0.0, 0.6, 0.0, 0.9])
    b = _window([5, 6, 7, 8], [0.7, 0.0, 0.0, 0.0])
    c = _window([9, 9, 9, 9], [0.1, 0.2, 0.3, 0.4])
    r1 = _window([10, 11, 12, 13], [0.0] * 4)
    r2 = _window([14, 15, 16, 17], [0.0, 0.55, 0.0, 0.0])
    r3 = _window([30, 31, 32, 33], [0.0] * 4)
    train = [np.asarray([20, 21, 22, 10, 11, 12, 13, 23])]
    random = [r1, r2, r3]
    return held_out_contexts([a, b, c, *random], random, train, LEVEL)


def test_held_out_contexts_by_hand():
    held_out = _hand_made()
    # activating: A, B, R2 (C never reaches the level); non-activating: R3 (R1 was trained
    # on, R2 fires); deciles of 0.9, 0.7, 0.55 among 3: 6, 3, 0
    assert [t.tolist() for t, _ in held_out.activating] == [[1, 2, 3, 4], [5, 6, 7, 8],
                                                             [14, 15, 16, 17]]  # fmt: skip
    assert held_out.deciles.tolist() == [6, 3, 0]
    assert [t.tolist() for t, _ in held_out.non_activating] == [[30, 31, 32, 33]]
    assert len(held_out.contexts) == 4


def test_detection_and_fuzzing_by_hand():
    held_out = _hand_made()
    predicted = {  # per context: A, B, R2 (activating), then R3 (non-activating)
        "n2g": [[0, 0.8, 0, 0.3], [0, 0, 0, 0], [0, 0.6, 0, 0], [0.9, 0.9, 0.9, 0.9]],
        "token_lookup": [[0, 0.6, 0, 0.6], [0.5, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0.7]],
    }
    arrays = {m: [np.asarray(p, np.float32) for p in v] for m, v in predicted.items()}
    scores = delphi_scores(held_out, arrays, LEVEL, np.random.default_rng(0))
    assert scores.decile_sizes == [1, 0, 0, 1, 0, 0, 1, 0, 0, 0]
    assert scores.n_non_activating == 1
    # marked tokens per correct fuzzing sample: A 2, B 1, R2 1 -> ceil(4 / 3) = 2
    assert scores.n_highlighted == 2 and scores.context_tokens == CONTEXT

    n2g = scores.n2g  # detection: A yes, B no, R2 yes; R3 called activating (false positive)
    assert n2g.detection.true_positive_rate == pytest.approx(2 / 3)
    assert n2g.detection.true_negative_rate == 0.0
    assert n2g.detection.balanced_accuracy == pytest.approx(1 / 3)
    assert n2g.detection.decile_hits == [1, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    # fuzzing: A's token 3 predicted 0.3 (not all marked fire), B none, R2 yes; R3's two
    # random marks both predicted 0.9: called correct (a false positive)
    assert n2g.fuzzing.true_positive_rate == pytest.approx(1 / 3)
    assert n2g.fuzzing.balanced_accuracy == pytest.approx(1 / 6)
    assert n2g.fuzzing.decile_hits == [1] + [0] * 9

    lookup = scores.baselines["token_lookup"]  # detection: A yes, B yes (0.5), R2 no; R3 yes
    assert lookup.detection.balanced_accuracy == pytest.approx((2 / 3 + 0) / 2)
    assert lookup.detection.decile_hits == [0, 0, 0, 1, 0, 0, 1, 0, 0, 0]
    # fuzzing: A and B marked tokens all fire, R2 not; R3 fires on one token of the two
    # marked, whichever two they are: called wrong (a true negative)
    assert lookup.fuzzing.true_negative_rate == 1.0
    assert lookup.fuzzing.balanced_accuracy == pytest.approx((2 / 3 + 1) / 2)


def test_a_context_held_out_twice_counts_once():
    window = _window([1, 2, 3], [0.0, 0.9, 0.0])  # e.g. a random window equal to a test one
    held_out = held_out_contexts([window, window], [], [], LEVEL)
    assert len(held_out.activating) == 1 and held_out.deciles.tolist() == [0]


def test_an_empty_class_leaves_its_rate_and_the_balanced_accuracy_undefined():
    silent = _window([1, 2, 3], [0.1, 0.0, 0.2])
    held_out = held_out_contexts([silent], [silent], [], LEVEL)
    assert held_out.activating == [] and len(held_out.non_activating) == 1
    scores = delphi_scores(held_out, {"n2g": [np.zeros(3, np.float32)]}, LEVEL,
                           np.random.default_rng(0))  # fmt: skip
    detection = scores.n2g.detection
    assert (detection.true_positive_rate, detection.balanced_accuracy) == (None, None)
    assert detection.true_negative_rate == 1.0
    assert scores.n_highlighted == 1 and scores.decile_sizes == [0] * 10


def test_a_unit_without_any_context_has_no_rates():
    held_out = held_out_contexts([], [], [], LEVEL)
    scores = delphi_scores(held_out, {"n2g": []}, LEVEL, np.random.default_rng(0))
    assert scores.n2g.fuzzing.balanced_accuracy is None and scores.n_non_activating == 0
    assert scores.n2g.detection.true_negative_rate is None


def test_long_windows_give_one_context_per_window_and_tile_the_random_ones():
    truth = np.zeros(64, np.float32)
    truth[40] = 0.8  # fires once, in the second tile
    window = (np.arange(64), truth)
    held_out = held_out_contexts([window], [window], [], LEVEL)
    [(context, values)] = held_out.activating
    assert context.tolist() == list(range(16, 48)) and float(values[24]) == pytest.approx(0.8)
    assert [t.tolist() for t, _ in held_out.non_activating] == [list(range(32))]


# -- in the build: which windows are held out, and every unit scored ----------------------


def _records(k_tokens: list[list[int]], sample_tokens: list[list[int]]) -> LayerRecords:
    """One unit's records, strongest window first (scores descending), and its sample."""

    def layer(windows: list[list[int]]) -> LayerRecords:
        n, width = len(windows), len(windows[0])
        tokens = np.asarray(windows, dtype=np.int32)[None]
        acts = np.linspace(1.0, 0.5, n * width, dtype=np.float32).reshape(1, n, width)
        return LayerRecords(
            layer=0, tokens=tokens, acts=acts, lengths=np.full((1, n), width, np.int32),
            doc_ids=np.zeros((1, n), np.int64), scores=acts.max(axis=2),
            a_max=np.ones(1, np.float32),
        )  # fmt: skip

    records = layer(k_tokens)
    records.sample = layer(sample_tokens)
    return records


def test_the_plan_holds_out_what_never_trains():
    recorded = [[i, i] for i in range(5)]  # ranks 0-4
    # the sample: rank 0 again (a top window), two new ones, rank 4 again (held out already)
    sampled = [[0, 0], [7, 7], [4, 4], [8, 8]]
    records = _records(recorded, sampled)
    config = BuildConfig(n_examples=2, extra_train_examples=1, sample_train_examples=1)
    plan = plan_neuron(records, 0, config)
    # ranks 0-1 split into train and test, rank 2 trains, the first fresh sample window
    # ([7, 7]) trains; ranks 3-4 and the other fresh one ([8, 8]) are held out
    assert sorted(t[0] for t, _ in plan.train) == sorted([*{0, 1} - {plan.test[0][0][0]}, 2, 7])
    assert [t.tolist() for t, _ in plan.held_out] == [[3, 3], [4, 4], [8, 8]]
    untrained = plan_neuron(records, 0, config.model_copy(update={"sample_train_examples": 0}))
    assert [t.tolist() for t, _ in untrained.held_out] == [[3, 3], [4, 4], [7, 7], [8, 8]]
    records.sample = None  # the sample changes nothing but what is held out
    alone = plan_neuron(records, 0, config.model_copy(update={"sample_train_examples": 0}))
    for a, b in ((alone.train, untrained.train), (alone.test, untrained.test)):
        assert [t.tolist() for t, _ in a] == [t.tolist() for t, _ in b]
    assert [t.tolist() for t, _ in alone.held_out] == [[3, 3], [4, 4]]


CONFIG = BuildConfig(n_examples=8, extra_train_examples=2, pivots="argmax", batch_rows=64)


def test_the_build_scores_every_unit_with_every_method(gelu_model, gelu_records, corpus_text):
    """Each graph's delphi scores are those of its own trie and of baselines fitted on its
    training windows, on the contexts its plan holds out (k = 20: ranks 11-20 held out)."""
    _, records = gelu_records
    ids = gelu_model.encode(corpus_text)
    sample = RandomWindows.compute(gelu_model, 1, "corpus", [ids[i : i + 40] for i in (3, 90)])
    graphs = build_neuron_graphs(gelu_model, records[1], list(range(6)), CONFIG, sample=sample)
    for graph in graphs:
        assert graph.evaluation is not None and graph.evaluation.delphi is not None
        delphi = graph.evaluation.delphi
        assert list(delphi.baselines) == list(baseline_names())
        plan = plan_neuron(records[1], graph.neuron, CONFIG)
        random = list(zip(sample.windows, sample.truth(plan), strict=True))
        windows = [(t, normalised(plan, a)) for t, a in plan.test + plan.held_out] + random
        held_out = held_out_contexts(windows, random, [t for t, _ in plan.train], LEVEL)
        assert sum(delphi.decile_sizes) == len(held_out.activating) > 0
        train = [(t, normalised(plan, a)) for t, a in plan.train]
        predicted = {
            "n2g": NeuronTrie.from_graph(graph).predict_many(held_out.contexts),
            **{m.name: [m(train).predict(c) for c in held_out.contexts] for m in scorers()},
        }
        rng = np.random.default_rng([CONFIG.seed, 1, graph.neuron])
        assert delphi == delphi_scores(held_out, predicted, LEVEL, rng)
    assert any(g.evaluation and g.evaluation.delphi and g.evaluation.delphi.n_non_activating
               for g in graphs)  # fmt: skip


def test_no_random_windows_no_delphi_scores(gelu_model, gelu_records):
    _, records = gelu_records
    (graph,) = build_neuron_graphs(gelu_model, records[1], [3], CONFIG)
    assert graph.evaluation is not None and graph.evaluation.delphi is None
