"""The number format of a model's passes: resolution of "auto", casting, float32 outputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from n2g.errors import N2GError
from n2g.models import load_model
from n2g.models.dtype import DTYPES, native_bfloat16, resolve_dtype

TINY = "tiny-gelu-2l-s0"


def test_explicit_formats_resolve_to_themselves():
    assert resolve_dtype("float32", "cpu") == "float32"
    assert resolve_dtype("bfloat16", "cpu") == "bfloat16"
    assert DTYPES == ("auto", "float32", "bfloat16")


def test_auto_follows_the_hardware():
    expected = "bfloat16" if native_bfloat16("cpu") else "float32"
    assert resolve_dtype("auto", "cpu") == expected
    assert not native_bfloat16("mps")  # only CPUs and CUDA devices are judged native


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="dtype must be one of"):
        resolve_dtype("float16", "cpu")
    with pytest.raises(N2GError, match="dtype must be one of"):
        load_model(TINY, dtype="int8")


def test_library_default_is_the_exact_model():
    assert load_model(TINY).dtype == "float32"


def test_bfloat16_passes_return_float32_close_to_the_exact_model():
    exact = load_model(TINY)
    fast = load_model(TINY, dtype="bfloat16")
    assert fast.dtype == "bfloat16"
    assert all(p.dtype == torch.bfloat16 for p in fast.model.parameters())
    windows = [exact.encode("def main(): return print('hello world')")]
    a = exact.unit_activations(windows, [0, 1])
    b = fast.unit_activations(windows, [0, 1])
    for layer in (0, 1):
        assert b[layer].dtype == torch.float32
        x, y = a[layer].flatten().numpy(), b[layer].flatten().numpy()
        assert np.corrcoef(x, y)[0, 1] > 0.99
        assert not np.array_equal(x, y)  # it really ran in the other format
    gathered = fast.gather_activations(windows, 1, [0, 0], [3, 7], [5, 9])
    assert gathered.dtype == torch.float32
    assert torch.equal(gathered, b[1][0, [3, 7], [5, 9]])


def test_native_activations_are_the_same_numbers_in_the_pass_format():
    """`native=True` keeps bfloat16 values as computed (exact in bfloat16: half the memory),
    padding zeroed like the float32 answer."""
    fast = load_model(TINY, dtype="bfloat16")
    batch = [fast.encode("def main(): return 1"), fast.encode("x = 2")]
    wide = fast.unit_activations(batch, [0, 1])
    native = fast.unit_activations(batch, [0, 1], native=True)
    for layer in (0, 1):
        assert native[layer].dtype == torch.bfloat16
        assert torch.equal(native[layer].float(), wide[layer])
        assert torch.all(native[layer][1, len(batch[1]) :] == 0)
    exact = load_model(TINY)
    assert exact.unit_activations(batch, [1], native=True)[1].dtype == torch.float32
