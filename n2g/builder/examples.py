"""The builder's working data: examples in flight, and batched pivot activations.

Every model pass of prune, saliency and augmentation is "activation of neuron n at
position p of sequence s" for many (s, n, p) rows, possibly of different neurons. They are
all answered by `pivot_batch`, which sorts rows by length (less padding), runs them in
chunks of `batch_rows` and returns the answers in the caller's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from n2g.models.base import NeuronModel


@dataclass
class Example:
    """One pruned (or augmented) example of a neuron: the pivot is the last token."""

    neuron: int
    tokens: np.ndarray  # int64 [L]
    activation: float  # the neuron's activation on the pivot (last) token
    importances: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    augmented: bool = False
    # original / pruned activation of the pruned example this one is (or comes from): END
    # nodes hold activation x scale, the full-context scale the paper's numbers used.
    scale: float = 1.0

    @property
    def key(self) -> tuple[int, ...]:
        return tuple(int(t) for t in self.tokens)


@dataclass
class PivotRow:
    tokens: np.ndarray
    neuron: int
    pivot: int


def pivot_batch(
    model: NeuronModel, layer: int, rows: Sequence[PivotRow], batch_rows: int
) -> np.ndarray:
    """float32 [len(rows)]: each row's neuron activation at its pivot, batched."""
    out = np.zeros(len(rows), dtype=np.float32)
    order = sorted(range(len(rows)), key=lambda i: len(rows[i].tokens))
    for start in range(0, len(order), batch_rows):
        chunk = order[start : start + batch_rows]
        acts = model.pivot_activations(
            [rows[i].tokens.tolist() for i in chunk],
            layer,
            [rows[i].neuron for i in chunk],
            [rows[i].pivot for i in chunk],
        )
        out[chunk] = acts.numpy()
    return out
