"""Whether a feeder really feeds a unit: ablate it and measure the unit's drop.

A virtual weight (n2g.models.virtual_weights) is a reading of the weights on the direct
path; what a feeder does to a unit on real text is measured by taking the feeder away.
For a unit B and a candidate feeder A of an earlier layer, B's top windows (its records,
n2g.record.store) are run with A's activation replaced at every position of the window:

- zero ablation: A's activation set to 0;
- mean ablation: set to A's mean activation over the same windows' real positions (what
  A does "on average" stays; what it does on these windows goes).

The effect is B's drop at its firing positions (where B reaches at least half its largest
activation over the windows), as a share of B's activation there: 0.4 means taking A
away removes 40% of B's activation where B fires; a negative effect means A inhibits B.
Every path from A to B counts (attention and MLPs between them included), which is what
the direct-path virtual weight leaves out.

Batched: one pass carries `candidates_per_pass` candidates at once, the windows repeated
once per candidate and each copy's own feeder replaced (a hook fills one column of one
block of rows per candidate); the plain way is one pass per candidate
(`candidates_per_pass=1`, the same numbers; bench/circuits.py times both). Batching pays
where a pass's overhead dominates (a tiny model: 3.9x); at SmolLM2's size on a 2-core CPU a
pass of 8 windows is already compute-bound and batching measured 0.5-0.7x
(docs/performance.md): pass `candidates_per_pass=1` there. Only MLP neurons are ablated
(their hook is `blocks.L.mlp.hook_post`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from n2g.models.base import NeuronModel, mlp_hook_name

MODES = ("zero", "mean")
CANDIDATES_PER_PASS = 16
FIRING_SHARE = 0.5  # a firing position reaches this share of the unit's largest activation
MLP_INPUT = "mlp input"  # run_to_layer's `read` for what the layer's MLP receives


class _Stop(Exception):
    """Raised by the reading hook: nothing after the read point is needed."""


@dataclass(frozen=True)
class Effects:
    """A unit's measured drops, one per candidate (candidates' order), per mode; `clean` is
    the unit's mean activation at its `n_firing` firing positions."""

    zero: list[float]
    mean: list[float]
    clean: float
    n_firing: int


def run_to_layer(
    model: NeuronModel,
    tokens: torch.Tensor,
    layer: int,
    hooks: Mapping[str, Callable[[torch.Tensor], torch.Tensor | None]],
    *,
    read: str | None = None,
) -> torch.Tensor:
    """Run `tokens` with `hooks` (hook point name -> a function of its value; a tensor it
    returns replaces the value) until hook point `read` of `layer` (default: its MLP
    neurons' hook; MLP_INPUT: the input of its MLP, whatever the block's layout) and
    return that value; nothing after it is computed. The one way ablation and
    attribution run a model part-way."""
    seen: dict[str, torch.Tensor] = {}

    def wrap(change: Callable[[torch.Tensor], torch.Tensor | None]) -> Callable[..., torch.Tensor]:
        def hook(value: torch.Tensor, hook: Any) -> torch.Tensor:  # noqa: ARG001
            changed = change(value)
            return value if changed is None else changed

        return hook

    def read_and_stop(value: torch.Tensor, hook: Any) -> None:  # noqa: ARG001
        seen["read"] = value
        raise _Stop

    stop: Callable[..., Any] = read_and_stop

    points = []
    handle = None
    try:
        for name, change in hooks.items():
            point = model.model.hook_dict[name]
            point.add_hook(wrap(change))
            points.append(point)
        if read == MLP_INPUT:
            mlp = model.model.blocks[layer].mlp
            handle = mlp.register_forward_pre_hook(lambda _, args: stop(args[0], None))
        else:
            target = model.model.hook_dict[read or mlp_hook_name(layer)]
            target.add_hook(stop)
            points.append(target)
        with contextlib.suppress(_Stop):
            model.model(tokens.to(model.device), stop_at_layer=layer + 1)
    finally:
        for point in points:
            point.remove_hooks("fwd")
        if handle is not None:
            handle.remove()
    return seen["read"]


