"""The data source of FEEDS edges when SAE or transcoder latents take part, as feeders or fed.

n2g.models.attribution scores MLP neurons by activation x gradient; this module does the
same for any mix of unit sets (each a UnitLayer: a layer's neurons, or one SAE's or
transcoder's latents), so a stored latent is linked to the neurons and latents around it.

- **An SAE latent as a feeder** (Marks et al. 2024, "Sparse Feature Circuits"): the SAE is
  spliced in at its hook, the hook's value written as the reconstruction plus the error
  term (held fixed), so the model's forward is unchanged. The gradient reaching latent i is
  then its decoder row dotted with the hook's gradient, and its score is its activation
  times that, summed over the window. No second forward is needed: the hook's gradient is
  the model's own, every path after the hook counted.
- **A transcoder latent as a feeder**: the same splice at the MLP's output, which the
  transcoder stands for (its decoder writes there), the error term being what the
  transcoder misses of the MLP.
- **A transcoder latent fed by an earlier transcoder's latent**: the exact linear
  contribution of Dunefsky et al. 2024 ("Transcoders find interpretable LLM feature
  circuits"): the earlier latent's activation times its decoder row dotted with the later
  latent's encoder column, the later block's `ln2` folded into that column and its
  per-position scale (the residual's size) taken as measured on the text. It is exact for
  the direct path given the norm's scale, and counts the direct path only: what reaches the
  later latent through attention or other MLPs is not in it (where act x gradient would
  count it to first order).
- **The fed unit** is a neuron (its activation), or a latent: its encoder applied, with its
  autograd graph, to the hook it reads; its firing positions are ablation's (FIRING_SHARE
  of its largest on the window), and every score is a share of its activation there, as
  n2g.models.attribution's are. With only neurons taking part the scores are that
  module's (tests/models/test_latent_attribution.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from n2g.models.attribution import firing_mask, windows_batch
from n2g.models.base import NeuronModel, mlp_hook_name
from n2g.models.virtual_weights import UnitLayer, read_directions

# Targets a pass, each with all its windows in rows of its own (n2g.models.attribution
# packs neurons' passes by rows instead; latents keep the simpler per-target batches).
TARGETS_PER_PASS = 8

Jobs = Sequence[tuple[int, Sequence[Sequence[int] | np.ndarray]]]


class _Stop(Exception):
    """Raised once the fed unit's hook is read: nothing after it is needed."""


@dataclass(frozen=True)
class PartScores:
    """One fed unit's scores: `scores[i]` is over `sources[i].indices()` (a signed share of
    the unit's activation at its `n_firing` firing positions, whose mean is `clean`)."""

    unit: int
    scores: list[np.ndarray]
    clean: float
    n_firing: int


def _is_transcoder(part: UnitLayer) -> bool:
    return bool(getattr(part.model.units, "transcoder", False))


def _grad_hook(part: UnitLayer) -> str:
    """The hook whose gradient scores `part`'s units: where their activation is (neurons),
    or where their decoder writes (an SAE's own hook, a transcoder's MLP output)."""
    units = part.model.units
    if units is None:
        return mlp_hook_name(part.layer)
    if _is_transcoder(part):
        return str(getattr(units, "hook_name_out", None) or f"blocks.{part.layer}.hook_mlp_out")
    return units.hook_name


def _read_hook(part: UnitLayer) -> str:
    """The hook `part`'s activations are computed from."""
    return mlp_hook_name(part.layer) if part.model.units is None else part.model.units.hook_name


def _scale_hook(layer: int) -> str:
    return f"blocks.{layer}.ln2.hook_scale"


def _decoder(part: UnitLayer) -> torch.Tensor:
    decoder = getattr(getattr(part.model.units, "sae", None), "W_dec", None)
    if not isinstance(decoder, torch.Tensor):
        raise ValueError(f"{part.model.unit_set} has no decoder (W_dec)")
    return decoder.detach().float()


