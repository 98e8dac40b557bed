"""The JSON API's response models: what /openapi.json promises each endpoint returns.

The search rows (TokenHit, LikeHit, GroupHit, ...) and the graph itself (NeuronGraph) are
the models the Python API already returns; these wrap them with what a page needs beside
them (the query asked, a unit's stored neighbours and groups, per-layer quality means).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from n2g.graph.model import NeuronGraph
from n2g.search.grouping import GroupHit
from n2g.search.hits import LikeHit, RepeatedTokenHit, TokenHit
from n2g.search.output_tokens import OutputHit
from n2g.search.splits import SplitResult
from n2g.search.text_match import TextMatch


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorResponse(_Response):
    """Every error: one line saying what went wrong (no traceback)."""

    error: str


# One mean per method, keyed by its name: N2G's graph ("n2g") and each scoring method of
# n2g.scoring ("token_lookup", "ngram", ...), every one listed; None: nothing stored.
MethodMeans = dict[str, float | None]


class LayerQuality(_Response):
    """The units of one layer of a model (or of one unit set on it) and their mean scores."""

    layer: int
    unit_set: str | None = Field(
        None,
        description="the unit set: an SAE's (sae:NAME) or transcoder's (tc:NAME) name; "
        "None: the layer's MLP neurons",
    )
    units: int
    scored: int = Field(description="units whose F1 is defined (some test token fired)")
    f1: MethodMeans = Field(description="mean F1 of the firing class over the scored units")
    correlated: int = Field(description="units with a stored correlation score")
    correlation: MethodMeans = Field(description="mean Pearson r (OpenAI's correlation score)")
    ood_checked: int = Field(description="units checked on out-of-distribution text")
    ood_false_positive_rate: MethodMeans = Field(
        description="mean false-positive rate on out-of-distribution windows"
    )


class ModelSummary(_Response):
    name: str
    units: int
    layers: list[int]
    unit_sets: list[str] = Field(
        description="its unit sets beside the MLP neurons: SAEs and transcoders (sae:, tc:)"
    )
    quality: list[LayerQuality]


class ModelsResponse(_Response):
    models: list[ModelSummary]


NeighbourRelation = Literal["similar_to", "subset_of", "superset_of"]


class Neighbour(_Response):
    """A stored similarity edge of a unit, read from the unit's side: `subset_of` means
    this unit's token sets lie inside the other's, `superset_of` the reverse."""

    key: str
    relation: NeighbourRelation
    activating_overlap: float
    context_overlap: float

    @property
    def score(self) -> float:
        return min(self.activating_overlap, self.context_overlap)


class UnitGroup(_Response):
    """A group the unit is a member of: level 0, the paper's (a connected component of
    SIMILAR_TO); levels 1.., the communities of the similarity graph, finest first."""

    key: str
    model: str
    level: int = 0
    size: int
    layers: list[int]
    threshold: float
    resolution: float | None = None
    label: str | None = None
    parent: str | None = None
    coactivation: float | None = Field(
        None, description="mean r of member pairs' true activations on random windows"
    )
    members: list[str] = Field(description="members in key order (the first ones, see size)")


class SimilarityRun(_Response):
    """The last `n2g similar` run recorded on a model: similar units are those whose
    activating and context token overlaps both reach `threshold`."""

    threshold: float
    level: float | None = Field(None, description="tokens counted from this level")
    scope: str | None = Field(None, description="the models compared together, joined by +")


class UnitResponse(_Response):
    """A unit's whole graph (trie, scores, settings, evidence) and its stored relations."""

    key: str
    label: str = Field(description="the unit's one-line label, read off its graph")
    graph: NeuronGraph
    neighbours: list[Neighbour]
    groups: list[UnitGroup]
    similarity_run: SimilarityRun | None = Field(
        None,
        description="the similarity run recorded on the unit's model (None: no `n2g similar` "
        "run recorded for it, so no neighbours were computed)",
    )


class SearchResponse(_Response):
    """Token search (`hits` are TokenHit rows) or repeated tokens (RepeatedTokenHit rows)."""

    token: str | None
    context: str | None
    model: str | None
    layer: int | None
    repeated: bool
    limit: int
    level: float = Field(description="tokens counted from this level (0.5: firing)")
    hits: list[TokenHit] | list[RepeatedTokenHit]
    skip: int = Field(0, description="units passed over before these (earlier pages)")
    total: int = Field(description="units matching in all, on every page")

    @property
    def more(self) -> int:
        """Units matching after this page."""
        return max(0, self.total - self.skip - len(self.hits))


class OutputSearchResponse(_Response):
    """Units whose write direction promotes (or, `suppressed`, suppresses) `token` most."""

    token: str
    suppressed: bool
    model: str | None
    layer: int | None
    limit: int
    hits: list[OutputHit]


class LikeResponse(_Response):
    """Units like a given unit (`hits`), or units whose graphs fire on a text (`text_match`)."""

    key: str | None = None
    text: str | None = None
    model: str | None = None
    min_score: float | None = None
    level: float | None = Field(None, description="with key: tokens counted from this level")
    hits: list[LikeHit] = Field(default_factory=list)
    text_match: TextMatch | None = None


class GroupWithTokens(GroupHit):
    """A group with the tokens every member shares (the first ones, in text order)."""


class GroupsResponse(_Response):
    model: str | None
    group_level: int = Field(description="0: the paper's components; 1..: communities")
    parent: str | None = Field(description="only the groups inside this one")
    min_size: int
    limit: int
    token_level: float = Field(description="shared tokens counted from this level")
    groups: list[GroupWithTokens]


class SplitResponse(SplitResult):
    """A unit against the other unit sets of its layer: for a neuron, the latents inside it
    (`inside`: containment ≥ min_inside; what it splits into) first, then those
    overlapping it most; for a latent, the neurons it lies inside."""
