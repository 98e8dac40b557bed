"""Units by what they do, their output side: "units that promote ` import`".

Neuronpedia lists under every latent the tokens its write direction promotes and
suppresses; researchers then ask the reverse, which units push a given token. The build
keeps each unit's k strongest tokens each way (n2g.models.logit_lens) and the ingest
stores them on its (:Neuron) as flat lists (`promotes`, `promote_logits`, `suppresses`,
...: n2g.db.mapping), so the question is one scan of the units, answered by
queries/output_token_units.cypher; a unit is found only where the token is among its k.
Tokens are matched exactly, as token search matches them (the lossless text of
n2g.graph.token_text, leading space included).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from n2g.db.connection import Database
from n2g.errors import N2GError
from n2g.resources import read_cypher
from n2g.search.bounds import check_layer, check_limit


class OutputHit(BaseModel):
    """A unit whose write direction promotes (or suppresses) the searched token."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    key: str
    model: str
    layer: int
    index: int
    rank: int = Field(description="the token's place among the unit's output tokens (0: first)")
    logit: float = Field(description="the token's direct logit effect per unit of activation")
    label: str | None = None
    f1: float | None = None


def output_token_units(
    db: Database,
    token: str,
    *,
    suppressed: bool = False,
    model: str | None = None,
    layer: int | None = None,
    limit: int = 25,
) -> list[OutputHit]:
    """The units whose stored output tokens promote `token` (suppress it, with
    `suppressed`), the strongest effect first, ties by key; N2GError for bad input."""
    if token == "":
        raise N2GError("the output token is empty: give the exact token text, e.g. ' import'")
    check_layer(layer)
    check_limit(limit)
    params = {"token": token, "suppressed": suppressed, "model": model, "layer": layer}
    rows = db.read(read_cypher("queries", "output_token_units"), params | {"limit": limit})
    return [OutputHit.model_validate(row) for row in rows]
