"""Neurons against the SAE and transcoder latents of their layer: which latents a neuron
splits into, and which neurons a latent lies inside.

The paper leaves open whether a polysemantic neuron is several features in superposition;
a dictionary's latents are meant to be those features. N2G explains both kinds of unit
with the same token sets, so the question can be asked of the graphs themselves: the
latents whose activating tokens lie mostly inside a neuron's (containment of the latent in
the neuron ≥ `min_inside`) are what the neuron splits into, and the latents overlapping it
most (the paper's |A∩B| / max) are its nearest single counterparts. Activating tokens
alone decide "inside": a latent that covers part of a neuron's tokens fires in part of
its contexts, so its context set need not lie inside the neuron's; the context overlap
is reported beside it (queries/unit_splits.cypher holds the definitions).

The layer's unit sets are read first (one aggregate, queries/layer_unit_sets.cypher):
they name what is compared (`against`) and tell a unit set the layer lacks
(UnitSetMissing, a 404 in the service) from one whose units share no token (an empty
answer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from n2g.errors import N2GError
from n2g.graph.key import UNIT_SET_PREFIXES, parse_neuron_key
from n2g.graph.levels import FIRING_LEVEL, check_level
from n2g.search.bounds import check_limit

# The store (and the database driver) is imported by the query alone: `n2g report` reads
# MIN_INSIDE here to count splits on graph files, with no database.
if TYPE_CHECKING:
    from n2g.db.connection import Database

MIN_INSIDE = 0.8  # a latent lies inside a neuron when ≥ 80% of its activating tokens do
MLP = "MLP neurons"


class UnitSetMissing(N2GError):
    """The unit's layer holds no graph of the unit set asked for (or of the other kind)."""


class SplitHit(BaseModel):
    """A unit of another unit set on the asked unit's layer that shares an activating token
    with it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    key: str
    model: str
    layer: int
    index: int
    unit_set: str | None = Field(description="its unit set (sae:NAME, tc:NAME; None: neuron)")
    f1: float | None = None
    activating_overlap: float = Field(description="|A∩B| / max(|A|, |B|), activating tokens")
    context_overlap: float = Field(description="the same on context tokens (both empty: 1.0)")
    containment: float = Field(
        description="the share of the latent's activating tokens that are the neuron's"
    )
    inside: bool = Field(description="containment ≥ min_inside: the latent lies inside")
    shared_activating: list[str]
    shared_context: list[str]


class SplitResult(BaseModel):
    """A unit against the units of other unit sets of its layer, inside ones first."""

    model_config = ConfigDict(frozen=True)

    key: str
    model: str
    layer: int
    unit_set: str | None = Field(description="the asked unit's own unit set (None: a neuron)")
    against: list[str | None] = Field(description="the unit sets compared (None: MLP neurons)")
    level: float = Field(description="tokens counted from this level (0.5: firing)")
    min_inside: float
    hits: list[SplitHit]

    @property
    def inside(self) -> list[SplitHit]:
        """The latents inside the neuron (for a latent: the units it lies inside)."""
        return [hit for hit in self.hits if hit.inside]


def set_name(unit_set: str | None) -> str:
    """A unit set as people read it: its name, or "MLP neurons"."""
    return unit_set if unit_set else MLP


def check_unit_set(unit_set: str | None, own: str | None, key: str) -> None:
    """N2GError unless `unit_set` is None or another unit set's name (sae:NAME, tc:NAME)."""
    if unit_set is None:
        return
    prefix = next((p for p in UNIT_SET_PREFIXES if unit_set.startswith(p)), None)
    if prefix is None or len(unit_set) == len(prefix) or "/" in unit_set:
        raise N2GError(f"unit set {unit_set!r} is not sae:NAME or tc:NAME, e.g. sae:L3-mlp-8x")
    if unit_set == own:
        raise N2GError(
            f"{key!r} is a unit of {unit_set} itself: name another unit set, or none to "
            "compare it with the layer's MLP neurons"
        )


def _against(stored: list[str], own: str | None, unit_set: str | None) -> list[str]:
    """The stored unit sets ('' = neurons) compared: `unit_set`, else the other kind's."""
    if unit_set is not None:
        return [s for s in stored if s == unit_set]
    neurons_wanted = own is not None  # a latent is compared with the neurons
    return [s for s in stored if (s == "") == neurons_wanted]


def _missing(
    model: str, layer: int, own: str | None, unit_set: str | None, stored: list[str]
) -> UnitSetMissing:
    there = ", ".join(set_name(s or None) for s in stored)
    where = f"model {model!r} has no graphs of {{}} in layer {layer} (unit sets there: {there})"
    if unit_set is not None:
        return UnitSetMissing(where.format(unit_set))
    if own is None:
        return UnitSetMissing(
            where.format("SAE or transcoder latents")
            + ": explain some with `n2g run --sae NAME` or `--transcoder NAME`"
        )
    return UnitSetMissing(where.format(MLP))


def unit_splits(
    db: Database,
    key: str,
    *,
    unit_set: str | None = None,
    min_inside: float = MIN_INSIDE,
    limit: int = 25,
    level: float = FIRING_LEVEL,
) -> SplitResult:
    """Unit `key` against the units of `unit_set` on its layer (None: a neuron against
    every SAE's and transcoder's latents, a latent against the MLP neurons).

    N2GError for a bad key, unit set, limit, level or min_inside; UnitSetMissing when the
    layer holds none of the units to compare with. The caller checks `key` is stored."""
    own = parse_neuron_key(key).unit_set
    check_unit_set(unit_set, own, key)
    check_limit(limit)
    check_level(level)
    if not 0.0 <= min_inside <= 1.0:  # NaN too
        raise N2GError(f"min inside must be between 0 and 1, got {min_inside}")
    from n2g.search import store

    rows = store.layer_unit_sets(db, key)
    if not rows:
        raise N2GError(f"no neuron {key!r} in the database (check the model, layer and index)")
    model, layer = str(rows[0]["model"]), int(rows[0]["layer"])
    stored = [str(row["unit_set"]) for row in rows]
    against = _against(stored, own, unit_set)
    if not against:
        raise _missing(model, layer, own, unit_set, stored)
    hits = store.split_hits(
        db, key, unit_set=unit_set, min_inside=min_inside, limit=limit, level=level
    )
    return SplitResult(
        key=key,
        model=model,
        layer=layer,
        unit_set=own,
        against=[s or None for s in against],
        level=level,
        min_inside=min_inside,
        hits=[SplitHit.model_validate(row) for row in hits],
    )
