"""The best or worst units by a stored score (`n2g top`), with what they fire on.

A researcher's first question of a store is often "which units does N2G explain well in
layer 2, and what are they about?", or the reverse. The scores are those the ingest stored
on each (:Neuron) (n2g.db.score_properties.SCORE_PROPERTIES); a unit whose score is undefined (no
firing test token) is left out rather than ranked as 0.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from n2g.db.connection import Database
from n2g.db.score_properties import SCORE_PROPERTIES
from n2g.errors import N2GError
from n2g.resources import read_cypher

TOKENS_SHOWN = 5  # a unit's strongest activating tokens listed beside its score


class RankedUnit(BaseModel):
    """One unit of a ranking: its score, its F1 and its strongest activating tokens."""

    model_config = ConfigDict(frozen=True)

    key: str
    model: str
    layer: int
    index: int
    score: float
    f1: float | None = None
    n_activating_tokens: int | None = None
    label: str | None = None  # absent on units loaded before labels were stored
    tokens: list[str]


def check_score(score: str) -> None:
    if score not in SCORE_PROPERTIES:
        raise N2GError(f"unknown score {score!r} (scores: {', '.join(SCORE_PROPERTIES)})")


def top_units(
    db: Database,
    score: str,
    *,
    model: str | None = None,
    layer: int | None = None,
    worst: bool = False,
    limit: int = 25,
) -> list[RankedUnit]:
    """The `limit` units with the highest `score` (the lowest with `worst`), of `model` and
    `layer` when given, ties by key."""
    check_score(score)
    params = {"score": score, "model": model, "layer": layer, "order": -1 if worst else 1}
    rows = db.read(read_cypher("queries", "top_units"), params | {"limit": limit})
    return [
        RankedUnit(
            **{name: value for name, value in row.items() if name != "tokens"},
            tokens=[text for _, text in sorted(row["tokens"], key=lambda t: (-t[0], t[1]))][
                :TOKENS_SHOWN
            ],
        )
        for row in rows
    ]