def _run(
    model: NeuronModel,
    tokens: torch.Tensor,
    layer: int,
    unit: int,
    edits: dict[int, Callable[[torch.Tensor], None]],
) -> torch.Tensor:
    """float32 [B, T]: the unit's activation, after `edits` (layer -> in-place change of
    that layer's hook value) have run; the pass stops at the unit's hook."""
    hooks = {mlp_hook_name(source): change for source, change in edits.items()}
    return run_to_layer(model, tokens, layer, hooks)[:, :, unit].float().cpu()


def _capture(layers: Sequence[int], into: dict[int, torch.Tensor]) -> dict[int, Callable]:
    def keep(source: int) -> Callable[[torch.Tensor], None]:
        def change(value: torch.Tensor) -> None:
            into[source] = value.detach().float().cpu()

        return change

    return {source: keep(source) for source in layers}


@torch.inference_mode()
def ablation_effects(
    model: NeuronModel,
    layer: int,
    unit: int,
    windows: Sequence[Sequence[int] | np.ndarray],
    candidates: Sequence[tuple[int, int]],
    *,
    candidates_per_pass: int = CANDIDATES_PER_PASS,
    modes: Sequence[str] = MODES,
) -> Effects | None:
    """The drop of MLP neuron (`layer`, `unit`) at its firing positions in `windows` when
    each candidate (layer, neuron) of an earlier layer is zero- and mean-ablated (each of
    `modes`; a mode left out gets NaN effects); None when the unit never fires there."""
    model.check_layer(layer)
    if model.units is not None:
        raise ValueError("ablation measures MLP neurons only")
    if any(source >= layer for source, _ in candidates):
        raise ValueError(f"every candidate must be of a layer before {layer}")
    tokens, lengths = model._pad([list(map(int, w)) for w in windows])
    offset = tokens.shape[1] - int(lengths.max())
    valid = torch.arange(int(lengths.max()))[None, :] < lengths[:, None]
    layers = sorted({source for source, _ in candidates})
    acts: dict[int, torch.Tensor] = {}
    clean = _run(model, tokens, layer, unit, _capture(layers, acts))[:, offset:]
    top = float(clean[valid].max()) if valid.any() else 0.0
    firing = valid & (clean >= FIRING_SHARE * top) & (clean > 0)
    if top <= 0 or not firing.any():
        return None
    clean_mean = float(clean[firing].mean())
    means = {source: acts[source][:, offset:][valid].mean(dim=0) for source in layers}
    n = len(windows)
    out: dict[str, list[float]] = {mode: [float("nan")] * len(candidates) for mode in MODES}
    for mode in modes:
        out[mode] = []
        for begin in range(0, len(candidates), candidates_per_pass):
            group = candidates[begin : begin + candidates_per_pass]
            batch = tokens.repeat(len(group), 1)
            edits = {
                source: _filler(group, source, n, offset, means[source] if mode == "mean" else None)
                for source in {s for s, _ in group}
            }
            ablated = _run(model, batch, layer, unit, edits)[:, offset:]
            for copy in range(len(group)):
                rows = ablated[copy * n : (copy + 1) * n]
                drop = float((clean[firing] - rows[firing]).mean()) / clean_mean
                out[mode].append(drop)
    return Effects(zero=out["zero"], mean=out["mean"], clean=clean_mean, n_firing=int(firing.sum()))


def _filler(
    group: Sequence[tuple[int, int]],
    source: int,
    n: int,
    offset: int,
    means: torch.Tensor | None,
) -> Callable[[torch.Tensor], None]:
    """The edit of layer `source`'s hook: each copy of the windows whose candidate lies in
    that layer gets its neuron's column filled (0, or its mean) after the BOS column."""
    rows: list[int] = []
    units: list[int] = []
    for copy, (layer, neuron) in enumerate(group):
        if layer == source:
            rows.extend(range(copy * n, (copy + 1) * n))
            units.extend([neuron] * n)

    def change(value: torch.Tensor) -> None:
        row_index = torch.as_tensor(rows, device=value.device)
        unit_index = torch.as_tensor(units, device=value.device)
        if means is None:
            fill = torch.zeros(len(rows), 1, dtype=value.dtype, device=value.device)
        else:
            fill = means.to(value.device, value.dtype)[unit_index][:, None]
        value[row_index, offset:, unit_index] = fill

    return change
