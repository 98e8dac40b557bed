"""Which earlier units feed a unit on real text: activation x gradient ('data' FEEDS edges).

A virtual weight (n2g.models.virtual_weights) reads the direct path from the weights; an
ablation (n2g.models.ablation) measures every path, one candidate at a time. Attribution
sits between them: for a unit B of layer L and its windows, the gradient of B's
activation summed over its firing positions (those reaching FIRING_SHARE of its largest,
as the ablation check defines them), taken with respect to every MLP neuron of every
earlier layer, times that neuron's activation, summed over the window's positions. It is
the first-order estimate of what zero-ablating the neuron would take away (every path
counted, attention and MLPs between included), so its score is the same kind of number
as an ablation effect: a share of B's activation where B fires (0.4: 40% of it).

Why it is cheap: ONE backward pass gives every earlier neuron's score at once, where
ablation or finite differences need a pass per candidate. And the backward serves many
target units together: a transformer's rows (windows of a batch) never mix, so when each
target's windows sit in their own rows, the gradient of the SUM of the targets' (each
normalised) objectives, restricted to a target's rows, is that target's own gradient. A
pass carries whole targets up to ROWS_PER_PASS windows, packed by window length so a
pass pads little; the plain reference, one pair of passes a candidate with the
candidate's activation scaled by 1 +- h (`plain_attribution`), gives the same scores
(tests/models/test_attribution.py; bench/circuits.py times both).

The cost is the passes, in proportion to the tokens they carry (bench/circuits_budget.py):
each window (n2g.circuits.windows) already ends at the unit's strongest position in it,
so no token after that is run (a causal model's activations there depend on nothing
later, so no cut after it could save more); how many windows a unit gets is the
stage's setting (n2g.circuits.windows.DATA_WINDOWS, chosen by the ablation check,
docs/results.md "Circuits"). The pass stops at the target layer's MLP input and
computes only the target units' columns of that MLP (`_columns`, for transformer_lens's
MLP and GatedMLP; any other MLP is run whole), and the model's weights are never given
gradients (torch.autograd.grad on the activations alone). Only MLP neurons. The model
is run part-way by n2g.models.ablation.run_to_layer, as ablation runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from n2g.models.ablation import FIRING_SHARE, MLP_INPUT, run_to_layer
from n2g.models.base import NeuronModel, mlp_hook_name

ROWS_PER_PASS = 64  # windows a pass carries, whole targets (a target's rows never split)


@dataclass(frozen=True)
class Attribution:
    """One target unit's scores: `scores[layer]` is a float32 array over that earlier
    layer's neurons (signed share of the unit's firing activation); `clean` the unit's
    mean activation at its `n_firing` firing positions."""

    unit: int
    scores: dict[int, np.ndarray]
    clean: float
    n_firing: int

    def top(self, k: int) -> list[tuple[int, int, float]]:
        """The k largest |scores|: (layer, neuron, score), strongest first (ties by place)."""
        flat = [
            (layer, n, float(s)) for layer, row in self.scores.items() for n, s in enumerate(row)
        ]
        return sorted(flat, key=lambda c: (-abs(c[2]), c[0], c[1]))[:k]


def windows_batch(
    model: NeuronModel, jobs: Sequence[tuple[int, Sequence[Sequence[int] | np.ndarray]]]
) -> tuple[torch.Tensor, torch.Tensor, int, list[slice]]:
    """All jobs' windows padded into one batch: tokens, the valid mask (after the BOS
    column), that column's width and each job's rows."""
    windows: list[list[int]] = []
    rows: list[slice] = []
    for _, job_windows in jobs:
        rows.append(slice(len(windows), len(windows) + len(job_windows)))
        windows.extend(list(map(int, w)) for w in job_windows)
    tokens, lengths = model._pad(windows)
    offset = tokens.shape[1] - int(lengths.max())
    valid = torch.arange(int(lengths.max()))[None, :] < lengths[:, None]
    return tokens, valid, offset, rows


def _column_mlp(model: NeuronModel, layer: int) -> Any | None:
    """`layer`'s MLP when its neurons can be computed a few columns at a time from its
    input (a plain or gated MLP without a normalised activation), else None."""
    from transformer_lens.components import MLP, GatedMLP

    mlp = model.model.blocks[layer].mlp
    if type(mlp) not in (MLP, GatedMLP) or model.model.cfg.is_layer_norm_activation():
        return None
    return mlp


def _columns(mlp: Any, x: torch.Tensor, units: torch.Tensor) -> torch.Tensor:
    """The MLP neurons `units` of input `x` [B, T, d_model]: [B, T, len(units)], as
    transformer_lens's MLP and GatedMLP compute them, without the other neurons."""
    b_in = mlp.b_in[units]
    if hasattr(mlp, "W_gate"):
        return mlp.act_fn(x @ mlp.W_gate[:, units]) * (x @ mlp.W_in[:, units]) + b_in
    return mlp.act_fn(x @ mlp.W_in[:, units] + b_in)


