"""Which earlier units feed a unit, from the graphs alone ('evidence' FEEDS edges).

The paper's closing idea: a later unit composed of earlier ones, each responding to one
concept. Its graph says which tokens it fires on (activating nodes, each with the
largest normalised activation of its paths) and which tokens before them matter
(context nodes, each with the activation of the paths through it); an earlier unit
that fires on the very tokens the later one fires on or looks back at is a candidate
part of it. No model is
run: the score reads only what the stored graphs hold.

Score of an earlier unit A for a later unit B: the cosine between A's activating tokens
(weighted by activation) and B's tokens (each token's larger weight of B's activating
activation and B's context weight). A cosine rather than a raw overlap: a unit firing on
hundreds of tokens would otherwise feed everything. It is >= 0 (the graphs hold no
sign: evidence cannot tell a feeder from an inhibitor).

All pairs at once as one sparse product (earlier units x tokens by tokens x later
units); n2g.circuits.sources keeps each later unit's top k. torch-free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from n2g.db.connection import Database
from n2g.resources import read_cypher


@dataclass(frozen=True)
class UnitTokens:
    """One unit's graph, as the evidence reads it: token text -> weight."""

    layer: int
    index: int
    activating: Mapping[str, float]
    context: Mapping[str, float]

    def reads(self) -> dict[str, float]:
        """Every token the unit fires on or looks back at, with its larger weight."""
        out = dict(self.context)
        for text, weight in self.activating.items():
            out[text] = max(weight, out.get(text, 0.0))
        return out


def stored_tokens(db: Database, model: str, layers: Sequence[int]) -> list[UnitTokens]:
    """The stored MLP neurons of `model` in `layers` with their graphs' token weights."""
    rows = db.read(
        read_cypher("queries", "feeds_unit_tokens"), {"model": model, "layers": list(layers)}
    )
    return [
        UnitTokens(
            int(row["layer"]),
            int(row["index"]),
            _weights(row["activating"]),
            _weights(row["context"]),
        )
        for row in rows
    ]


def _weights(pairs: Sequence[Mapping[str, object]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for pair in pairs:
        text, weight = str(pair["text"]), pair["weight"]
        value = float(weight) if isinstance(weight, int | float) else 1.0
        out[text] = max(value, out.get(text, 0.0))
    return out


def _matrix(rows: Sequence[Mapping[str, float]], vocab: dict[str, int]) -> sparse.csr_matrix:
    """Row-normalised sparse [len(rows), len(vocab)] of the weights."""
    data, cols, indptr = [], [], [0]
    for row in rows:
        for text, weight in row.items():
            if weight > 0:
                cols.append(vocab.setdefault(text, len(vocab)))
                data.append(weight)
        indptr.append(len(data))
    matrix = sparse.csr_matrix(
        (np.asarray(data, np.float64), np.asarray(cols, np.int64), np.asarray(indptr)),
        shape=(len(rows), max(len(vocab), 1)),
    )
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def evidence_scores(
    units: Sequence[UnitTokens], targets: Sequence[UnitTokens]
) -> tuple[np.ndarray, list[UnitTokens]]:
    """Dense [len(targets), len(sources)] cosine scores of every earlier unit of `units`
    (layers before each target's; a later or same-layer source scores 0) and the sources."""
    first = min((t.layer for t in targets), default=0)
    sources = [u for u in units if u.layer < max((t.layer for t in targets), default=first)]
    vocab: dict[str, int] = {}
    left = _matrix([u.activating for u in sources], vocab)
    right = _matrix([t.reads() for t in targets], vocab)
    width = max(len(vocab), 1)
    left.resize((left.shape[0], width))
    right.resize((right.shape[0], width))
    scores = np.asarray((right @ left.T).todense(), np.float64)
    layers = np.asarray([u.layer for u in sources])
    for row, target in enumerate(targets):
        scores[row, layers >= target.layer] = 0.0
    return scores, sources
