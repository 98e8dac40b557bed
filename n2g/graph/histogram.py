"""A unit's activation histogram over the corpus: every token position recorded, binned.

Every viewer of the field shows one beside a unit's top examples: the top examples alone
do not say whether a unit fires on one token in a million or on half the corpus. The
recorder counts every position it sees (n2g.record.histogram) into fixed absolute bins,
quarter-octaves of the activation, because bins relative to the unit's a_max cannot be
filled exactly while streaming (the max is known only at the end) and fixed bins add
exactly under merging shards and resuming. The graph carries those exact counts, not a
re-binning: re-binning quarter-octaves into linear bins of activation / a_max would split
bins by guesswork. The page draws them on a log axis (n2g.serve.histogram).

Bin q (an integer, any sign) holds the positive activations in
[edge(q), edge(q + 1)), edge(q) = 2^(q div 4) x (1 + (q mod 4) / 4): four bins an octave,
linear within it (the top two mantissa bits of a float, so the recorder needs no log).
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field, model_validator

from n2g.graph.evaluation import StrictModel

BINS_PER_OCTAVE = 4
Count = Annotated[int, Field(ge=0)]


def bin_edge(q: int) -> float:
    """The lower edge of quarter-octave bin `q` (see the module docstring)."""
    octave, step = divmod(q, BINS_PER_OCTAVE)
    return 2.0**octave * (1 + step / BINS_PER_OCTAVE)


def bin_of(value: float) -> int:
    """The quarter-octave bin holding a positive `value` (the reference of the recorder's
    bit arithmetic)."""
    mantissa, exponent = math.frexp(value)  # value = mantissa x 2^exponent, 0.5 <= m < 1
    octave = exponent - 1
    return octave * BINS_PER_OCTAVE + int((mantissa * 2 - 1) * BINS_PER_OCTAVE)


class ActivationHistogram(StrictModel):
    """Every token position of the corpus the unit was recorded on, by its activation:
    `counts[i]` in quarter-octave bin `first_bin + i` (n2g.graph.histogram), the rest in
    `negative`, `zero` (|a| below 2^-126, the smallest normal float: exactly 0 in practice),
    `below` and `above` (positive, outside the recorder's bins). They sum to `positions`."""

    positions: Count = Field(description="token positions recorded (windows x window)")
    negative: Count = Field(description="positions where the unit is negative")
    zero: Count = Field(description="positions where the unit is 0")
    below: Count = Field(0, description="positive positions under the first bin")
    above: Count = Field(0, description="positive positions over the last bin")
    first_bin: int = Field(0, description="the quarter-octave bin of counts[0]")
    counts: list[Count] = Field(default_factory=list)

    @model_validator(mode="after")
    def _adds_up(self) -> ActivationHistogram:
        total = self.negative + self.zero + self.below + self.above + sum(self.counts)
        if total != self.positions:
            raise ValueError(f"histogram counts sum to {total}, not positions {self.positions}")
        return self

    @property
    def positive(self) -> int:
        return self.positions - self.negative - self.zero

    def edges(self) -> list[float]:
        """The bins' edges, len(counts) + 1 of them, ascending."""
        return [bin_edge(self.first_bin + i) for i in range(len(self.counts) + 1)]
