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
pass carries `targets_per_pass` units' windows; the plain reference, one pair of passes a
candidate with the candidate's activation scaled by 1 +- h (`plain_attribution`), gives
the same scores (tests/models/test_attribution.py; bench/circuits.py times both).

The pass stops at the target layer's MLP (`stop_at_layer`), and the model's weights are
never given gradients (torch.autograd.grad on the activations alone). Only MLP neurons.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from n2g.models.ablation import FIRING_SHARE
from n2g.models.base import NeuronModel, mlp_hook_name

TARGETS_PER_PASS = 8


class _Stop(Exception):
    """Raised by the reading hook: nothing after the target layer's MLP is needed."""


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


def _windows_batch(
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


def _forward(
    model: NeuronModel,
    tokens: torch.Tensor,
    layer: int,
    sources: Sequence[int],
    scale: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
    """The target layer's MLP activations [B, T, d_mlp] (with their autograd graph when
    grad is on) and each source layer's; `scale` may change a source layer's value."""
    acts: dict[int, torch.Tensor] = {}
    seen: dict[str, torch.Tensor] = {}

    def keep(layer_: int) -> Callable[..., torch.Tensor]:
        def hook(value: torch.Tensor, hook: Any) -> torch.Tensor:  # noqa: ARG001
            if scale is not None:
                value = scale(layer_, value)
            acts[layer_] = value
            return value

        return hook

    def leaf(value: torch.Tensor, hook: Any) -> torch.Tensor:  # noqa: ARG001
        return value.detach().requires_grad_(torch.is_grad_enabled())

    def read(value: torch.Tensor, hook: Any) -> None:  # noqa: ARG001
        seen["target"] = value
        raise _Stop

    points = []
    try:
        hooks: list[tuple[str, Callable[..., Any]]] = [("hook_embed", leaf)]
        hooks += [(mlp_hook_name(s), keep(s)) for s in sources]
        for name, hook in hooks:
            point = model.model.hook_dict[name]
            point.add_hook(hook)
            points.append(point)
        target = model.model.hook_dict[mlp_hook_name(layer)]
        reader: Callable[..., Any] = read
        target.add_hook(reader)
        points.append(target)
        with contextlib.suppress(_Stop):
            model.model(tokens.to(model.device), stop_at_layer=layer + 1)
    finally:
        for point in points:
            point.remove_hooks("fwd")
    return seen["target"], acts


def _firing(values: torch.Tensor, valid: torch.Tensor) -> torch.Tensor | None:
    """The firing mask of one unit's rows [b, T] (ablation's definition); None if none."""
    top = float(values[valid].max()) if valid.any() else 0.0
    firing = valid & (values >= FIRING_SHARE * top) & (values > 0)
    return firing if top > 0 and bool(firing.any()) else None


def attribution_scores(
    model: NeuronModel,
    layer: int,
    jobs: Sequence[tuple[int, Sequence[Sequence[int] | np.ndarray]]],
    sources: Sequence[int],
    *,
    targets_per_pass: int = TARGETS_PER_PASS,
) -> list[Attribution | None]:
    """For each job (unit of `layer`, its windows), every neuron of each `sources` layer
    scored by activation x gradient (see the module docstring); None for a unit that never
    fires on its windows. One forward and one backward per `targets_per_pass` jobs."""
    model.check_layer(layer)
    if model.units is not None:
        raise ValueError("attribution scores MLP neurons only")
    if not sources or any(s >= layer or s < 0 for s in sources):
        raise ValueError(f"every source layer must be of a layer before {layer}")
    out: list[Attribution | None] = []
    for begin in range(0, len(jobs), targets_per_pass):
        out.extend(
            _pass(model, layer, jobs[begin : begin + targets_per_pass], sorted(set(sources)))
        )
    return out


def _pass(
    model: NeuronModel,
    layer: int,
    jobs: Sequence[tuple[int, Sequence[Sequence[int] | np.ndarray]]],
    sources: list[int],
) -> list[Attribution | None]:
    tokens, valid, offset, rows = _windows_batch(model, jobs)
    with torch.enable_grad():
        target, acts = _forward(model, tokens, layer, sources)
        objective = torch.zeros((), dtype=torch.float32)
        kept: list[tuple[float, int] | None] = []
        for (unit, _), part in zip(jobs, rows, strict=True):
            values = target[part, offset:, unit].float()
            firing = _firing(values.detach().cpu(), valid[part])
            if firing is None:
                kept.append(None)
                continue
            total = values[firing.to(values.device)].sum()
            objective = objective + (total / total.detach()).cpu()
            kept.append((float(total.detach()) / int(firing.sum()), int(firing.sum())))
        if all(k is None for k in kept):
            return [None] * len(jobs)
        grads = torch.autograd.grad(objective, [acts[s] for s in sources])
    products = {
        s: (acts[s].detach().float() * g.float())[:, offset:].cpu() * valid[:, :, None]
        for s, g in zip(sources, grads, strict=True)
    }
    out: list[Attribution | None] = []
    for (unit, _), part, facts in zip(jobs, rows, kept, strict=True):
        if facts is None:
            out.append(None)
            continue
        scores = {s: products[s][part].sum(dim=(0, 1)).numpy() for s in sources}
        out.append(Attribution(unit, scores, clean=facts[0], n_firing=facts[1]))
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
    tokens, valid, offset, _ = _windows_batch(model, [(unit, windows)])
    clean, _ = _forward(model, tokens, layer, [])
    firing = _firing(clean[:, offset:, unit].float().cpu(), valid)
    if firing is None:
        return None
    source, neuron = candidate

    def total(factor: float) -> float:
        def scale(_: int, value: torch.Tensor) -> torch.Tensor:
            value = value.clone()
            value[:, offset:, neuron] *= factor
            return value

        target, _ = _forward(model, tokens, layer, [source], scale)
        return float(target[:, offset:, unit].float().cpu()[firing].sum())

    base = float(clean[:, offset:, unit].float().cpu()[firing].sum())
    return (total(1 + h) - total(1 - h)) / (2 * h) / base
