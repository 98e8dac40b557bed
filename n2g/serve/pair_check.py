"""The compare page's check against the model: how pairs like this one co-activate.

The main job measures whether units N2G relates behave alike in the model (the Pearson r
of their true activations, per category of pairs: similar at each threshold, subset,
random; n2g.run.coactivation) and stores the figures on the model. The service has no
model loaded, so for two units compared it places the pair in its category, the highest
threshold at which the graphs call it similar (on the token sets the similarity join
compares, n2g.report.groups), and shows that category's figures beside random pairs'.
"""

from __future__ import annotations

import json
from typing import Any

from n2g.graph.model import NeuronGraph
from n2g.report.coactivation import RANDOM_CATEGORY
from n2g.report.groups import graph_token_sets
from n2g.search.similarity import overlap


def pair_category(a: NeuronGraph, b: NeuronGraph, thresholds: list[float]) -> str | None:
    """`similar@T` for the highest T at which both overlaps reach T; None below all."""
    first, second = graph_token_sets([a, b])
    if not first.activating & second.activating:
        return None
    score = min(
        overlap(first.activating, second.activating), overlap(first.context, second.context)
    )
    passed = [t for t in thresholds if score >= t]
    return f"similar@{max(passed):g}" if passed else None


def pair_check(a: NeuronGraph, b: NeuronGraph, summary: str | None) -> dict[str, Any] | None:
    """What the compare page says (None: nothing measured, or units of two models)."""
    if summary is None or a.model != b.model:
        return None
    data = json.loads(summary)
    category = pair_category(a, b, list(data.get("thresholds", [])))
    rows = {row["category"]: row for row in data.get("random_windows", [])}
    top = {row["category"]: row for row in data.get("top_windows", [])}
    return {
        "category": category,
        "windows": data.get("windows"),
        "row": rows.get(category) if category else None,
        "top": top.get(category) if category else None,
        "random": rows.get(RANDOM_CATEGORY),
        "random_top": top.get(RANDOM_CATEGORY),
    }
