"""Throughput of `n2g record` (tokens/s) on SmolLM2 layers 0-3, against the plain approach.

n2g: only layers 0-3 loaded, forward stopped after layer 3, only the 4 MLP hooks read, and a
batched running top-k (torch sort over [k + B] candidates, only for neurons that change),
in `--dtype` (auto, as `n2g record`: bfloat16 where native). Plain: the full 30-layer model
in float32, `run_with_cache` with every hook, per-batch Python top-k (a list of (score,
window, activations) per neuron, re-sorted each batch).
Both scan the same windows of the same corpus in the same run; the plain approach scans
fewer tokens (it is slow) and its rate is per token, so the figures compare directly.

    python -m bench.record [--quick] [--json PATH] [--corpus stdlib] [--tokens N] [--dtype auto]
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch

from bench._common import BenchResult, bench_arg_parser, report, stock_layout
from n2g.models import OFFLINE_MODEL, load_model
from n2g.models.base import mlp_hook_name
from n2g.models.dtype import resolve_dtype
from n2g.record.config import RecordConfig
from n2g.record.corpus import open_corpus, windows
from n2g.record.recorder import record_stage

LAYERS = [0, 1, 2, 3]
WINDOW, K, BATCH = 64, 20, 32


def run_n2g(corpus, tokens: int, dtype: str) -> tuple[float, float]:
    """(tokens/s of the record stage, model load seconds)."""
    start = time.perf_counter()
    model = load_model(OFFLINE_MODEL, n_layers=max(LAYERS) + 1, dtype=dtype)
    load_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as out:
        config = RecordConfig(window=WINDOW, k=K, batch_size=BATCH, max_tokens=tokens)
        start = time.perf_counter()
        manifest = record_stage(model, corpus, LAYERS, Path(out), config, progress=False)
        seconds = time.perf_counter() - start
    return manifest.n_tokens / seconds, load_s


def run_plain(corpus, tokens: int) -> tuple[float, float]:
    """(tokens/s of the plain approach, model load seconds)."""
    start = time.perf_counter()
    model = stock_layout(load_model(OFFLINE_MODEL))  # all 30 layers, as transformer_lens
    load_s = time.perf_counter() - start
    hooked, bos = model.model, model.tokenizer.bos_token_id
    top: dict[int, list[list]] = {layer: [[] for _ in range(model.n_units)] for layer in LAYERS}
    items = list(windows(corpus, model.tokenizer, WINDOW, max_windows=tokens // WINDOW))
    start = time.perf_counter()
    for first in range(0, len(items), BATCH):
        batch = items[first : first + BATCH]
        ids = torch.tensor([[bos, *window] for _, window in batch])
        with torch.inference_mode():
            _, cache = hooked.run_with_cache(ids)
        for layer in LAYERS:
            acts = cache[mlp_hook_name(layer)][:, 1:, :]  # [B, W, d]
            scores = acts.max(dim=1).values.tolist()  # [B][d]
            for neuron, kept in enumerate(top[layer]):
                for row in range(len(batch)):
                    kept.append((scores[row][neuron], first + row, acts[row, :, neuron]))
                kept.sort(key=lambda entry: -entry[0])
                del kept[K:]
    seconds = time.perf_counter() - start
    return len(items) * WINDOW / seconds, load_s


def main() -> None:
    parser = bench_arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="stdlib", help="corpus spec (default: stdlib)")
    parser.add_argument("--tokens", type=int, default=None, help="tokens for n2g record")
    parser.add_argument("--dtype", default="auto", help="auto | float32 | bfloat16 (n2g)")
    args = parser.parse_args()
    tokens = args.tokens or (4_096 if args.quick else 65_536)
    plain_tokens = max(BATCH * WINDOW, tokens // 16)
    corpus = open_corpus(args.corpus)
    load_model(OFFLINE_MODEL, n_layers=1)  # build the model cache outside the timings
    figure, load_s = run_n2g(corpus, tokens, args.dtype)
    plain, plain_load_s = run_plain(corpus, plain_tokens)
    result = BenchResult(
        name="record",
        unit="tokens/s",
        figure=figure,
        plain_figure=plain,
        quick=args.quick,
        extra={
            "model": OFFLINE_MODEL,
            "dtype": resolve_dtype(args.dtype, "cpu"),
            "layers": "0-3",
            "corpus": corpus.name,
            "tokens": tokens,
            "plain_tokens": plain_tokens,
            "window": WINDOW,
            "k": K,
            "batch_size": BATCH,
            "load_s": round(load_s, 2),
            "plain_load_s": round(plain_load_s, 2),
            "goal": ">= 3,000 tokens/s and >= 5x plain on 2 CPU cores",
        },
    )
    report(result, args)


if __name__ == "__main__":
    main()