def _forward(
    model: NeuronModel,
    tokens: torch.Tensor,
    layer: int,
    units: Sequence[int],
    sources: Sequence[int],
    scale: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
    *,
    columns: bool = True,
) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
    """The target layer's neurons `units`: [B, T, len(units)] (with their autograd graph
    when grad is on), and each source layer's MLP activations; `scale` may change a
    source layer's value. Where the MLP allows, the pass stops at its input and computes
    only the `units` columns (the rest of the target layer's MLP is never needed);
    `columns=False` computes the whole MLP (the plain way, for the bench)."""
    acts: dict[int, torch.Tensor] = {}

    def keep(layer_: int) -> Callable[[torch.Tensor], torch.Tensor]:
        def change(value: torch.Tensor) -> torch.Tensor:
            if scale is not None:
                value = scale(layer_, value)
            acts[layer_] = value
            return value

        return change

    def leaf(value: torch.Tensor) -> torch.Tensor:
        return value.detach().requires_grad_(torch.is_grad_enabled())

    hooks: dict[str, Callable[[torch.Tensor], torch.Tensor | None]] = {"hook_embed": leaf}
    hooks.update({mlp_hook_name(s): keep(s) for s in sources})
    index = torch.as_tensor(list(units), dtype=torch.long)
    mlp = _column_mlp(model, layer) if columns else None
    if mlp is None:
        return run_to_layer(model, tokens, layer, hooks)[:, :, index.to(model.device)], acts
    x = run_to_layer(model, tokens, layer, hooks, read=MLP_INPUT)
    return _columns(mlp, x, index.to(x.device)), acts


def firing_mask(values: torch.Tensor, valid: torch.Tensor) -> torch.Tensor | None:
    """The firing mask of one unit's rows [b, T] (ablation's definition); None if none."""
    top = float(values[valid].max()) if valid.any() else 0.0
    firing = valid & (values >= FIRING_SHARE * top) & (values > 0)
    return firing if top > 0 and bool(firing.any()) else None


Job = tuple[int, Sequence[Sequence[int] | np.ndarray]]


def _packs(jobs: Sequence[Job], rows_per_pass: int) -> list[list[int]]:
    """The jobs' indices in passes: by their longest window (so a pass pads little),
    each pass whole targets up to `rows_per_pass` windows (at least one target)."""
    order = sorted(range(len(jobs)), key=lambda i: max((len(w) for w in jobs[i][1]), default=0))
    packs: list[list[int]] = []
    rows = 0
    for i in order:
        n = len(jobs[i][1])
        if not packs or rows + n > rows_per_pass:
            packs.append([])
            rows = 0
        packs[-1].append(i)
        rows += n
    return packs


def attribution_scores(
    model: NeuronModel,
    layer: int,
    jobs: Sequence[Job],
    sources: Sequence[int],
    *,
    targets_per_pass: int | None = None,
    rows_per_pass: int = ROWS_PER_PASS,
    columns: bool = True,
) -> list[Attribution | None]:
    """For each job (unit of `layer`, its windows), every neuron of each `sources` layer
    scored by activation x gradient (see the module docstring); None for a unit that never
    fires on its windows. One forward and one backward per pass: `targets_per_pass` jobs
    in the given order, or (None) whole jobs packed by length up to `rows_per_pass`
    windows. How the passes are packed changes no score, nor does `columns` (False: the
    target layer's whole MLP is computed, the plain way the bench times)."""
    model.check_layer(layer)
    if model.units is not None:
        raise ValueError("attribution scores MLP neurons only")
    if not sources or any(s >= layer or s < 0 for s in sources):
        raise ValueError(f"every source layer must be of a layer before {layer}")
    if targets_per_pass is not None:
        packs = [
            list(range(b, min(b + targets_per_pass, len(jobs))))
            for b in range(0, len(jobs), targets_per_pass)
        ]
    else:
        packs = _packs([(u, [w for w in ws if len(w)]) for u, ws in jobs], rows_per_pass)
    out: list[Attribution | None] = [None] * len(jobs)
    for pack in packs:
        found = _pass(model, layer, [jobs[i] for i in pack], sorted(set(sources)), columns)
        for i, result in zip(pack, found, strict=True):
            out[i] = result
    return out


