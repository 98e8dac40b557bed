"""How sparsely a layer's units fire in their top windows, and which held-out firings a
token-level method could predict at all (evidence for deep-layer quality, docs/results.md).

    .venv/bin/python scripts/firing_density.py RECORDS [--layers 8,16,24] [--neurons 64]

For the seeded sample of units `n2g run --neurons-per-layer N` builds, per layer: how many
of the top 20 windows fire (normalised activation >= 0.5 somewhere), how many tokens fire
in them, and, with the paper's 10/10 split (plus ranks 21-30 in training, the default),
the share of held-out firing tokens whose token never appears in the training windows,
appears but never fires there, or fires there (what token lookup's recall is made of).
"""

from __future__ import annotations

import argparse

import numpy as np

from n2g.builder.config import BuildConfig
from n2g.builder.plan import normalised, plan_neuron
from n2g.record.store import load_layer, load_manifest
from n2g.run.job import sample_units
from n2g.selection import parse_layers

FIRING = 0.5


def layer_density(records_dir: str, layer: int, n: int) -> dict[str, float]:
    records = load_layer(records_dir, layer)
    config = BuildConfig()
    windows, tokens, kinds = [], [], np.zeros(3)
    for unit in sample_units(load_manifest(records_dir).n_units, n, 0):
        plan = plan_neuron(records, unit, config)
        top = [normalised(plan, a) for _, a in plan.train[:10] + plan.test]
        windows.append(sum(bool((a >= FIRING).any()) for a in top))
        tokens.append(sum(int((a >= FIRING).sum()) for a in top))
        seen: set[int] = set()
        fired: set[int] = set()
        for t, a in plan.train:
            seen.update(t.tolist())
            fired.update(t[normalised(plan, a) >= FIRING].tolist())
        for t, a in plan.test:
            for token in t[normalised(plan, a) >= FIRING].tolist():
                kinds[0 if token not in seen else 1 if token not in fired else 2] += 1
    share = kinds / max(kinds.sum(), 1)
    return {
        "firing windows (median of 20)": float(np.median(windows)),
        "firing tokens (median, of 20 x window)": float(np.median(tokens)),
        "held-out firing tokens": float(kinds.sum()),
        "absent from training": float(share[0]),
        "in training, never firing": float(share[1]),
        "firing in training": float(share[2]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records")
    parser.add_argument("--layers", default="8,16,24")
    parser.add_argument("--neurons", type=int, default=64)
    args = parser.parse_args()
    for layer in parse_layers(args.layers):
        figures = layer_density(args.records, layer, args.neurons)
        print(f"layer {layer}: " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
