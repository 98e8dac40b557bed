"""The recorder's activation histogram: every position of every unit counted exactly (against
a float-by-float reference), through resumes and old folders, and carried into the graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file, save_file

from n2g.builder.batch import build_neuron_graphs
from n2g.builder.config import BuildConfig
from n2g.errors import N2GError
from n2g.graph.file import dump_graph_line, parse_graph_line
from n2g.graph.histogram import bin_of
from n2g.models.tiny import tiny_model
from n2g.record import histogram as H
from n2g.record.corpus import open_corpus
from n2g.record.recorder import CHECKPOINT
from n2g.record.store import layer_file, load_layer
from n2g.record.topk import TopK
from tests.record.test_recorder import (
    LIMIT,
    WINDOW,
    _config,
    _interrupted_checkpoint,
    brute_force,
    corpus_dir,  # noqa: F401 (the fixture, used here under its name)
    record,
)

TINY_NORMAL = float(np.finfo(np.float32).tiny)  # 2^-126


def reference_columns(values: np.ndarray) -> np.ndarray:
    """Each float32's column, computed from its value (frexp), not its bits."""
    values = np.asarray(values, dtype=np.float32).astype(np.float64)
    out = np.full(values.shape, H.ABOVE, dtype=np.int64)  # inf and NaN
    finite = np.isfinite(values)
    out[values < 0] = H.NEGATIVE  # -inf too
    out[finite & (np.abs(values) < TINY_NORMAL)] = H.ZERO
    positive = finite & (values >= TINY_NORMAL)
    mantissa, exponent = np.frexp(values[positive])
    bins = (exponent - 1) * 4 + np.floor((mantissa * 2 - 1) * 4).astype(np.int64)
    columns = np.where(bins < H.FIRST_BIN, H.BELOW, H.FIRST_COLUMN + bins - H.FIRST_BIN)
    out[positive] = np.where(bins >= H.END_BIN, H.ABOVE, columns)
    out[np.isnan(values) & np.signbit(values)] = H.NEGATIVE
    return out


EDGE_VALUES = [0.0, -0.0, -1.0, -1e-40, 1e-40, 1e-30, 2.0**-16, 2.0**-16 * 0.99, 1.0, 1.24,
               1.25, 1.3, 1.99, 0.7, 3.0, 65535.0, 2.0**16, float("inf"), float("-inf"),
               float("nan")]  # fmt: skip


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_each_float_lands_in_the_column_its_value_says(dtype: torch.dtype) -> None:
    generator = torch.Generator().manual_seed(0)
    spread = torch.randn(4000, generator=generator) * 2.0 ** torch.randint(-30, 30, (4000,))
    values = torch.cat([torch.tensor(EDGE_VALUES), spread]).to(dtype)
    state = TopK.empty(len(values), 1, 1, dtype)
    state.count(values[None, None, :])  # one position of each "unit"
    got = state.hist.argmax(dim=1).numpy()
    assert (state.hist.sum(dim=1) == 1).all()
    np.testing.assert_array_equal(got, reference_columns(values.float().numpy()))
    assert bin_of(1.3) == 1 and bin_of(0.7) == -3  # the graph's own reference agrees


def reference_histogram(acts: np.ndarray) -> np.ndarray:
    """int64 [d, N_COLUMNS] of activations [N, W, d], float by float."""
    columns = reference_columns(acts).reshape(-1, acts.shape[-1])
    return np.stack([np.bincount(c, minlength=H.N_COLUMNS) for c in columns.T])


@pytest.mark.parametrize(("act_fn", "dtype"), [("gelu", "float32"), ("solu_ln", "bfloat16")])
def test_every_position_is_counted_exactly(tmp_path, corpus_dir, act_fn, dtype):  # noqa: F811
    model = tiny_model(act_fn=act_fn, seed=3).cast(dtype)
    corpus = open_corpus(str(corpus_dir))
    record(model, corpus, tmp_path / "r", config=_config(samples=2))
    for layer in (0, 1):
        got = load_layer(tmp_path / "r", layer)
        assert got.histogram is not None and got.sample is not None
        assert got.sample.histogram is None  # the sample's windows are not the corpus
        assert (got.histogram.sum(axis=1) == LIMIT * WINDOW).all()
        acts, *_ = brute_force(model, corpus, layer)
        np.testing.assert_array_equal(got.histogram, reference_histogram(acts))


def test_the_graph_carries_the_units_histogram(tmp_path, corpus_dir) -> None:  # noqa: F811
    model = tiny_model(seed=5)
    record(model, open_corpus(str(corpus_dir)), tmp_path / "r", layers=(1,))
    records = load_layer(tmp_path / "r", 1)
    assert records.histogram is not None
    graphs = build_neuron_graphs(model, records, [0, 7], BuildConfig(n_examples=4))
    for graph in graphs:
        hist = graph.activation_histogram
        assert hist == H.to_graph(records.histogram[graph.neuron])
        assert hist is not None and hist.positions == LIMIT * WINDOW
        top = hist.edges()[-2:]  # the last bin holds a_max
        assert top[0] <= graph.a_max < top[1] and hist.counts[-1] > 0 and hist.counts[0] > 0
        assert parse_graph_line(dump_graph_line(graph)) == graph


def _without_histogram(path: Path) -> None:
    arrays = load_file(str(path))
    del arrays["histogram"]
    save_file(arrays, str(path))


def test_records_and_checkpoints_from_before_the_histogram(tmp_path, corpus_dir) -> None:  # noqa: F811
    """An old records folder loads and builds (no histogram); a checkpoint written before
    the histogram resumes to records without one, never to counts of part of the corpus."""
    model = tiny_model(seed=6)
    corpus = open_corpus(str(corpus_dir))
    record(model, corpus, tmp_path / "r", layers=(0,))
    _without_histogram(tmp_path / "r" / layer_file(0))
    old = load_layer(tmp_path / "r", 0)
    assert old.histogram is None
    (graph,) = build_neuron_graphs(model, old, [3], BuildConfig(n_examples=4))
    assert graph.activation_histogram is None
    assert "activation_histogram" not in dump_graph_line(graph)

    from safetensors.torch import save_file as save_tensors

    out = tmp_path / "resumed"
    config = _config()
    tensors = _interrupted_checkpoint(model, corpus, out, config)
    from safetensors import safe_open

    with safe_open(str(out / CHECKPOINT), framework="pt") as handle:
        metadata = handle.metadata()
    assert "0.hist" in tensors
    tensors = {name: t for name, t in tensors.items() if not name.endswith(".hist")}
    save_tensors(tensors, str(out / CHECKPOINT), metadata=metadata)
    record(model, corpus, out, config=config)
    assert load_layer(out, 0).histogram is None
    whole = tmp_path / "whole"
    record(model, corpus, whole, config=config)
    np.testing.assert_array_equal(load_layer(out, 1).scores, load_layer(whole, 1).scores)


def test_a_histogram_of_another_shape_is_one_line(tmp_path, corpus_dir) -> None:  # noqa: F811
    record(tiny_model(seed=7), open_corpus(str(corpus_dir)), tmp_path / "r", layers=(0,))
    path = tmp_path / "r" / layer_file(0)
    arrays = load_file(str(path))
    arrays["histogram"] = arrays["histogram"][:, :-1].copy()
    save_file(arrays, str(path))
    with pytest.raises(N2GError, match="histogram of shape") as error:
        load_layer(tmp_path / "r", 0)
    assert "\n" not in str(error.value)
