"""Many ablations of one model on the same windows, in shared passes: the loss of each.

Group ablation (n2g.models.group_ablation) measures one set of units and several random
sets of the same layers, each against the clean model, on the same windows. Done the
plain way (`plain_losses`), every set is its own pass of the whole model over every
window: hooks on, forward, full log-softmax over the 49,152-token vocabulary, hooks off.
Three things in that are repeated work, and this module does each once:

- **Rows are (set, window) pairs.** One pass holds rows of several sets (the clean
  model is the empty set); the hook on each layer takes a per-row mask of the units to
  ablate, so every set rides in the same passes with the same hooks.
- **The unchanged prefix runs once.** Every layer before the lowest layer any set
  touches computes the same residual for all rows of a window: it is computed once per
  window (`stop_at_layer`) and each row starts from it (`start_at_layer`). With random
  sets drawn in the set's own layers, that is the set's lowest layer.
- **The loss is read, not the whole log-softmax.** Only the real positions (no padding,
  none for the BOS to predict) go through the final norm and unembedding, and the loss
  is logsumexp minus the target's logit: one [positions, vocabulary] array, not three.

The numbers are the plain way's (tests/models/test_set_passes.py compares them on a tiny
model to float rounding); what it saves is measured by `python -m bench.group_ablation`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch

from n2g.models.base import NeuronModel, mlp_hook_name

Unit = tuple[int, int]  # (layer, neuron)
Means = dict[int, torch.Tensor]  # layer -> each neuron's mean activation (mean ablation)


@contextlib.contextmanager
def hooked(model: NeuronModel, edits: dict[str, Callable[..., Any]]) -> Iterator[None]:
    """The model with `edits` on its hook points (by name) for the block's duration."""
    points = [model.model.hook_dict[name] for name in edits]
    try:
        for point, edit in zip(points, edits.values(), strict=True):
            point.add_hook(edit)
        yield
    finally:
        for point in points:
            point.remove_hooks("fwd")


def bos_columns(model: NeuronModel) -> int:
    """How many columns a pass puts before a window's tokens (1: the BOS)."""
    return 1 if model.prepend_bos and model.tokenizer.bos_token_id is not None else 0


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for begin in range(0, len(items), size):
        yield list(items[begin : begin + size])


def _window_losses(nll: np.ndarray, length: int, offset: int) -> np.ndarray:
    """A window's per-token loss from its row's next-token losses: token j is predicted at
    column offset + j - 1; NaN where nothing precedes it (the first token without BOS)."""
    losses = np.full(length, np.nan)
    first = max(1 - offset, 0)
    losses[first:] = nll[offset + first - 1 : offset + length - 1]
    return losses


# --- the plain way: one pass of the whole model per set ---------------------------------


def plain_ablation(units: Sequence[Unit], means: Means | None, start: int) -> dict[str, Callable]:
    """Hooks setting each unit's activation to 0 (or its mean) from column `start` on."""
    by_layer: dict[int, list[int]] = {}
    for layer, neuron in units:
        by_layer.setdefault(layer, []).append(neuron)

    def edit(layer: int, neurons: list[int]) -> Callable:
        index = torch.as_tensor(neurons)

        def change(value: torch.Tensor, hook: Any) -> torch.Tensor:  # noqa: ARG001
            where = index.to(value.device)
            if means is None:
                value[:, start:, where] = 0
            else:
                value[:, start:, where] = means[layer].to(value.device, value.dtype)[where]
            return value

        return change

    return {mlp_hook_name(layer): edit(layer, ns) for layer, ns in by_layer.items()}


@torch.inference_mode()
def plain_losses(
    model: NeuronModel,
    windows: Sequence[Sequence[int]],
    units: Sequence[Unit],
    means: Means | None,
    batch: int,
) -> list[np.ndarray]:
    """Per window, the loss of each token with `units` ablated (none: the clean model),
    the whole model and the whole log-softmax a pass (the reference `set_losses` meets)."""
    out: list[np.ndarray] = []
    with hooked(model, plain_ablation(units, means, bos_columns(model))):
        for chunk in _chunks(windows, batch):
            tokens, lengths = model._pad(chunk)
            offset = tokens.shape[1] - int(lengths.max())
            logits = model.model(tokens.to(model.device)).float()
            logp = torch.log_softmax(logits[:, :-1], dim=-1)
            target = tokens[:, 1:].to(logp.device)
            nll = -logp.gather(-1, target[..., None])[..., 0].cpu().numpy()
            out += [_window_losses(nll[row], n, offset) for row, n in enumerate(lengths.tolist())]
    return out