def _exact(target: UnitLayer, source: UnitLayer) -> bool:
    return _is_transcoder(target) and _is_transcoder(source)


def _forward(
    model: NeuronModel, tokens: torch.Tensor, target: UnitLayer, hooks: Sequence[str]
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The fed part's activations [B, T, units] with their autograd graph, and the value of
    every hook in `hooks` (in the graph: gradients may be taken with respect to them)."""
    seen: dict[str, torch.Tensor] = {}
    last = _read_hook(target)

    def keep(value: torch.Tensor, hook: Any) -> torch.Tensor:
        seen[hook.name] = value
        if hook.name == last:
            raise _Stop
        return value

    def leaf(value: torch.Tensor, hook: Any) -> torch.Tensor:  # noqa: ARG001
        return value.detach().requires_grad_(True)

    points = []
    wanted: list[tuple[str, Callable[..., Any]]] = [("hook_embed", leaf)]
    wanted += [(h, keep) for h in dict.fromkeys(hooks)]
    try:
        for name, hook in wanted:
            point = model.model.hook_dict[name]
            point.add_hook(hook)
            points.append(point)
        if last not in hooks:
            point = model.model.hook_dict[last]
            reader: Callable[..., Any] = keep
            point.add_hook(reader)
            points.append(point)
        with contextlib.suppress(_Stop):
            model.model(tokens.to(model.device), stop_at_layer=target.layer + 1)
    finally:
        for point in points:
            point.remove_hooks("fwd")
    value = seen[last]
    if target.model.units is None:
        return value, seen
    sae = target.model.units.sae  # type: ignore[attr-defined]
    weight = next(sae.parameters())
    return sae.encode(value.to(weight.dtype)).float(), seen


def latent_attribution(
    model: NeuronModel,
    target: UnitLayer,
    jobs: Jobs,
    sources: Sequence[UnitLayer],
    *,
    targets_per_pass: int = TARGETS_PER_PASS,
) -> list[PartScores | None]:
    """For each job (a unit of `target`, its windows), every unit of every `sources` part
    scored as the module docstring says; None for a unit that never fires on its windows.
    `model` is the plain model (neurons) the parts view. Every source must write before the
    target reads (UnitLayer.writes_at, reads_at). One forward and one backward a pass."""
    for part in sources:
        if part.writes_at >= target.reads_at:
            raise ValueError(f"{part.key(0)} does not write before {target.key(0)} reads")
    out: list[PartScores | None] = []
    for begin in range(0, len(jobs), targets_per_pass):
        out.extend(_pass(model, target, jobs[begin : begin + targets_per_pass], sources))
    return out


def _pass(
    model: NeuronModel, target: UnitLayer, jobs: Jobs, sources: Sequence[UnitLayer]
) -> list[PartScores | None]:
    tokens, valid, offset, rows = windows_batch(model, jobs)
    grads_at = [_grad_hook(p) for p in sources]
    hooks = [*grads_at, *(_read_hook(p) for p in sources)]
    exact = any(_exact(target, p) for p in sources)
    hooks += [_scale_hook(target.layer)] if exact else []
    with torch.enable_grad():
        acts, seen = _forward(model, tokens, target, hooks)
        objective = torch.zeros((), dtype=torch.float32)
        kept: list[tuple[torch.Tensor, float] | None] = []
        for (unit, _), part in zip(jobs, rows, strict=True):
            values = acts[part, offset:, unit].float()
            firing = firing_mask(values.detach().cpu(), valid[part])
            if firing is None:
                kept.append(None)
                continue
            total = values[firing.to(values.device)].sum()
            objective = objective + (total / total.detach()).cpu()
            kept.append((firing, float(total.detach())))
        if all(k is None for k in kept):
            return [None] * len(jobs)
        wanted = list(dict.fromkeys(grads_at))
        found = torch.autograd.grad(objective, [seen[h] for h in wanted], allow_unused=True)
    grads = {h: g for h, g in zip(wanted, found, strict=True)}
    scale = seen[_scale_hook(target.layer)].detach().float()[:, offset:].cpu() if exact else None
    per_part = [
        _part_products(p, seen, grads, valid, offset, target, scale, jobs, rows, kept)
        for p in sources
    ]
    out: list[PartScores | None] = []
    for j, ((unit, _), facts) in enumerate(zip(jobs, kept, strict=True)):
        if facts is None:
            out.append(None)
            continue
        n_firing = int(facts[0].sum())
        out.append(PartScores(unit, [s[j] for s in per_part], facts[1] / n_firing, n_firing))
    return out


def _part_products(
    part: UnitLayer,
    seen: Mapping[str, torch.Tensor],
    grads: Mapping[str, torch.Tensor | None],
    valid: torch.Tensor,
    offset: int,
    target: UnitLayer,
    scale: torch.Tensor | None,
    jobs: Jobs,
    rows: list[slice],
    kept: Sequence[tuple[torch.Tensor, float] | None],
) -> list[np.ndarray]:
    """Each job's scores over `part`'s units (zeros for a job whose unit never fired)."""
    index = torch.as_tensor(part.indices(), dtype=torch.long)
    zeros = np.zeros(len(index), dtype=np.float32)
    with torch.no_grad():
        if part.model.units is None:
            acts = seen[_grad_hook(part)].detach().float()[:, offset:].cpu()[..., index]
        else:
            value = seen[_read_hook(part)].detach()
            acts = part.model.units.encode(value)[:, offset:].cpu()[..., index]
        acts = acts * valid[:, :, None]
        if scale is not None and _exact(target, part):
            return _exact_products(part, acts, target, scale, jobs, rows, kept, zeros)
        grad = grads[_grad_hook(part)]
        if grad is None:
            return [zeros for _ in jobs]
        grad = grad.detach().float()[:, offset:].cpu()
        if part.model.units is None:
            products = acts * grad[..., index]
        else:
            products = acts * (grad @ _decoder(part)[index].cpu().T)
        return [
            zeros if facts is None else products[r].sum(dim=(0, 1)).numpy()
            for r, facts in zip(rows, kept, strict=True)
        ]


def _exact_products(
    part: UnitLayer,
    acts: torch.Tensor,
    target: UnitLayer,
    scale: torch.Tensor,
    jobs: Jobs,
    rows: list[slice],
    kept: Sequence[tuple[torch.Tensor, float] | None],
    zeros: np.ndarray,
) -> list[np.ndarray]:
    """Transcoder to transcoder: activation x (decoder row . folded encoder column) / the
    later norm's scale, over the fed latent's firing positions, as a share of it."""
    units = [unit for unit, _ in jobs]
    reads = read_directions(target.model, target.layer, units)
    assert reads is not None  # a transcoder reads ln2's output
    weights = _decoder(part)[torch.as_tensor(part.indices(), dtype=torch.long)].cpu()
    virtual = weights @ reads.cpu()  # [part units, jobs]
    scaled = acts / scale  # scale: [B, T, 1]
    out: list[np.ndarray] = []
    for j, (r, facts) in enumerate(zip(rows, kept, strict=True)):
        if facts is None:
            out.append(zeros)
            continue
        firing, total = facts
        summed = (scaled[r] * firing[:, :, None]).sum(dim=(0, 1))
        out.append((summed * virtual[:, j] / total).numpy())
    return out


def top_feeders(
    sources: Sequence[UnitLayer], scores: PartScores, k: int
) -> list[tuple[str, float]]:
    """The k largest |scores| as (key, score), strongest first (ties by key)."""
    flat = [
        (part.key(unit), float(value))
        for part, row in zip(sources, scores.scores, strict=True)
        for unit, value in zip(part.indices(), row, strict=True)
    ]
    return sorted(flat, key=lambda c: (-abs(c[1]), c[0]))[:k]
