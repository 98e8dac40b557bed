"""variant_activations: one-token variants answered from their base's kept prefix agree
with whole passes, take the shared route only when it saves tokens, and run fewer tokens."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.builder import variants
from n2g.builder.variants import Variant, variant_activations, worth_sharing


def _bases_and_variants(model):
    texts = ["the cat sat on the mat", "a", "import numpy as np; x = np.zeros(3)"]
    bases = [np.asarray(model.encode(t), dtype=np.int64) for t in texts]
    bases.append(bases[0].copy())  # the same tokens for another neuron: its states are shared
    asked = []
    for b, tokens in enumerate(bases):
        for k in range(len(tokens)):
            asked.append(Variant(b, k, model.mask_token_id, 3 + b))
            asked.append(Variant(b, k, int(tokens[(k + 1) % len(tokens)]), 3 + b))
    return bases, asked


def test_shared_prefix_answers_what_whole_passes_answer(gelu_model):
    bases, asked = _bases_and_variants(gelu_model)
    shared = variant_activations(gelu_model, 1, bases, asked, batch_rows=7)
    whole = variant_activations(gelu_model, 1, bases, asked, batch_rows=7, share_prefix=False)
    np.testing.assert_allclose(shared, whole, atol=1e-4, rtol=1e-4)
    assert np.abs(whole).max() > 0


def test_state_budget_splits_bases_without_changing_answers(gelu_model, monkeypatch):
    bases, asked = _bases_and_variants(gelu_model)
    whole = variant_activations(gelu_model, 1, bases, asked, batch_rows=64, share_prefix=False)
    monkeypatch.setattr(variants, "STATE_TOKENS", 24)  # one base at a time
    runs = []
    original = gelu_model.prefix_states

    def counting(batch, layer):
        runs.append(len(batch))
        return original(batch, layer)

    monkeypatch.setattr(gelu_model, "prefix_states", counting)
    shared = variant_activations(gelu_model, 1, bases, asked, batch_rows=64)
    np.testing.assert_allclose(shared, whole, atol=1e-4, rtol=1e-4)
    assert runs == [1, 1]  # "a" is too short to share; the repeated base runs once


def test_shared_route_runs_fewer_tokens(gelu_model, monkeypatch):
    base = np.asarray(gelu_model.encode("a rather long example for masking"), dtype=np.int64)
    asked = [Variant(0, k, gelu_model.mask_token_id, 5) for k in range(len(base))]
    tokens = {"whole": 0, "suffix": 0, "base": 0}
    gather, after, prefix = (
        gelu_model.gather_activations,
        gelu_model.gather_after_prefix,
        gelu_model.prefix_states,
    )

    def count(kind, fn):
        def run(batch, *args, **kwargs):
            tokens[kind] += sum(len(s) for s in batch)
            return fn(batch, *args, **kwargs)

        return run

    def count_suffixes(states, bases, keeps, suffixes, *args, **kwargs):
        tokens["suffix"] += sum(len(s) for s in suffixes)
        return after(states, bases, keeps, suffixes, *args, **kwargs)

    monkeypatch.setattr(gelu_model, "gather_activations", count("whole", gather))
    monkeypatch.setattr(gelu_model, "prefix_states", count("base", prefix))
    monkeypatch.setattr(gelu_model, "gather_after_prefix", count_suffixes)
    variant_activations(gelu_model, 1, [base], asked, batch_rows=256)
    n = len(base)
    # BOS precedes every sequence, so even position 0 reuses a prefix (the BOS).
    assert tokens == {"whole": 0, "suffix": n * (n + 1) // 2, "base": n}
    assert sum(tokens.values()) < n * n


@pytest.mark.parametrize(
    ("length", "positions", "bos", "expected"),
    [
        (10, range(10), 1, True),  # all masks: skip 55 tokens for a base pass of 11
        (3, range(3), 1, False),  # 6 skipped against 4: not worth a pass of its own
        (10, [9] * 5, 1, True),  # five substitutes of the pivot: 50 against 11
        (10, [9], 1, False),  # one variant never pays for its base pass
        (4, [0, 0], 0, False),  # without BOS, position 0 reuses nothing
    ],
)
def test_worth_sharing(length, positions, bos, expected):
    assert worth_sharing(length, list(positions), bos) is expected


def test_length_batches_bound_rows_and_padding():
    lengths = [1, 1, 1, 2, 2, 8, 8, 8, 9]
    batches = variants.length_batches(lengths, max_rows=2)
    assert [list(b) for b in batches] == [[0, 1], [2], [3, 4], [5, 6], [7, 8]]
    for batch in variants.length_batches(lengths, max_rows=100):
        real = sum(lengths[i] for i in batch)
        assert len(batch) * lengths[batch[-1]] <= (1 + variants.PAD_WASTE) * real
    assert [len(b) for b in variants.length_batches(lengths, max_rows=100)] == [3, 2, 4]
