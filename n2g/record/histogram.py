"""The recorder's activation histogram: every position of every unit in fixed bins.

Fixed absolute bins (n2g.graph.histogram's quarter-octaves, 2^-16 to 2^16, plus counts of
negative, zero, and positive values outside that range) because they are exact while
streaming: bins relative to a_max would need the max before the first batch, and fixed
counts simply add when a Ray worker's share or a resumed checkpoint is folded in.

A float's bin is read from its bits, not computed with a log: the bit pattern of a
float32 shifted right by 21 is its biased exponent x 4 plus its top two mantissa bits
(sign-extended for negatives), and a bfloat16's (the top half of a float32) shifted by 5
is the same number. One table lookup maps that key (2,048 values) to a column; a
bincount over (unit, column) pairs counts a batch. This module is the scheme (numpy, for
the records folder and the builder); n2g.record.topk counts with it.
"""

from __future__ import annotations

import numpy as np

from n2g.graph.histogram import ActivationHistogram

FIRST_BIN, END_BIN = -64, 64  # quarter-octave bins recorded: [2^-16, 2^16)
NEGATIVE, ZERO, BELOW = 0, 1, 2  # the columns before the bins; ABOVE is the last
FIRST_COLUMN = 3
ABOVE = FIRST_COLUMN + END_BIN - FIRST_BIN
N_COLUMNS = ABOVE + 1
KEY_OFFSET = 1024  # keys run from -1024 (sign bit set) to 1023
_ONE_KEY = 127 * 4  # the key of 1.0 (biased exponent 127), bin 0


def column_table() -> np.ndarray:
    """int64 [2048]: the column of each key + KEY_OFFSET (see the module docstring)."""
    keys = np.arange(-KEY_OFFSET, KEY_OFFSET)
    table = np.full(keys.shape, NEGATIVE, dtype=np.int64)
    table[keys <= -KEY_OFFSET + 3] = ZERO  # -0.0 and negative subnormals
    table[(keys >= 0) & (keys < 4)] = ZERO  # +0.0 and positive subnormals
    table[keys >= 4] = BELOW
    bins = keys - _ONE_KEY
    inside = (bins >= FIRST_BIN) & (bins < END_BIN)
    table[inside] = FIRST_COLUMN + bins[inside] - FIRST_BIN
    table[bins >= END_BIN] = ABOVE  # and inf, NaN
    return table


def to_graph(row: np.ndarray) -> ActivationHistogram:
    """A unit's recorded columns as the graph carries them: the bins from the first to the
    last that holds a position."""
    row = np.asarray(row, dtype=np.int64)
    bins = row[FIRST_COLUMN:ABOVE]
    held = np.flatnonzero(bins)
    start, stop = (int(held[0]), int(held[-1]) + 1) if len(held) else (0, 0)
    return ActivationHistogram(
        positions=int(row.sum()),
        negative=int(row[NEGATIVE]),
        zero=int(row[ZERO]),
        below=int(row[BELOW]),
        above=int(row[ABOVE]),
        first_bin=FIRST_BIN + start,
        counts=[int(c) for c in bins[start:stop]],
    )
