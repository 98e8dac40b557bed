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
    # An augmented example: the tokens of the example it was made from and the position
    # substituted (its masked copies are computed from the origin's: n2g.builder.saliency_tree).
    origin: np.ndarray | None = None
    substituted_at: int = -1

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
    """float32 [len(rows)]: each row's neuron activation at its pivot, batched.

    Each distinct sequence runs once, whatever the number of rows (neurons, pivots) asking
    about it, and a sequence that is a prefix of another is not run at all: the model is
    causal, so its activations are the longer one's first positions. Sequences run in order
    of length (less padding), `batch_rows` at a time.
    """
    out = np.zeros(len(rows), dtype=np.float32)
    if not rows:
        return out
    keys = [tuple(row.tokens.tolist()) for row in rows]
    distinct = sorted(set(keys))
    # In sorted order every extension of a sequence directly follows it, so the next
    # sequence is an extension whenever any is; it inherits that one's runner.
    runner: dict[tuple[int, ...], int] = {}
    runs: list[tuple[int, ...]] = []
    for i in range(len(distinct) - 1, -1, -1):
        seq = distinct[i]
        after = distinct[i + 1] if i + 1 < len(distinct) else None
        if after is not None and after[: len(seq)] == seq:
            runner[seq] = runner[after]
        else:
            runner[seq] = len(runs)
            runs.append(seq)
    asks: list[list[int]] = [[] for _ in runs]
    for i, key in enumerate(keys):
        asks[runner[key]].append(i)
    order = sorted(range(len(runs)), key=lambda r: len(runs[r]))
    for start in range(0, len(order), batch_rows):
        chunk = order[start : start + batch_rows]
        index = [i for r in chunk for i in asks[r]]
        slot = [b for b, r in enumerate(chunk) for _ in asks[r]]
        acts = model.gather_activations(
            [list(runs[r]) for r in chunk],
            layer,
            slot,
            [rows[i].pivot for i in index],
            [rows[i].neuron for i in index],
        )
        out[index] = acts.numpy()
    return out
