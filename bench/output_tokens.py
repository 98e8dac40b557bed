"""What finding every unit's output tokens costs: one product a slice of units against
one unit at a time.

    .venv/bin/python -m bench.output_tokens [--quick] [--json PATH] [--model NAME]

A unit's output tokens are its write direction read through the unembedding
(n2g.models.logit_lens). The build computes them for a whole batch of units as one
matrix product ([units, d_model] x [d_model, vocabulary]) and keeps only the top k of each
row; the plain way asks one unit at a time (a matrix-vector product per unit), the same
code with `units_per_pass=1`. Both answer the same (checked here), so the figure is
units/s and the ratio what batching buys.

By default the model is SmolLM2-135M's shape with random weights (one layer: d_model 576,
d_mlp 1,536, vocabulary 49,152, RMSNorm), so no model files are needed; `--model` loads a
real one (its first layer). `--quick`: a smaller vocabulary and fewer units.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformer_lens import HookedTransformer, HookedTransformerConfig

from bench._common import BenchResult, bench_arg_parser, report, timed
from n2g.models.base import NeuronModel
from n2g.models.logit_lens import DEFAULT_K, output_tokens


class _NumberedTokens:
    """A tokenizer that names every id of a vocabulary (`t<id>`), for a random model."""

    bos_token_id = None
    pad_token_id = 0

    def __init__(self, vocab_size: int) -> None:
        self.vocab_size = vocab_size

    def encode(self, text: str) -> list[int]:
        return [ord(c) % self.vocab_size for c in text]

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return [f"t{i}" for i in ids]

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(self.token_strings(ids))


def random_model(d_vocab: int, d_mlp: int) -> NeuronModel:
    """One layer at SmolLM2-135M's width (576; 9 heads of 64, gated SiLU MLP, RMSNorm)."""
    cfg = HookedTransformerConfig(
        n_layers=1,
        d_model=576,
        d_head=64,
        n_heads=9,
        d_mlp=d_mlp,
        d_vocab=d_vocab,
        n_ctx=64,
        act_fn="silu",
        gated_mlp=True,
        normalization_type="RMS",
        seed=0,
        device="cpu",
    )
    model = HookedTransformer(cfg)
    return NeuronModel(
        name="random-smollm2-shape",
        model=model,
        tokenizer=_NumberedTokens(d_vocab),
        n_layers=1,
        prepend_bos=False,
    )


def _check_same(fast: list, slow: list) -> None:
    """The two ways agree: the same logits at every rank (a product and a matrix-vector
    product round differently, so two tokens within rounding may swap places)."""
    for a, b in zip(fast, slow, strict=True):
        for x, y in ((a.promoted, b.promoted), (a.suppressed, b.suppressed)):
            assert torch.allclose(torch.tensor(x.logits), torch.tensor(y.logits), atol=1e-4)


def main() -> None:
    parser = bench_arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a model name (default: random weights)")
    parser.add_argument("--units", type=int, default=None, help="units of layer 0 (default: all)")
    args = parser.parse_args()
    if args.model is not None:
        from n2g.models import load_model

        model = load_model(args.model, n_layers=1)
    else:
        model = random_model(8192 if args.quick else 49152, 256 if args.quick else 1536)
    units = list(range(min(args.units or model.n_units, model.n_units)))
    repeats = 1 if args.quick else 3

    def batched() -> list:
        return output_tokens(model, 0, units, DEFAULT_K) or []

    def plain() -> list:
        return output_tokens(model, 0, units, DEFAULT_K, units_per_pass=1) or []

    batched()  # warm: the float32 unembedding is made once per model
    seconds, fast = timed(batched, repeats)
    plain_seconds, slow = timed(plain, repeats)
    _check_same(fast, slow)
    report(
        BenchResult(
            name="output_tokens (units/s, one product a slice vs one unit at a time)",
            unit="units/s",
            figure=len(units) / seconds,
            plain_figure=len(units) / plain_seconds,
            quick=args.quick,
            extra={
                "model": model.name,
                "units": len(units),
                "vocabulary": int(model.model.cfg.d_vocab),
                "k": DEFAULT_K,
                "seconds": round(seconds, 3),
                "plain_seconds": round(plain_seconds, 3),
                "torch_threads": torch.get_num_threads(),
            },
        ),
        args,
    )


if __name__ == "__main__":
    main()
