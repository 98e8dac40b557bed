"""The rows neuron search answers with (n2g.search.api.NeuronSearch): one typed row a unit
or a pair found, frozen, fields a query does not return left None. The service's schemas
(n2g.serve.schemas) and the Python API (n2g.api) hand them on as they are."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class TokenHit(_Row):
    """A neuron found by token search (fields not asked for stay None)."""

    key: str
    model: str
    layer: int
    index: int
    activation: float | None = None
    importance: float | None = None
    distance: int | None = None  # steps back from the activating to the context token
    f1: float | None = None
    correlation: float | None = None  # N2G's correlation score, where stored
    label: str | None = None  # the unit's one-line label (absent if loaded before labels)


class LabelHit(_Row):
    """A unit whose label holds the searched text."""

    key: str
    model: str
    layer: int
    index: int
    label: str
    f1: float | None = None


class RepeatedTokenHit(_Row):
    key: str
    model: str
    layer: int
    index: int
    n_repeated: int
    tokens: list[str]
    activation: float
    f1: float | None = None
    correlation: float | None = None
    label: str | None = None


class LikeHit(_Row):
    """A neuron like the asked one; score = min(activating, context overlap)."""

    key: str
    model: str
    layer: int
    index: int
    score: float
    activating_overlap: float
    context_overlap: float
    shared_activating: list[str]
    shared_context: list[str]


class PairHit(_Row):
    source: str
    target: str
    relation: str
    activating_overlap: float
    context_overlap: float
