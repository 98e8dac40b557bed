"""Fixtures of the SAE tests: a tiny seeded model, a small text corpus, a tiny training.

One thread everywhere: tiny shapes are many times slower with torch's default threads on
a busy 2-core machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from n2g.models.base import NeuronModel
from n2g.models.tiny import tiny_model
from n2g.sae import SAETrainConfig, SAEUnits, load_units

TEXT = (
    "The quick brown fox jumps over the lazy dog. A stitch in time saves nine. "
    "All that glitters is not gold. Where there is smoke there is fire. "
    "def main(): return print('hello world') if x else None. "
    "import numpy as np; x = np.zeros(3) + 1. for i in range(10): total += i. "
    "Better late than never; actions speak louder than words. "
) * 4

# 16 steps of 64 tokens, 4 held-out windows of 32 bytes: well under a second.
TINY = SAETrainConfig(
    training_tokens=1024,
    batch_size=64,
    context=32,
    windows_per_pass=4,
    buffer_batches=4,
    norm_batches=2,
    eval_tokens=128,
)


@pytest.fixture(scope="session")
def tiny_config() -> SAETrainConfig:
    return TINY


@pytest.fixture(scope="session")
def sae_model() -> NeuronModel:
    torch.set_num_threads(1)
    return tiny_model(n_layers=2, d_model=16, d_mlp=32, n_ctx=64, act_fn="gelu", seed=7)


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sae-corpus") / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sae_cache(tmp_path_factory) -> Path:
    """A cache folder shared by the session's trained SAEs (each trained once)."""
    return tmp_path_factory.mktemp("sae-cache")


@pytest.fixture(scope="session")
def relu_units(sae_model, corpus_file, sae_cache) -> SAEUnits:
    return load_units(
        "L0-mlp-4x",
        sae_model,
        cache_dir=sae_cache,
        corpus=str(corpus_file),
        train_config=TINY,
        progress=False,
    )


@pytest.fixture(scope="session")
def topk_units(sae_model, corpus_file, sae_cache) -> SAEUnits:
    return load_units(
        "L1-resid-2x-topk3",
        sae_model,
        cache_dir=sae_cache,
        corpus=str(corpus_file),
        train_config=TINY,
        progress=False,
    )


# A transcoder learns the MLP in 64 steps with a higher rate and a lighter L1 penalty than
# the SAEs' (the penalty's default is sized for 576-wide models, not 16-wide ones).
TINY_TRANSCODER = TINY.model_copy(
    update={"training_tokens": 4096, "lr": 1e-2, "l1_coefficient": 1.0}
)


@pytest.fixture(scope="session")
def tc_config() -> SAETrainConfig:
    return TINY_TRANSCODER


@pytest.fixture(scope="session")
def tc_units(sae_model, corpus_file, sae_cache) -> SAEUnits:
    return load_units(
        "L0-tc-4x",
        sae_model,
        cache_dir=sae_cache,
        corpus=str(corpus_file),
        train_config=TINY_TRANSCODER,
        progress=False,
    )
