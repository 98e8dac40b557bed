"""Check the data source between transcoders on SmolLM2 by zero-ablation (issue 39).

    python scripts/latent_circuits_check.py --targets 32 --json /tmp/latent-check.json

Two transcoders, of blocks 0 and 1 (`L0-tc-2x`, `L1-tc-2x`), trained once on the default
corpus with --tokens training tokens into --cache (a short training: the check is about
the attribution, which is exact for whatever transcoder is spliced in, not about the
transcoders' quality). For --targets latents of block 1's transcoder that fire on at
least 8 of --windows random windows, its 8 strongest windows are split: 4 to score its
feeders among block 0's latents by the exact direct contribution (n2g.models.
latent_attribution), 4 held out to zero-ablate the top 5 and 5 random latents of block 0
active there. Zero-ablating a latent subtracts its decoder output from block 0's MLP
output (the transcoder spliced in with its error term, so nothing else moves), and every
path then counts, attention included. Printed and written: how often the top data feeder
moves the latent most, precision at 5 and Spearman's rho of |score| against |effect|.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.stats import spearmanr

from n2g.files import write_text_atomic
from n2g.models import load_model
from n2g.models.ablation import FIRING_SHARE
from n2g.models.base import NeuronModel
from n2g.models.latent_attribution import latent_attribution
from n2g.models.virtual_weights import UnitLayer
from n2g.record.config import DEFAULT_CORPUS
from n2g.record.corpus import CorpusConfig, open_corpus, random_windows
from n2g.sae import SAETrainConfig, SAEUnits, load_units

K = 5


def _ablated(
    model: NeuronModel, tc0: SAEUnits, tc1: SAEUnits, unit: int, windows: list, drop: list[int]
) -> np.ndarray:
    """Latent `unit` of tc1 [len(drop) + 1, windows, T]: clean first, then with each of
    tc0's latents `drop` zero-ablated (its decoder output taken from block 0's MLP output)."""
    tokens, _ = model._pad(windows)
    n = len(drop) + 1
    batch = tokens.repeat(n, 1)
    seen: dict[str, torch.Tensor] = {}
    decoder = tc0.sae.W_dec.detach().float()

    def keep(value: torch.Tensor, hook: Any) -> None:
        seen[hook.name] = value

    def ablate(value: torch.Tensor, hook: Any) -> torch.Tensor:  # noqa: ARG001
        acts = tc0.encode(seen["blocks.0.ln2.hook_normalized"])  # [n*W, T, d_sae]
        value = value.clone()
        rows = len(windows)
        for c, latent in enumerate(drop, start=1):
            part = slice(c * rows, (c + 1) * rows)
            value[part] -= acts[part, :, latent, None] * decoder[latent]
        return value

    hooks = [("blocks.0.ln2.hook_normalized", keep), ("blocks.0.hook_mlp_out", ablate)]
    hooks.append(("blocks.1.ln2.hook_normalized", keep))
    with torch.no_grad():
        model.model.run_with_hooks(batch, fwd_hooks=hooks, stop_at_layer=2)
    latents = tc1.encode(seen["blocks.1.ln2.hook_normalized"])[:, 1:, unit]
    return latents.reshape(n, len(windows), -1).numpy()


def _effects(values: np.ndarray) -> np.ndarray:
    clean = values[0]
    firing = (clean >= FIRING_SHARE * clean.max()) & (clean > 0)
    base = clean[firing].sum()
    return np.array([(base - v[firing].sum()) / base for v in values[1:]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=32)
    parser.add_argument("--windows", type=int, default=256)
    parser.add_argument("--tokens", type=int, default=131_072)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/n2g-latent-check"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(2)
    started = time.perf_counter()
    model = load_model("smollm2-135m", n_layers=2)
    config = SAETrainConfig(training_tokens=args.tokens)
    tc0, tc1 = (
        load_units(f"L{layer}-tc-2x", model, cache_dir=args.cache, train_config=config)
        for layer in (0, 1)
    )
    trained = time.perf_counter() - started
    corpus = open_corpus(CorpusConfig(spec=DEFAULT_CORPUS))
    windows = [ids for _, ids in random_windows(corpus, model, 64, args.windows, args.seed)]
    acts = model.with_units(tc1).unit_activations(windows, [1])[1].amax(dim=1).numpy()
    rng = random.Random(args.seed)
    eligible = [u for u in range(tc1.n_units) if (acts[:, u] > 0).sum() >= 8]
    targets = rng.sample(eligible, min(args.targets, len(eligible)))
    source = UnitLayer(model.with_units(tc0), 0)
    target = UnitLayer(model.with_units(tc1), 1)
    rows = []
    for unit in targets:
        best = np.argsort(-acts[:, unit], kind="stable")[:8]
        train = [windows[i] for i in best[0::2]]
        test = [windows[i] for i in best[1::2]]
        (found,) = latent_attribution(model, target, [(unit, train)], [source])
        if found is None:
            continue
        scores = found.scores[0]
        top = [int(i) for i in np.argsort(-np.abs(scores), kind="stable")[:K]]
        active = model.with_units(tc0).unit_activations(test, [0])[0].amax(dim=(0, 1)).numpy()
        pool = [u for u in np.flatnonzero(active > 0).tolist() if u not in top]
        randoms = rng.sample(pool, min(K, len(pool)))
        effects = _effects(_ablated(model, tc0, tc1, unit, test, top + randoms))
        size = np.abs(effects)
        best_measured = set(np.argsort(-size, kind="stable")[:K].tolist())
        rows.append(
            {
                "unit": unit,
                "top_moves_most": bool(size[0] == size.max()),
                "precision_at_5": len(best_measured & set(range(K))) / K,
                "spearman": float(spearmanr(np.abs(scores[top + randoms]), size)[0]),
                "top_effect": float(effects[0]),
                "random_mean_abs_effect": float(size[K:].mean()) if randoms else None,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    summary = {
        "targets": len(rows),
        "top_moves_most": float(np.mean([r["top_moves_most"] for r in rows])),
        "precision_at_5": float(np.mean([r["precision_at_5"] for r in rows])),
        "spearman": float(np.nanmean([r["spearman"] for r in rows])),
        "top_effect_mean": float(np.mean([r["top_effect"] for r in rows])),
        "random_mean_abs_effect": float(
            np.mean([r["random_mean_abs_effect"] for r in rows if r["random_mean_abs_effect"]])
        ),
        "training_s": round(trained, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "settings": {k: str(v) for k, v in vars(args).items()},
    }
    print(json.dumps(summary))
    if args.json is not None:
        write_text_atomic(args.json, json.dumps({"summary": summary, "units": rows}, indent=1))


if __name__ == "__main__":
    main()
