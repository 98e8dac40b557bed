"""Shared fixtures: tiny seeded models and records built by brute force in the test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from n2g.models.base import NeuronModel
from n2g.models.tiny import tiny_model
from n2g.record.store import LayerRecords, RecordsManifest, save_layer, save_manifest

TEXT = (
    "The quick brown fox jumps over the lazy dog. A stitch in time saves nine. "
    "All that glitters is not gold. Where there is smoke there is fire. "
    "def main(): return print('hello world') if x else None. "
    "import numpy as np; x = np.zeros(3) + 1. for i in range(10): total += i. "
    "Better late than never; actions speak louder than words. "
) * 3


def brute_force_records(
    model: NeuronModel, text: str, layers: list[int], k: int, window: int
) -> dict[int, LayerRecords]:
    """Top-k windows of every neuron by direct computation over every window."""
    ids = model.encode(text)
    windows = [ids[i : i + window] for i in range(0, len(ids) - window + 1, window // 2)]
    acts_all = model.unit_activations(windows, layers)
    out = {}
    for layer in layers:
        acts = acts_all[layer].numpy()  # [n_windows, window, d_mlp]
        scores = acts.max(axis=1)  # [n_windows, d_mlp]
        d_mlp = acts.shape[2]
        top = np.argsort(-scores, axis=0, kind="stable")[:k].T  # [d_mlp, k]
        tokens = np.asarray(windows, dtype=np.int32)[top]  # [d_mlp, k, window]
        neuron_acts = np.stack([acts[top[n], :, n] for n in range(d_mlp)])
        out[layer] = LayerRecords(
            layer=layer,
            tokens=tokens,
            acts=neuron_acts.astype(np.float32),
            lengths=np.full((d_mlp, k), window, dtype=np.int32),
            doc_ids=np.zeros((d_mlp, k), dtype=np.int64),
            scores=np.take_along_axis(scores.T, top, axis=1).astype(np.float32),
            a_max=scores.max(axis=0).astype(np.float32),
        )
    return out


def write_records(
    folder: Path, model: NeuronModel, layers: list[int], k: int = 20, window: int = 24
) -> dict[int, LayerRecords]:
    records = brute_force_records(model, TEXT, layers, k, window)
    for layer_records in records.values():
        save_layer(folder, layer_records)
    text_file = folder.parent / f"{folder.name}-corpus.txt"  # reopened for the correlation
    text_file.write_text(TEXT, encoding="utf-8")
    save_manifest(
        folder,
        RecordsManifest(
            model=model.name,
            layers=layers,
            n_units=model.n_units,
            k=k,
            window=window,
            corpus=f"file:{text_file.resolve()}",
            n_windows=0,
            n_tokens=len(model.encode(TEXT)),
        ),
    )
    return records


@pytest.fixture(scope="session")
def gelu_model() -> NeuronModel:
    torch.set_num_threads(1)
    return tiny_model(n_layers=2, d_model=32, d_mlp=16, act_fn="gelu", seed=3)


@pytest.fixture(scope="session")
def solu_model() -> NeuronModel:
    torch.set_num_threads(1)
    return tiny_model(n_layers=1, d_model=32, d_mlp=16, act_fn="solu_ln", seed=5)


@pytest.fixture(scope="session")
def gelu_records(gelu_model, tmp_path_factory) -> tuple[Path, dict[int, LayerRecords]]:
    folder = tmp_path_factory.mktemp("records")
    return folder, write_records(folder, gelu_model, [0, 1])


@pytest.fixture(scope="session")
def make_records():
    """`make_records(model, layers, k, window)` -> {layer: LayerRecords} over TEXT."""

    def make(model: NeuronModel, layers: list[int], k: int, window: int):
        return brute_force_records(model, TEXT, layers, k, window)

    return make


@pytest.fixture(scope="session")
def tiny_mlm_path(tmp_path_factory) -> Path:
    """A tiny randomly initialised BERT masked LM with a character vocabulary, on disk."""
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-mlm")
    chars = list("abcdefghijklmnopqrstuvwxyz0123456789.,;:()'=+")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in chars)]
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
    )
    BertForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def write_records_fixture():
    """`write_records(folder, model, layers, k, window)` as a fixture (records on disk)."""
    return write_records


@pytest.fixture(scope="session")
def corpus_text() -> str:
    """The text the test records are made from."""
    return TEXT


@pytest.fixture(scope="module")
def records_dir(tmp_path_factory, write_records_fixture):
    """Records of a seeded one-layer tiny model (rebuilt from its name by `n2g build`)."""
    from n2g.models.tiny import tiny_model

    model = tiny_model(n_layers=1, act_fn="solu_ln", seed=7)
    folder = tmp_path_factory.mktemp("cli-records")
    write_records_fixture(folder, model, [0], k=6, window=16)
    return folder
