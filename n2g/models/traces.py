"""Many units' true activations over many windows: one forward pass per batch for all.

Checking units against each other (n2g.report.coactivation) needs the activations of a
few hundred units, of several layers, on the same tokens. One pass of a batch up to the
deepest layer asked computes every unit of every layer below it
(`NeuronModel.unit_activations`); the asked columns are kept and the rest dropped, so the
cost is that of the windows, not of the units: a pass per pair or per unit would repeat
the same work (bench/coactivation.py times both).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from n2g.models.base import NeuronModel


def unit_traces(
    model: NeuronModel,
    windows: Sequence[Sequence[int]],
    units: Sequence[tuple[int, int]],
    batch_size: int = 16,
) -> np.ndarray:
    """float32 [len(units), tokens]: unit (layer, index) `units[i]`'s activation on every
    token of every window, the windows' tokens concatenated in order (ragged windows: only
    their real tokens, no padding)."""
    layers = sorted({layer for layer, _ in units})
    for layer in layers:
        model.check_layer(layer)
    columns = {
        layer: [i for i, (unit_layer, _) in enumerate(units) if unit_layer == layer]
        for layer in layers
    }
    lengths = [len(window) for window in windows]
    out = np.zeros((len(units), sum(lengths)), dtype=np.float32)
    if not units or not windows:
        return out
    start = 0
    for first in range(0, len(windows), batch_size):
        batch = [list(window) for window in windows[first : first + batch_size]]
        acts = model.unit_activations(batch, layers)
        for layer, rows in columns.items():
            index = [units[row][1] for row in rows]
            values = acts[layer][:, :, index].numpy()  # [B, T, len(rows)]
            offset = start
            for b, window in enumerate(batch):
                out[rows, offset : offset + len(window)] = values[b, : len(window)].T
                offset += len(window)
        start += sum(len(window) for window in batch)
    return out
