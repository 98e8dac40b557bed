"""The graph's activation histogram: its bins' edges, and the reference bin of a value."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from n2g.graph.histogram import ActivationHistogram, bin_edge, bin_of


@pytest.mark.parametrize("q", [-70, -9, -4, -1, 0, 1, 3, 4, 5, 63])
def test_a_bins_edges_hold_exactly_its_values(q: int) -> None:
    low, high = bin_edge(q), bin_edge(q + 1)
    assert low < high and high / low <= 1.25
    assert bin_of(low) == q and bin_of(high) == q + 1
    assert bin_of((low + high) / 2) == q and bin_of(high * (1 - 1e-12)) == q


def test_edges_follow_the_counts_and_the_positions_add_up() -> None:
    hist = ActivationHistogram(
        positions=10, negative=2, zero=3, below=1, above=0, first_bin=-1, counts=[3, 0, 1]
    )
    assert hist.edges() == [0.875, 1.0, 1.25, 1.5]
    assert hist.positive == 5
    with pytest.raises(ValidationError, match="sum to 9, not positions 10"):
        ActivationHistogram(positions=10, negative=2, zero=3, counts=[4])
    with pytest.raises(ValidationError):
        ActivationHistogram(positions=1, negative=2, zero=-1)
