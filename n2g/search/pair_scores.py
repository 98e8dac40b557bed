"""Every pair of units scoring at least a floor, found with sparse matrix products.

The communities (n2g.search.communities) need every pair whose score, the smaller of its
activating and context overlaps (|A∩B| / max(|A|, |B|), n2g.search.similarity), reaches a
low floor such as 0.3. The set-similarity join finds them exactly, but at a low floor a
prefix is most of a set and its per-candidate Python loop takes minutes on a whole model.

Here the same prefix filter runs as a product of two sparse 0/1 matrices (units × tokens,
each unit's prefix of its rarest tokens): the nonzeros of P·Pᵀ above the diagonal are the
pairs whose prefixes meet; a pair must meet on both its activating and its context
prefixes (the product of the two masks), a block of rows at a time so memory stays
bounded. Each candidate is then verified exactly from the full incidence
matrices (the intersection sizes as a row-wise product), with the same float arithmetic
as the join, so the result equals `similarity_join(..., subsets=False)` pair for pair (a
test checks it). An empty context set is given one private sentinel token, which
reproduces the join's convention: two empty context sets overlap 1.0, an empty and a
non-empty one 0.0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from n2g.search.similarity import NeuronTokenSets, prefix_length

ROW_BLOCK = 2048  # units whose candidates are found at once (memory: block × their partners)
_EMPTY = "\x00empty-context"  # the sentinel token of an empty context set (no token has it)


@dataclass(frozen=True, slots=True)
class WeightedEdges:
    """The similarity graph: unit keys and, per edge, two indices into them and a weight."""

    keys: list[str]
    sources: np.ndarray  # int64, source < target
    targets: np.ndarray  # int64
    activating: np.ndarray  # float64 activating overlap
    context: np.ndarray  # float64 context overlap

    @property
    def weights(self) -> np.ndarray:
        """A pair's score: the smaller overlap (SIMILAR_TO at t exactly when ≥ t)."""
        return np.minimum(self.activating, self.context)

    def strengths(self) -> np.ndarray:
        out = np.zeros(len(self.keys), dtype=np.float64)
        np.add.at(out, self.sources, self.weights)
        np.add.at(out, self.targets, self.weights)
        return out


class _Incidence:
    """Units × tokens 0/1 matrices of one kind of set: whole sets and their prefixes."""

    def __init__(self, sets: Sequence[frozenset[str]], floor: float) -> None:
        frequency = Counter(token for s in sets for token in s)
        order = sorted(frequency, key=lambda tok: (frequency[tok], tok))  # rarest first
        rank = {tok: r for r, tok in enumerate(order)}
        ranked = [sorted(rank[tok] for tok in s) for s in sets]
        self.sizes = np.array([len(r) for r in ranked], dtype=np.float64)
        self.full = _matrix(ranked, len(order))
        self.prefix = _matrix([r[: prefix_length(len(r), floor)] for r in ranked], len(order))


def _matrix(rows: Sequence[Sequence[int]], columns: int) -> sparse.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.fromiter((c for r in rows for c in r), dtype=np.int64, count=int(indptr[-1]))
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), max(columns, 1)))


def _intersections(matrix: sparse.csr_matrix, rows: np.ndarray, partners: np.ndarray) -> np.ndarray:
    """|set(rows[k]) ∩ set(partners[k])| for every k."""
    if not len(rows):
        return np.zeros(0, dtype=np.float64)
    product = matrix[rows].multiply(matrix[partners])
    return np.asarray(product.sum(axis=1), dtype=np.float64).ravel()


def _overlaps(kind: _Incidence, rows: np.ndarray, partners: np.ndarray) -> np.ndarray:
    shared = _intersections(kind.full, rows, partners)
    return shared / np.maximum(kind.sizes[rows], kind.sizes[partners])


def scored_pairs(
    sets: Sequence[NeuronTokenSets],
    floor: float,
    progress: Callable[[int], None] | None = None,
) -> WeightedEdges:
    """Every pair of units (with activating tokens) whose smaller overlap is ≥ `floor`
    (> 0), in key order; `progress(n)` as units are processed."""
    if not 0.0 < floor <= 1.0:
        raise ValueError(f"floor must lie in (0, 1], not {floor}")
    items = sorted((s for s in sets if s.activating), key=lambda s: s.key)
    keys = [s.key for s in items]
    act = _Incidence([s.activating for s in items], floor)
    ctx = _Incidence([s.context or frozenset({_EMPTY}) for s in items], floor)
    found: list[tuple[np.ndarray, ...]] = []
    for start in range(0, len(items), ROW_BLOCK):
        block = slice(start, min(start + ROW_BLOCK, len(items)))
        # partners from `start` on; both prefixes must meet (n2g.search.similarity)
        meets = (act.prefix[block] @ act.prefix[start:].T).multiply(
            ctx.prefix[block] @ ctx.prefix[start:].T
        )
        local, offset = sparse.triu(meets.tocoo(), k=1).nonzero()  # partner after the row
        rows = local.astype(np.int64) + start
        partners = offset.astype(np.int64) + start
        act_overlap = _overlaps(act, rows, partners)
        keep = act_overlap >= floor
        rows, partners, act_overlap = rows[keep], partners[keep], act_overlap[keep]
        ctx_overlap = _overlaps(ctx, rows, partners)
        keep = ctx_overlap >= floor
        found.append((rows[keep], partners[keep], act_overlap[keep], ctx_overlap[keep]))
        if progress is not None:
            progress(block.stop - block.start)
    columns = [np.concatenate(parts) for parts in zip(*found, strict=True)] if found else []
    if not columns:
        empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return WeightedEdges(keys, empty_i, empty_i, empty_f, empty_f)
    order = np.lexsort((columns[1], columns[0]))
    return WeightedEdges(keys, *(c[order] for c in columns))
