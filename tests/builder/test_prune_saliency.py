"""Batched prune and saliency against the plain one-pass-per-sequence computation."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.builder.examples import Example, PivotRow, pivot_batch
from n2g.builder.prune import make_source, pivot_positions, prune_examples, unique_examples
from n2g.builder.saliency import add_saliency
from n2g.testing.plain_builder import pivot_activation, plain_prune, plain_saliency


@pytest.mark.parametrize("which", ["gelu_model", "solu_model"])
@pytest.mark.parametrize(("block", "cap"), [(1, None), (3, None), (8, None), (2, 3)])
def test_prune_equals_plain_growth(request, make_records, which, block, cap):
    model = request.getfixturevalue(which)
    layer = model.n_layers - 1
    records = make_records(model, [layer], k=4, window=20)[layer]
    sources, plain = [], []
    for neuron in range(0, model.n_units, 3):
        for tokens, acts in records.examples(neuron):
            sources.append(make_source(neuron, tokens, acts))
            pivot = int(np.argmax(acts))
            plain.append(
                plain_prune(model, layer, neuron, tokens.astype(np.int64), acts, 0.5, pivot, cap)
            )
    batched = prune_examples(
        model, layer, sources, threshold=0.5, block=block, batch_rows=7, max_context=cap
    )
    assert len(batched) == len(plain) > 10
    lengths = []
    for fast, slow in zip(batched, plain, strict=True):
        assert (fast is None) == (slow is None)
        if fast is None:
            continue
        assert fast.key == slow.key  # the same shortest context
        assert fast.activation == pytest.approx(slow.activation, rel=1e-4, abs=1e-5)
        lengths.append(len(fast.tokens))
    assert len(set(lengths)) > 1  # contexts of several lengths were exercised
    if cap is not None:
        assert max(lengths) == cap  # some pivots needed more than the cap


def test_pruned_context_is_the_shortest(gelu_model, make_records):
    layer = 1
    records = make_records(gelu_model, [layer], k=3, window=20)[layer]
    sources = [make_source(n, t, a) for n in range(8) for t, a in records.examples(n)]
    pruned = prune_examples(gelu_model, layer, sources, threshold=0.5, block=4, batch_rows=64)
    for source, example in zip(sources, pruned, strict=True):
        if example is None:
            continue
        full = pivot_activation(gelu_model, layer, source.neuron, source.tokens[: source.pivot + 1])
        assert example.activation >= 0.5 * full - 1e-5
        if len(example.tokens) > 1:
            shorter = pivot_activation(gelu_model, layer, source.neuron, example.tokens[1:])
            assert shorter < 0.5 * full + 1e-5
        assert example.tokens[-1] == source.tokens[source.pivot]


def test_saliency_equals_plain_masking(solu_model, make_records):
    layer = 0
    records = make_records(solu_model, [layer], k=3, window=16)[layer]
    examples = []
    for neuron in range(0, 16, 2):
        for tokens, acts in records.examples(neuron):
            pivot = int(np.argmax(acts))
            context = tokens[max(0, pivot - 6) : pivot + 1].astype(np.int64)
            activation = pivot_activation(solu_model, layer, neuron, context)
            if activation > 0:
                examples.append(Example(neuron, context, activation))
    twins = [Example(e.neuron, e.tokens.copy(), e.activation) for e in examples]
    mask = solu_model.mask_token_id
    add_saliency(solu_model, layer, examples, mask_token_id=mask, batch_rows=5)
    for twin in twins:
        plain_saliency(solu_model, layer, twin, mask)
    for fast, slow in zip(examples, twins, strict=True):
        assert fast.importances.shape == (len(fast.tokens),)
        np.testing.assert_allclose(fast.importances, slow.importances, rtol=1e-3, atol=1e-4)
    # Masking the pivot itself matters for most neurons of a SoLU model.
    assert np.mean([e.importances[-1] for e in examples]) > 0.2


def test_mask_token_is_the_tokenizers_pad(gelu_model):
    # ByteTokenizer's pad (257) is a reserved id, not a real byte like the public code's 1.
    assert gelu_model.mask_token_id == gelu_model.tokenizer.pad_token_id == 257


def test_pivot_positions_and_repeats():
    acts = np.array([0.1, 0.9, -0.2, 0.5, 1.0, 0.49], dtype=np.float32)
    assert pivot_positions(acts, 2.0, 0.5, "firing") == [4]  # nothing else reaches 1.0
    assert pivot_positions(acts, 1.0, 0.5, "firing") == [1, 3, 4]
    assert pivot_positions(acts, 1.0, 0.5, "argmax") == [4]
    assert pivot_positions(acts, -1.0, 0.5, "firing") == [4]  # silent neuron: argmax only
    a, b = np.array([3, 4]), np.array([5])
    examples = [Example(0, a, 1.0), None, Example(0, a.copy(), 0.9), Example(1, a, 1.0)]
    kept = unique_examples([*examples, Example(0, b, 0.7)])
    assert [(e.neuron, e.key, e.activation) for e in kept] == [
        (0, (3, 4), 1.0), (1, (3, 4), 1.0), (0, (5,), 0.7)
    ]  # fmt: skip


def test_pivot_batch_runs_each_sequence_once_and_prefixes_not_at_all(gelu_model):
    ids = np.asarray(gelu_model.encode("the cat sat on the mat"), dtype=np.int64)
    rows = [
        PivotRow(ids[:4], 3, 3),
        PivotRow(ids[:4], 7, 2),  # same sequence, another neuron and position
        PivotRow(ids[:9], 1, 8),  # ids[:4] is a prefix of this one
        PivotRow(ids[2:6], 3, 3),
        PivotRow(ids[:1], 0, 0),
    ]
    sequences: list[list[int]] = []
    original = gelu_model.gather_activations

    def counting(batch, *args):
        sequences.extend(list(s) for s in batch)
        return original(batch, *args)

    gelu_model.gather_activations = counting
    try:
        got = pivot_batch(gelu_model, 1, rows, batch_rows=2)
    finally:
        del gelu_model.gather_activations
    alone = [pivot_activation(gelu_model, 1, r.neuron, r.tokens[: r.pivot + 1]) for r in rows]
    np.testing.assert_allclose(got, alone, atol=1e-5)
    assert sorted(sequences) == sorted([ids[:9].tolist(), ids[2:6].tolist()])
