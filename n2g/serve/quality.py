"""The models' quality table of the home page and /api/models, from one aggregate query.

queries/model_quality.cypher returns one row per model, unit set, layer and scoring
method; this folds them into one LayerQuality per layer with every method's mean side by
side (the paper's comparison of N2G with its baselines), and the layers into models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from n2g.scoring import methods
from n2g.serve.schemas import LayerQuality, MethodMeans, ModelsResponse, ModelSummary


def _means(rows: Sequence[dict[str, Any]], column: str) -> MethodMeans:
    stored = {row["method"]: row[column] for row in rows}
    return {method: stored.get(method) for method in methods()}


def models_from_rows(rows: Sequence[dict[str, Any]]) -> ModelsResponse:
    """The rows of queries/model_quality.cypher (one per model, unit set, layer and scoring
    method) as models."""
    per_layer: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for row in rows:
        per_layer.setdefault((row["model"], row["unit_set"], int(row["layer"])), []).append(row)
    quality: dict[str, list[LayerQuality]] = {}
    for (model, unit_set, layer), layer_rows in per_layer.items():
        first = layer_rows[0]
        quality.setdefault(model, []).append(
            LayerQuality(
                layer=layer,
                unit_set=unit_set or None,
                units=int(first["units"]),
                scored=int(first["scored"]),
                f1=_means(layer_rows, "f1"),
                correlated=int(first["correlated"]),
                correlation=_means(layer_rows, "correlation"),
                ood_checked=int(first["ood_checked"]),
                ood_false_positive_rate=_means(layer_rows, "ood_fpr"),
            )
        )
    return ModelsResponse(
        models=[
            ModelSummary(
                name=name,
                units=sum(q.units for q in rows_),
                layers=sorted({q.layer for q in rows_ if q.unit_set is None}),
                unit_sets=sorted({q.unit_set for q in rows_ if q.unit_set is not None}),
                quality=rows_,
            )
            for name, rows_ in sorted(quality.items())
        ]
    )
