"""The check's table: per layer, per edge source, per ablation mode, the figures averaged
over the checked units (n2g.circuits.check.summary), as `n2g feeds --ablate` prints it
and docs/results.md shows it. torch-free."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from n2g.circuits.check import UnitCheck, summary
from n2g.circuits.measure import UnitMeasure
from n2g.models.ablation import MODES


def layer_table(measures: Sequence[UnitMeasure]) -> dict[str, object]:
    """layer (as text, JSON's keys) -> source -> mode -> summary figures."""
    grouped: dict[int, dict[str, dict[str, list[UnitCheck]]]] = defaultdict(
        lambda: defaultdict(lambda: {mode: [] for mode in MODES})
    )
    for measure in measures:
        for source, by_mode in measure.checks.items():
            for mode, check in by_mode.items():
                grouped[measure.layer][source][mode].append(check)
    return {
        str(layer): {
            source: {mode: summary(checks) for mode, checks in by_mode.items()}
            for source, by_mode in sorted(sources.items())
        }
        for layer, sources in sorted(grouped.items())
    }