# --- shared passes ----------------------------------------------------------------------


def _masks(sets: Sequence[Sequence[Unit]], n_units: int) -> dict[int, torch.Tensor]:
    """Per layer any set touches, a [sets, units] mask of the units each set ablates."""
    layers = sorted({layer for chosen in sets for layer, _ in chosen})
    masks = {layer: torch.zeros(len(sets), n_units, dtype=torch.bool) for layer in layers}
    for index, chosen in enumerate(sets):
        for layer, neuron in chosen:
            masks[layer][index, neuron] = True
    return masks


def _row_ablation(
    masks: dict[int, torch.Tensor], rows: list[torch.Tensor], means: Means | None, start: int
) -> dict[str, Callable]:
    """Hooks ablating, in each row of a pass, the units of that row's set; `rows[0]` holds
    the current pass's set index per row (set before each pass)."""

    def edit(layer: int) -> Callable:
        def change(value: torch.Tensor, hook: Any) -> torch.Tensor:  # noqa: ARG001
            mask = masks[layer].to(value.device)[rows[0].to(value.device)][:, None, :]
            if means is None:
                fill = torch.zeros((), dtype=value.dtype, device=value.device)
            else:
                fill = means[layer].to(value.device, value.dtype)
            value[:, start:] = torch.where(mask, fill, value[:, start:])
            return value

        return change

    return {mlp_hook_name(layer): edit(layer) for layer in masks}


def _next_token_losses(
    model: NeuronModel, residual: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor
) -> list[np.ndarray]:
    """Per row, the next-token loss at each column (from the last block's residual), only
    the real columns through the final norm and unembedding."""
    from transformer_lens.utils import apply_softcap

    tl = model.model
    offset = tokens.shape[1] - int(lengths.max())
    width = offset + lengths - 1  # columns predicting a real token
    real = torch.arange(tokens.shape[1] - 1)[None, :] < width[:, None]
    picked = residual[:, :-1][real.to(residual.device)]
    if tl.cfg.normalization_type is not None:
        picked = tl.ln_final(picked)
    logits = apply_softcap(tl.unembed(picked), tl.cfg.output_logits_soft_cap).float()
    target = tokens[:, 1:][real].to(logits.device)
    nll = (torch.logsumexp(logits, dim=-1) - logits.gather(-1, target[:, None])[:, 0]).cpu()
    out = []
    begin = 0
    for row in range(tokens.shape[0]):
        full = np.full(tokens.shape[1] - 1, np.nan)
        count = int(width[row])
        full[:count] = nll[begin : begin + count].numpy()
        begin += count
        out.append(full)
    return out


@torch.inference_mode()
def set_losses(
    model: NeuronModel,
    windows: Sequence[Sequence[int]],
    sets: Sequence[Sequence[Unit]],
    means: Means | None,
    batch: int,
) -> list[list[np.ndarray]]:
    """Per set (an empty set: the clean model), per window, the loss of each token with the
    set ablated: `plain_losses` for every set, in shared passes (module docstring). `batch`
    is rows a pass, as `plain_losses`' windows a pass (the same memory)."""
    tl = model.model
    masks = _masks(sets, model.n_units)
    first = min(masks, default=tl.cfg.n_layers)
    current = [torch.zeros(0, dtype=torch.long)]
    out: list[list[np.ndarray]] = [[] for _ in sets]
    with hooked(model, _row_ablation(masks, current, means, bos_columns(model))):
        for chunk in _chunks(windows, batch):
            tokens, lengths = model._pad(chunk)
            offset = tokens.shape[1] - int(lengths.max())
            prefix = tl(tokens.to(model.device), stop_at_layer=first)  # the same for every set
            pairs = [(s, w) for s in range(len(sets)) for w in range(len(chunk))]
            for rows in _chunks(pairs, batch):
                current[0] = torch.as_tensor([s for s, _ in rows])
                windows_of = torch.as_tensor([w for _, w in rows])
                residual = tl(
                    prefix[windows_of.to(prefix.device)],
                    start_at_layer=first,
                    stop_at_layer=tl.cfg.n_layers,
                )
                nll = _next_token_losses(model, residual, tokens[windows_of], lengths[windows_of])
                for (s, w), row in zip(rows, nll, strict=True):
                    out[s].append(_window_losses(row, int(lengths[w]), offset))
    return out