def _row_values(
    target: torch.Tensor, offset: int, columns: list[int], rows: list[slice]
) -> torch.Tensor:
    """float32 [B, T]: each row's own target unit's activation (its job's column), after
    the BOS column, with its autograd graph."""
    index = torch.cat(
        [torch.full((p.stop - p.start,), c) for c, p in zip(columns, rows, strict=True)]
    )
    index = index.to(target.device)[:, None, None].expand(-1, target.shape[1] - offset, 1)
    return target[:, offset:, :].gather(2, index).squeeze(2).float()


def _firing_totals(
    values: torch.Tensor, valid: torch.Tensor, rows: list[slice]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per job (its `rows`): its summed activation at its firing positions (with grad),
    their number, and its largest activation (a job whose largest is not above 0 never
    fires). All jobs at once: ablation's definition (`_firing`), without a loop."""
    job = torch.cat([torch.full((p.stop - p.start,), j) for j, p in enumerate(rows)])
    plain = values.detach().cpu()
    peaks = plain.masked_fill(~valid, float("-inf")).amax(dim=1)
    top = torch.full((len(rows),), float("-inf")).scatter_reduce(0, job, peaks, "amax")
    row_top = top[job][:, None]
    firing = valid & (plain >= FIRING_SHARE * row_top) & (plain > 0) & (row_top > 0)
    per_row = (values * firing.to(values.device)).sum(dim=1).cpu()
    totals = torch.zeros(len(rows)).index_add(0, job, per_row)
    counts = torch.zeros(len(rows), dtype=torch.long).index_add(0, job, firing.sum(dim=1))
    return totals, counts, top


def _pass(
    model: NeuronModel, layer: int, jobs: Sequence[Job], sources: list[int], columns: bool
) -> list[Attribution | None]:
    jobs = [(u, [w for w in ws if len(w)]) for u, ws in jobs]  # an empty window: no position
    live = [i for i, (_, ws) in enumerate(jobs) if ws]
    out: list[Attribution | None] = [None] * len(jobs)
    if not live:
        return out
    tokens, valid, offset, rows = windows_batch(model, [jobs[i] for i in live])
    units = sorted({jobs[i][0] for i in live})
    with torch.enable_grad():
        target, acts = _forward(model, tokens, layer, units, sources, columns=columns)
        values = _row_values(target, offset, [units.index(jobs[i][0]) for i in live], rows)
        totals, counts, top = _firing_totals(values, valid, rows)
        fired = [j for j in range(len(live)) if float(top[j]) > 0]
        if not fired:
            return out
        objective = (totals[fired] / totals[fired].detach()).sum()
        kept = {
            live[j]: (rows[j], float(totals[j].detach()) / int(counts[j]), int(counts[j]))
            for j in fired
        }
        grads = torch.autograd.grad(objective, [acts[s] for s in sources])
    # Summed over positions: the gradient is exactly 0 at padding (after each window's
    # end: causal) and the BOS column is left out, as ablation leaves it.
    by_row = {
        s: (acts[s].detach()[:, offset:] * g[:, offset:]).float().sum(dim=1).cpu()
        for s, g in zip(sources, grads, strict=True)
    }
    for i, (part, clean, n) in kept.items():
        scores = {s: by_row[s][part].sum(dim=0).numpy() for s in sources}
        out[i] = Attribution(jobs[i][0], scores, clean=clean, n_firing=n)
    return out


@torch.inference_mode()
def plain_attribution(
    model: NeuronModel,
    layer: int,
    unit: int,
    windows: Sequence[Sequence[int] | np.ndarray],
    candidate: tuple[int, int],
    *,
    h: float = 1e-2,
) -> float | None:
    """One candidate's score the plain way: two forward passes with the candidate's
    activation scaled by 1 + h and 1 - h, the central difference of the unit's summed
    firing activation (firing positions fixed by the clean pass), as a share of it."""
    tokens, valid, offset, _ = windows_batch(model, [(unit, windows)])
    clean, _ = _forward(model, tokens, layer, [unit], [])
    firing = firing_mask(clean[:, offset:, 0].float().cpu(), valid)
    if firing is None:
        return None
    source, neuron = candidate

    def total(factor: float) -> float:
        def scale(_: int, value: torch.Tensor) -> torch.Tensor:
            value = value.clone()
            value[:, offset:, neuron] *= factor
            return value

        target, _ = _forward(model, tokens, layer, [unit], [source], scale)
        return float(target[:, offset:, 0].float().cpu()[firing].sum())

    base = float(clean[:, offset:, 0].float().cpu()[firing].sum())
    return (total(1 + h) - total(1 - h)) / (2 * h) / base
