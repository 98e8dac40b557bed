"""On a machine with a CUDA device (skipped elsewhere, CI included): the builder's passes on
the GPU answer what they answer on the CPU, shared-prefix passes included."""

from __future__ import annotations

import pytest
import torch

from n2g.builder.batch import build_neuron_graphs
from n2g.builder.config import BuildConfig
from n2g.builder.substitutes import make_helper
from n2g.models import load_model
from n2g.models.tiny import tiny_model
from n2g.testing.plain_builder import graph_signature

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")


def test_prefix_passes_on_cuda_match_the_cpu():
    cpu, gpu = load_model("tiny-gelu-2l-s0"), load_model("tiny-gelu-2l-s0", device="cuda")
    assert next(gpu.model.parameters()).is_cuda and gpu.device == "cuda"
    batch = [cpu.encode("a first sequence of several tokens"), cpu.encode("and another one")]
    answers = []
    for model in (cpu, gpu):
        states = model.prefix_states(batch, 1)
        wider = model.extend_states(states, [0], [4], [[9, 9, 9]], 1)
        answers.append(
            torch.cat(
                [
                    model.gather_after_prefix(
                        states, [0, 1], [3, 0], [[7, 8], [9, 5]], 1, [1, 1], [3, 4]
                    ),
                    model.gather_after_prefix(wider, [0], [6], [[2]], 1, [0], [6]),
                ]
            )
        )
    torch.testing.assert_close(answers[0], answers[1], atol=1e-4, rtol=1e-4)


def test_graphs_built_on_cuda_match_the_cpu(gelu_model, gelu_records):
    _, records = gelu_records
    cpu = gelu_model  # the records' model, and the same weights on the GPU
    gpu = tiny_model(n_layers=2, d_model=32, d_mlp=16, act_fn="gelu", seed=3, device="cuda")
    config = BuildConfig()
    built = [
        build_neuron_graphs(model, records[1], list(range(16)), config, make_helper(
            "none", model, model.device, rerank=False))
        for model in (cpu, gpu)
    ]  # fmt: skip
    assert next(gpu.model.parameters()).is_cuda
    same = sum(graph_signature(a) == graph_signature(b) for a, b in zip(*built, strict=True))
    assert same == 16
