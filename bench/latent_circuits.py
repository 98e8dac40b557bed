"""Latents as FEEDS ends: the data source over neurons and SAE latents against finite differences.

    .venv/bin/python -m bench.latent_circuits [--quick] [--json PATH] [--model NAME]

On one model (SmolLM2-135M offline by default; `--quick`: the tiny seeded model), an SAE
on block 1's resid_pre (2x d_model latents, seeded random weights: the cost does not
depend on what an SAE learnt) takes part beside the neurons of blocks 0 and 1. For
`--targets` neurons of block 2 that fire on their top windows of random windows of the
Python standard library's source, every earlier neuron and latent is scored by
n2g.models.latent_attribution (one forward and one backward per 8 targets, the latents'
gradient through their decoder rows), against the plain way: finite differences, two
passes per candidate, the latent's decoder output scaled by 1 +- h at its hook (after the
BOS column, which n2g never scores), timed on
`--plain-candidates` latents and extrapolated to every candidate: target units/s. The
two agree to the central difference's error on the candidates timed.
"""

from __future__ import annotations

import contextlib
import random
from typing import Any

import torch

from bench._common import BenchResult, bench_arg_parser, report, timed
from n2g.models import load_model
from n2g.models.ablation import FIRING_SHARE
from n2g.models.base import NeuronModel, mlp_hook_name
from n2g.models.latent_attribution import latent_attribution
from n2g.models.virtual_weights import UnitLayer
from n2g.record.corpus import open_corpus, random_windows
from n2g.sae import SAEUnits

HOOK = "blocks.1.hook_resid_pre"


def _sae(model: NeuronModel, seed: int) -> SAEUnits:
    from sae_lens import StandardSAE, StandardSAEConfig

    torch.manual_seed(seed)
    d = int(model.model.cfg.d_model)
    sae = StandardSAE(StandardSAEConfig(d_in=d, d_sae=2 * d))
    sae.cfg.metadata.hook_name = HOOK
    with torch.no_grad():
        sae.W_enc.copy_(torch.randn(d, 2 * d) / d**0.5)
        sae.W_dec.copy_(torch.nn.functional.normalize(torch.randn(2 * d, d), dim=1))
    return SAEUnits.from_sae("bench", sae)


@torch.inference_mode()
def plain_latent_score(
    model: NeuronModel, sae: SAEUnits, unit: int, windows: list[list[int]], latent: int, h: float
) -> float:
    """Latent `latent`'s score by finite differences: its decoder output scaled by 1 +- h."""
    tokens, _ = model._pad(windows)
    decoder = sae.sae.W_dec.detach().float()[latent]

    def total(factor: float, firing: torch.Tensor | None) -> tuple[float, torch.Tensor]:
        seen: dict[str, torch.Tensor] = {}

        def nudge(value: torch.Tensor, hook: Any) -> torch.Tensor:  # noqa: ARG001
            acts = sae.encode(value)[..., latent, None]
            acts[:, 0] = 0.0  # the BOS column is no text's: never scored (as for neurons)
            return value + (factor - 1.0) * acts * decoder

        def read(value: torch.Tensor, hook: Any) -> None:  # noqa: ARG001
            seen["v"] = value[:, 1:, unit].float()
            raise StopIteration

        with contextlib.suppress(StopIteration):
            model.model.run_with_hooks(
                tokens, fwd_hooks=[(HOOK, nudge), (mlp_hook_name(2), read)], stop_at_layer=3
            )
        values = seen["v"]
        mask = (
            firing if firing is not None else (values >= FIRING_SHARE * values.max()) & (values > 0)
        )
        return float(values[mask].sum()), mask

    base, firing = total(1.0, None)
    up, _ = total(1 + h, firing)
    down, _ = total(1 - h, firing)
    return (up - down) / (2 * h) / base


def main() -> None:
    parser = bench_arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="default: smollm2-135m (quick: tiny)")
    parser.add_argument("--targets", type=int, default=8)
    parser.add_argument("--windows", type=int, default=None, help="random windows run")
    parser.add_argument("--top", type=int, default=4, help="top windows per target")
    parser.add_argument("--plain-candidates", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    name = args.model or ("tiny-gelu-3l-s0" if args.quick else "smollm2-135m")
    model = load_model(name, n_layers=3)
    sae = _sae(model, args.seed)
    corpus = open_corpus("stdlib")
    n_windows = args.windows or (48 if args.quick else 128)
    found = random_windows(corpus, model.tokenizer, 48, n_windows, seed=args.seed)
    windows = [ids for _, ids in found]
    peak = model.unit_activations(windows, [2])[2].amax(dim=1)  # [windows, units]
    fired = [u for u in range(model.n_units) if float(peak[:, u].max()) > 0][: args.targets]
    jobs = [
        (u, [windows[i] for i in torch.argsort(-peak[:, u])[: args.top].tolist()]) for u in fired
    ]
    sources = [UnitLayer(model, 0), UnitLayer(model.with_units(sae), 1), UnitLayer(model, 1)]
    target = UnitLayer(model, 2)
    seconds, scores = timed(lambda: latent_attribution(model, target, jobs, sources))
    first = scores[0]
    assert first is not None, "the first target must fire on its windows"
    rng = random.Random(args.seed)
    ranked = sorted(range(sae.n_units), key=lambda i: -abs(float(first.scores[1][i])))
    candidates = ranked[: args.plain_candidates // 2]
    candidates += rng.sample(ranked[args.plain_candidates :], args.plain_candidates // 2)
    unit, unit_windows = jobs[0]
    plain_seconds, plain = timed(
        lambda: [plain_latent_score(model, sae, unit, unit_windows, i, 1e-2) for i in candidates]
    )
    worst = max(abs(p - float(first.scores[1][i])) for p, i in zip(plain, candidates, strict=True))
    every = sum(len(s.indices()) for s in sources)
    plain_rate = 1.0 / (plain_seconds / len(candidates) * every)
    report(
        BenchResult(
            name="latent circuits (data source over neurons and SAE latents, targets/s)",
            unit="targets/s",
            figure=len(jobs) / seconds,
            plain_figure=plain_rate,
            quick=args.quick,
            extra={
                "model": model.name,
                "targets": len(jobs),
                "candidates_per_target": every,
                "sae_latents": sae.n_units,
                "top_windows": args.top,
                "plain_candidates_timed": len(candidates),
                "max_abs_difference": worst,
                "top_latent_score": float(first.scores[1][ranked[0]]),
                "torch_threads": torch.get_num_threads(),
            },
        ),
        args,
    )


if __name__ == "__main__":
    main()
