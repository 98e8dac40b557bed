"""The windows a unit's feeders are scored on and checked on: its train split and its test split.

The 'data' source attributes a unit's activation on the windows its graph was built from
(the builder's train split, n2g.builder.plan with the default BuildConfig); the ablation
check runs on its test split, windows the attribution never saw, so a source is not
graded on the windows it was fitted to.

Each window is cut to end at its strongest position and keep the `crop` tokens before
it: a causal model's activation there depends on nothing after it, and a short window
makes every ablation pass (one per candidate and mode) cheap, which is what lets the
check reach 64 units a layer on a CPU. The cut can change the activation where the
unit reads further back than `crop` tokens; firing positions are found again on the
cut windows, so the check measures what it runs.

How many train windows the data source uses, and the crop, set what `n2g run
--circuits` costs (its passes carry windows x crop tokens a unit): 1 window of 32
tokens, chosen by the ablation check of 1, 2, 4 and 8 windows side by side on the same
units (docs/results.md "Circuits": precision at 5 of 0.82-0.93 with 1 window against
0.89-0.94 with 8, crop 32 no worse than 48), at about a sixth of the time
(bench/circuits_budget.py, docs/performance.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from n2g.builder.config import BuildConfig
from n2g.builder.plan import plan_neuron
from n2g.record.store import LayerRecords

DEFAULT_CROP = 32
DATA_WINDOWS = 1  # train windows the data source attributes a unit on (docs/results.md)


@dataclass(frozen=True)
class UnitWindows:
    train: list[np.ndarray]
    test: list[np.ndarray]


def cut_window(tokens: np.ndarray, acts: np.ndarray, crop: int) -> np.ndarray:
    """The window cut to end at its strongest position, keeping `crop` tokens."""
    end = int(np.argmax(acts)) + 1
    return np.asarray(tokens[max(0, end - crop) : end], dtype=np.int64)


def unit_windows(
    records: LayerRecords, unit: int, *, crop: int = DEFAULT_CROP, limit: int = 8
) -> UnitWindows:
    """The unit's train and test windows (at most `limit` each), cut to `crop` tokens."""
    plan = plan_neuron(records, unit, BuildConfig())
    return UnitWindows(
        train=[cut_window(t, a, crop) for t, a in plan.train[:limit]],
        test=[cut_window(t, a, crop) for t, a in plan.test[:limit]],
    )
