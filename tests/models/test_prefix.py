"""NeuronModel.prefix_states / gather_after_prefix: a pass that starts where sequences part
answers what a full pass answers (absolute positions on the tiny models, rotary and
grouped-query attention on a tiny Llama folder), whatever the kept lengths in one pass."""

from __future__ import annotations

import pytest
import torch

from n2g.models import load_model
from n2g.models.base import NeuronModel
from n2g.models.tiny import tiny_model


def _check_against_full_passes(model: NeuronModel, layer: int) -> None:
    batch = [
        model.encode("a first sequence of several tokens"),
        model.encode("short"),
        model.encode("and a third, rather longer, sequence to share"),
    ]
    states = model.prefix_states(batch, layer)
    # (base, tokens kept, suffix): kept lengths from 0 (BOS only) to the whole sequence.
    asks = [(0, 3, [7, *batch[0][4:]]), (1, 0, [9, *batch[1][1:]]), (2, 10, batch[2][10:])]
    asks += [(1, len(batch[1]), [11, 12]), (2, 1, [5]), (0, len(batch[0]) - 1, [3])]
    suffixes = [suffix for _, _, suffix in asks]
    rows = [r for r, (_, _, s) in enumerate(asks) for _ in range(2) if len(s)]
    positions = [p for _, _, s in asks for p in (0, len(s) - 1) if len(s)]
    neurons = [(7 * i) % model.n_units for i in range(len(rows))]
    got = model.gather_after_prefix(
        states,
        [b for b, _, _ in asks],
        [keep for _, keep, _ in asks],
        suffixes,
        layer,
        positions,
        neurons,
        rows=rows,
    )
    full = [batch[b][:keep] + suffix for b, keep, suffix in asks]
    expected = model.gather_activations(
        full,
        layer,
        rows,
        [asks[r][1] + p for r, p in zip(rows, positions, strict=True)],
        neurons,
    )
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
    assert not model.model.hook_dict[f"blocks.{layer}.mlp.hook_post"].fwd_hooks


@pytest.mark.parametrize("act_fn", ["gelu", "solu_ln"])
def test_gather_after_prefix_equals_full_passes_tiny(act_fn):
    model = tiny_model(n_layers=3, act_fn=act_fn, seed=4)
    for layer in (0, 2):
        _check_against_full_passes(model, layer)


def test_gather_after_prefix_equals_full_passes_rotary_gqa(llama_folder):
    model = load_model(str(llama_folder))
    assert model.model.cfg.positional_embedding_type == "rotary"
    _check_against_full_passes(model, model.loaded_layers - 1)


def test_gather_after_prefix_refuses_what_it_cannot_answer():
    model = tiny_model(n_layers=2, seed=1)
    batch = [model.encode("abc"), model.encode("abcdef")]
    states = model.prefix_states(batch, 1)
    with pytest.raises(ValueError, match="longer than its sequence"):
        model.gather_after_prefix(states, [0], [4], [[1]], 1, [0], [0])
    with pytest.raises(ValueError, match="past the end"):
        model.gather_after_prefix(states, [1], [2], [[1, 2]], 1, [2], [0])
    model.prepend_bos = False  # nothing before the first token: keeping none reuses nothing
    try:
        states = model.prefix_states(batch, 1)
        with pytest.raises(ValueError, match="empty"):
            model.gather_after_prefix(states, [0], [0], [[1]], 1, [0], [0])
    finally:
        model.prepend_bos = True


@pytest.mark.parametrize("source", ["tiny", "llama"])
def test_extended_states_serve_a_further_level(source, llama_folder):
    model = tiny_model(n_layers=3, seed=5) if source == "tiny" else load_model(str(llama_folder))
    layer = model.loaded_layers - 1
    batch = [model.encode("one sequence to extend"), model.encode("two more")]
    states = model.prefix_states(batch, layer)
    # Level 1: row 0 keeps 4 tokens of sequence 0, row 1 keeps 2 of sequence 1.
    middle = [batch[0][:4] + [9, 8, 7], batch[1][:2] + [3, *batch[1][3:]]]
    extended = model.extend_states(states, [0, 1], [4, 2], [[9, 8, 7], [3, *batch[1][3:]]], layer)
    assert extended.lengths.tolist() == [len(m) for m in middle]
    # Level 2: from the extended rows, keep part of each and run a new suffix.
    asks = [(0, 5, [1, 2]), (1, 3, [4]), (0, len(middle[0]), [6])]
    got = model.gather_after_prefix(
        extended,
        [b for b, _, _ in asks],
        [k for _, k, _ in asks],
        [s for _, _, s in asks],
        layer,
        [len(s) - 1 for _, _, s in asks],
        [2, 5, 1],
    )
    full = [middle[b][:k] + s for b, k, s in asks]
    expected = model.gather_activations(
        full, layer, range(len(full)), [len(f) - 1 for f in full], [2, 5, 1]
    )
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
