"""load_model / load_tokenizer by name, and NeuronModel's padding contract on tiny models."""

from __future__ import annotations

import pytest
import torch

from n2g.errors import N2GError
from n2g.models import OFFLINE_MODEL, load_model, load_tokenizer
from n2g.models.tiny import tiny_model
from n2g.models.tokenizers import ByteTokenizer


def test_unknown_name_lists_what_is_accepted():
    with pytest.raises(N2GError) as info:
        load_model("no-such-model-xyz")
    message = str(info.value)
    assert "\n" not in message
    assert OFFLINE_MODEL in message and "folder" in message and "gpt2-small" in message


def test_unknown_name_for_tokenizer_too():
    with pytest.raises(N2GError, match="unknown model"):
        load_tokenizer("no-such-model-xyz")


def test_n_layers_must_be_positive():
    with pytest.raises(N2GError, match="at least 1"):
        load_model(OFFLINE_MODEL, n_layers=0)


def test_tiny_names_round_trip():
    built = tiny_model(act_fn="solu_ln", n_layers=2, seed=3)
    loaded = load_model(built.name)
    assert loaded.name == built.name
    tokens = [built.encode("hello world")]
    assert torch.equal(
        built.unit_activations(tokens, [1])[1], loaded.unit_activations(tokens, [1])[1]
    )
    assert isinstance(load_tokenizer(built.name), ByteTokenizer)
    with pytest.raises(N2GError, match="has 2"):
        load_model(built.name, n_layers=3)


@pytest.mark.parametrize("act_fn", ["gelu", "solu_ln"])
def test_padding_does_not_change_activations(act_fn):
    model = tiny_model(act_fn=act_fn, seed=1)
    texts = ["a short one", "a much longer sequence of bytes than the first", "mid length"]
    batch = [model.encode(t) for t in texts]
    together = model.unit_activations(batch, [0, 1])
    for row, ids in enumerate(batch):
        alone = model.unit_activations([ids], [0, 1])
        for layer in (0, 1):
            n = len(ids)
            torch.testing.assert_close(together[layer][row, :n], alone[layer][0], atol=1e-5, rtol=0)
            assert torch.all(together[layer][row, n:] == 0)


def test_check_layer_tells_out_of_range_from_not_loaded():
    model = tiny_model(n_layers=2)
    with pytest.raises(ValueError, match="out of range"):
        model.check_layer(2)


def test_gather_answers_many_requests_per_sequence():
    model = tiny_model(n_layers=3, seed=2)
    batch = [model.encode("gather me"), model.encode("and a second, longer sequence")]
    full = model.unit_activations(batch, [1])[1]
    rows, positions, neurons = [0, 0, 1, 1, 1], [0, 8, 3, 3, 28], [5, 0, 7, 2, 11]
    got = model.gather_activations(batch, 1, rows, positions, neurons)
    expected = torch.stack(
        [full[r, p, n] for r, p, n in zip(rows, positions, neurons, strict=True)]
    )
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    # The pass stops at the read hook; the next reading of a deeper layer is unaffected.
    deeper = model.unit_activations(batch, [2])[2]
    torch.testing.assert_close(deeper, model.unit_activations(batch, [1, 2])[2], atol=1e-5, rtol=0)
    assert not model.model.hook_dict["blocks.1.mlp.hook_post"].fwd_hooks  # hooks removed


def test_a_failed_pass_leaves_no_hook_behind():
    model = tiny_model(n_layers=2, seed=2)
    batch = [model.encode("a pass that fails")]
    with pytest.raises(RuntimeError, match="reader failed"):

        def read(value):
            raise RuntimeError("reader failed")

        model._run_until(model._pad(batch)[0], {0: read, 1: read})
    assert not any(point.fwd_hooks for point in model.model.hook_dict.values())
    before = model.unit_activations(batch, [1])[1]
    torch.testing.assert_close(before, model.unit_activations(batch, [0, 1])[1])


def test_gather_refuses_a_position_past_the_end():
    model = tiny_model(n_layers=1)
    with pytest.raises(ValueError, match="past the end"):
        model.gather_activations([model.encode("ab"), model.encode("abcdef")], 0, [0], [4], [0])
