"""Forward-pass throughput at SmolLM2-135M's shape: what a GPU buys the builder.

    python scripts/gpu_check.py [--device cuda] [--repeat 10]

Random weights at SmolLM2-135M's exact shape (30 layers, d_model 576, 9 heads with 3
key-value heads, gated MLP of 1,536, rotary, RMSNorm), in bfloat16, so it needs no model
files (the device machines have none): the builder's passes read neuron activations at
layer 20 (`NeuronModel.gather_activations`, 21 layers run) for batches of the shapes
pruning and saliency send. Prints milliseconds a pass and tokens per second. The
correctness of the GPU path is checked by `tests/builder/test_cuda.py` (skipped without a
CUDA device).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from transformer_lens import HookedTransformer, HookedTransformerConfig

from n2g.models.base import NeuronModel
from n2g.models.tokenizers import ByteTokenizer

SHAPES = ((256, 10), (256, 33), (1024, 10))  # (rows, tokens) of typical builder passes


def smollm2_shaped(device: str) -> NeuronModel:
    cfg = HookedTransformerConfig(
        n_layers=30, d_model=576, n_heads=9, n_key_value_heads=3, d_head=64, d_mlp=1536,
        d_vocab=49152, n_ctx=2048, act_fn="silu", normalization_type="RMS",
        positional_embedding_type="rotary", rotary_dim=64, gated_mlp=True, final_rms=True,
        device=device, dtype=torch.bfloat16,
    )  # fmt: skip
    return NeuronModel("smollm2-135m-shape", HookedTransformer(cfg), ByteTokenizer(), 30,
                       device=device)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    model = smollm2_shaped(args.device)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    rng = np.random.default_rng(0)
    print(f"device {args.device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    for rows, length in SHAPES:
        seqs = [rng.integers(3, 250, size=length).tolist() for _ in range(rows)]

        def one_pass(seqs=seqs, rows=rows, length=length) -> None:
            model.gather_activations(seqs, 20, range(rows), [length - 1] * rows, [5] * rows)

        one_pass()  # warm-up
        sync()
        start = time.perf_counter()
        for _ in range(args.repeat):
            one_pass()
        sync()
        seconds = (time.perf_counter() - start) / args.repeat
        tokens = rows * (length + 1)  # BOS included
        print(f"layer-20 pass, {rows} rows x {length} tokens: {seconds * 1000:.1f} ms, "
              f"{tokens / seconds:,.0f} tokens/s")  # fmt: skip


if __name__ == "__main__":
    main()
