"""Masked copies of augmented examples from their origin's states: the same importances as
masking each augmented example on its own, and the tree route only where it saves tokens."""

from __future__ import annotations

import numpy as np

from n2g.builder.examples import Example
from n2g.builder.saliency import add_saliency
from n2g.builder.saliency_tree import OriginGroup, Sibling


def _augmented(origin: np.ndarray, neuron: int, position: int, token: int) -> Example:
    tokens = origin.copy()
    tokens[position] = token
    return Example(neuron, tokens, 1.0, augmented=True, origin=origin, substituted_at=position)


def _family(model) -> list[Example]:
    origin = np.asarray(model.encode("an origin example, long enough"), dtype=np.int64)
    last = len(origin) - 1
    examples = [Example(3, origin, 1.0), Example(8, origin.copy(), 1.0)]
    for neuron in (3, 8):  # the same origin tokens for two neurons share every pass
        for position, token in [(last, 65), (last, 66), (last, 67), (4, 70), (4, 71), (9, 72)]:
            examples.append(_augmented(origin, neuron, position, token))
    short = np.asarray(model.encode("ab"), dtype=np.int64)
    examples += [Example(5, short, 1.0), _augmented(short, 5, 1, 90)]  # too short for a tree
    return examples


def _activations(model, examples):
    for e in examples:  # a real activation, so importances are comparable numbers
        e.activation = float(
            model.gather_activations([e.tokens.tolist()], 1, [0], [len(e.tokens) - 1], [e.neuron])[
                0
            ]
        )
    return examples


def test_tree_importances_equal_masking_each_example(gelu_model, monkeypatch):
    mask = gelu_model.mask_token_id
    tree, flat = _activations(gelu_model, _family(gelu_model)), _family(gelu_model)
    for a, b in zip(tree, flat, strict=True):
        b.activation = a.activation
    extended = []
    original = gelu_model.extend_states

    def counting(states, bases, *args, **kwargs):
        extended.append(len(bases))
        return original(states, bases, *args, **kwargs)

    monkeypatch.setattr(gelu_model, "extend_states", counting)
    add_saliency(gelu_model, 1, tree, mask_token_id=mask, batch_rows=16)
    assert extended  # the long origin's siblings took the tree route
    monkeypatch.undo()
    add_saliency(gelu_model, 1, flat, mask_token_id=mask, batch_rows=16, share_prefix=False)
    for a, b in zip(tree, flat, strict=True):
        np.testing.assert_allclose(a.importances, b.importances, atol=1e-4, rtol=1e-4)


def test_tree_only_where_it_saves_tokens():
    origin = tuple(range(10))
    pivot_subs = OriginGroup(origin, [Sibling(i, 9, 50 + i, 0) for i in range(4)])
    assert pivot_subs.tree_tokens() < pivot_subs.flat_tokens()
    lone_early = OriginGroup(origin, [Sibling(0, 2, 50, 0)])
    assert lone_early.tree_tokens() > lone_early.flat_tokens()
