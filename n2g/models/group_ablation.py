"""What a set of units does for the model: its next-token loss with all of them taken away.

The paper proposes ablating a whole group of similar neurons to control a behaviour (its
safety use). One unit's effect on another is measured in n2g.models.ablation; this
measures a SET's effect on what the model is for, predicting the next token:

- every unit of the set is ablated at once, at every position of a window but the BOS
  column (as n2g.models.ablation does): zero ablation sets it to 0; mean ablation to its
  mean over the control windows' real positions (what it does on ordinary text stays;
  what it does on these texts goes);
- the change in per-token cross-entropy (nats; positive: the model got worse) is
  measured on the texts where the units fire (the members' held-out windows,
  n2g.run.ablation_texts), over every token and on the token right after a firing
  position (the one a firing unit's output helps predict), and on control texts (random
  windows of the corpus);
- the spread is a seeded bootstrap over windows (95% interval of the mean);
- random sets with the same number of units in each layer (other units of those
  layers), on the same windows, say whether the set matters more than any units would:
  `above_random` is the share of them whose change on the firing texts is below the
  set's.

Cost: every set (the clean model, the set, each random set) on every window, in shared
passes (n2g.models.set_passes: rows are (set, window) pairs, the layers below the set's
lowest run once a window, only the loss is read off the logits); the whole model from
there on each time, since the loss is at the end. Ablating more units costs nothing more:
the hooks fill columns, so memory is set by one batch's logits (`estimate_bytes`), which
the command checks before running.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch

from n2g.graph.key import neuron_key
from n2g.models.base import NeuronModel, mlp_hook_name
from n2g.models.set_passes import hooked, set_losses
from n2g.search.group_ablation import MODES, Mode, SetAblation, Spread

Unit = tuple[int, int]  # (layer, neuron)
BATCH = 4  # windows a pass: SmolLM2's logits are 49,152 floats a token
BOOTSTRAP = 1000  # resamples for a mean's interval
RANDOM_SETS = 8


def estimate_bytes(model: NeuronModel, window: int, batch: int = BATCH) -> int:
    """Peak memory of the measurement: the weights, and one pass of `batch` windows
    (logits, their log-softmax and gather in float32, and each layer's working set)."""
    cfg = model.model.cfg
    weights = sum(p.numel() * p.element_size() for p in model.model.parameters())
    tokens = batch * (window + 1)
    logits = tokens * cfg.d_vocab * 4 * 3
    per_layer = tokens * (8 * cfg.d_model + 3 * (cfg.d_mlp or 0) + cfg.n_heads * (window + 1))
    return int(weights + logits + per_layer * 4 * 2)


def _batches(windows: Sequence[Sequence[int]], size: int) -> Iterator[list[Sequence[int]]]:
    for begin in range(0, len(windows), size):
        yield list(windows[begin : begin + size])


def layer_means(
    model: NeuronModel, windows: Sequence[Sequence[int]], layers: Sequence[int], batch: int
) -> dict[int, torch.Tensor]:
    """Each layer's neurons' mean activation over the windows' real positions (no BOS)."""
    sums: dict[int, torch.Tensor] = {}
    count = 0
    for chunk in _batches(windows, batch):
        tokens, lengths = model._pad(chunk)
        offset = tokens.shape[1] - int(lengths.max())
        valid = torch.arange(int(lengths.max()))[None, :] < lengths[:, None]

        def reader(layer: int, offset: int, valid: torch.Tensor) -> Callable:
            def read(value: torch.Tensor, hook: Any) -> None:  # noqa: ARG001
                real = value[:, offset:].float().cpu()[valid]
                sums[layer] = sums.get(layer, 0) + real.sum(dim=0)

            return read

        readers = {mlp_hook_name(layer): reader(layer, offset, valid) for layer in layers}
        with hooked(model, readers):
            model.model(tokens.to(model.device), stop_at_layer=max(layers) + 1)
        count += int(valid.sum())
    return {layer: total / max(count, 1) for layer, total in sums.items()}


def _at(losses: Sequence[np.ndarray], positions: Sequence[Sequence[int]]) -> list[float]:
    """Per window, the mean loss on the tokens right after its firing positions."""
    out = []
    for loss, firing in zip(losses, positions, strict=True):
        after = [p + 1 for p in firing if p + 1 < len(loss)]
        out.append(float(np.nanmean(loss[after])) if after else float("nan"))
    return out


def bootstrap(values: Sequence[float], seed: int, resamples: int = BOOTSTRAP) -> Spread | None:
    """The mean of the defined values with a 95% bootstrap interval; None when none is."""
    data = np.asarray([v for v in values if not np.isnan(v)], dtype=float)
    if not len(data):
        return None
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(resamples, len(data)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Spread(mean=float(data.mean()), low=float(low), high=float(high), n=len(data))


def across(values: Sequence[float]) -> Spread | None:
    """Random sets' means: their mean and middle 95%."""
    data = np.asarray([v for v in values if not np.isnan(v)], dtype=float)
    if not len(data):
        return None
    low, high = np.percentile(data, [2.5, 97.5])
    return Spread(mean=float(data.mean()), low=float(low), high=float(high), n=len(data))


def random_sets(units: Sequence[Unit], n_units: int, count: int, seed: int) -> list[list[Unit]]:
    """`count` sets holding as many units of each layer as `units`, drawn (seeded) from
    the other units of those layers."""
    rng = np.random.default_rng(seed)
    per_layer: dict[int, set[int]] = {}
    for layer, neuron in units:
        per_layer.setdefault(layer, set()).add(neuron)
    out = []
    for _ in range(count):
        drawn: list[Unit] = []
        for layer, taken in sorted(per_layer.items()):
            free = np.setdiff1d(np.arange(n_units), sorted(taken))
            if len(free) < len(taken):
                raise ValueError(f"layer {layer} has too few other units for a random set")
            picks = rng.choice(free, size=len(taken), replace=False)
            drawn += [(layer, int(n)) for n in sorted(picks)]
        out.append(drawn)
    return out


def _deltas(clean: Sequence[np.ndarray], ablated: Sequence[np.ndarray]) -> list[float]:
    return [float(np.nanmean(a - c)) for c, a in zip(clean, ablated, strict=True)]


@torch.inference_mode()
def measure_set(
    model: NeuronModel,
    units: Sequence[Unit],
    firing: Sequence[Sequence[int]],
    positions: Sequence[Sequence[int]],
    control: Sequence[Sequence[int]],
    *,
    mode: Mode = "zero",
    n_random: int = RANDOM_SETS,
    held_out: bool = True,
    seed: int = 0,
    batch: int = BATCH,
    group: str | None = None,
    context: int | None = None,
) -> SetAblation:
    """The loss change when every unit of `units` (MLP neurons) is ablated together (see
    the module docstring); `positions`: each firing window's firing positions."""
    start = time.perf_counter()
    if mode not in MODES:
        raise ValueError(f"mode must be zero or mean, got {mode!r}")
    if model.units is not None:
        raise ValueError("group ablation takes MLP neurons only")
    if not units or not firing or not control:
        raise ValueError("a set, firing windows and control windows are needed")
    for layer, neuron in units:
        model.check_layer(layer)
        if not 0 <= neuron < model.n_units:
            raise ValueError(f"layer {layer} has {model.n_units} units, not unit {neuron}")
    layers = sorted({layer for layer, _ in units})
    means = layer_means(model, control, layers, batch) if mode == "mean" else None
    randoms = random_sets(units, model.n_units, n_random, seed)
    losses = set_losses(model, [*firing, *control], [[], list(units), *randoms], means, batch)
    clean_firing, clean_control = losses[0][: len(firing)], losses[0][len(firing) :]

    def measured(ablated: list[np.ndarray]) -> tuple[list[float], list[float], list[float]]:
        on_firing, on_control = ablated[: len(firing)], ablated[len(firing) :]
        after = np.asarray(_at(on_firing, positions)) - np.asarray(_at(clean_firing, positions))
        return (
            _deltas(clean_firing, on_firing),
            [float(v) for v in after],
            _deltas(clean_control, on_control),
        )

    fired, after, controlled = measured(losses[1])
    randoms_measured = [measured(ablated) for ablated in losses[2:]]
    set_mean = float(np.mean(fired))
    random_means = [float(np.mean(r[0])) for r in randoms_measured]
    return SetAblation(
        model=model.name,
        units=[neuron_key(model.name, layer, neuron) for layer, neuron in sorted(units)],
        layers=layers,
        mode=mode,
        group=group,
        context=context,
        held_out=held_out,
        firing_windows=len(firing),
        control_windows=len(control),
        clean_loss_firing=float(np.nanmean(np.concatenate(clean_firing))),
        clean_loss_control=float(np.nanmean(np.concatenate(clean_control))),
        firing=bootstrap(fired, seed) or Spread(mean=0.0, low=0.0, high=0.0, n=0),
        at_firing=bootstrap(after, seed),
        control=bootstrap(controlled, seed) or Spread(mean=0.0, low=0.0, high=0.0, n=0),
        random_sets=len(randoms),
        random_firing=across(random_means),
        random_at_firing=across([_nanmean(r[1]) for r in randoms_measured]),
        random_control=across([float(np.mean(r[2])) for r in randoms_measured]),
        above_random=float(np.mean([m < set_mean for m in random_means])) if randoms else None,
        seconds=time.perf_counter() - start,
    )


def _nanmean(values: Sequence[float]) -> float:
    defined = [v for v in values if not np.isnan(v)]
    return float(np.mean(defined)) if defined else float("nan")
