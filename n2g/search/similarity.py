"""All-pairs neuron similarity (paper §4.2) as a set-similarity join with prefix filtering.

Definitions (the same in the join, the brute-force reference, and the Cypher):

- overlap(A, B) = |A∩B| / max(|A|, |B|); containment(A in B) = |A∩B| / |A|, which is the
  paper's "subset" score |A∩B| / min(|A|, |B|) taken in the direction of containment.
- Neurons are compared on two sets each: activating tokens and context tokens.
- SIMILAR_TO(a, b): overlap ≥ t on both sets. Stored once, from the smaller key.
- SUBSET_OF(a → b): containment(a in b) ≥ t on both sets, and a, b are not SIMILAR_TO
  (similar pairs are mutual subsets; storing both would only repeat them).
- Empty sets. A neuron without activating tokens explains nothing and is in no pair. Two
  empty context sets count as identical (overlap and containment 1.0: both fire on the
  token alone); an empty and a non-empty context set score 0.0 (one needs context, the
  other does not). Every related pair shares at least one activating token, so at
  threshold 0 only pairs sharing an activating token are related.

Why prefix filtering works: sort each set by global token rarity (rarest first). If
|A∩B| ≥ t·|A| then B holds one of A's first |A| − ⌈t·|A|⌉ + 1 tokens. For SIMILAR_TO both
sets' prefixes must meet, so only prefixes are indexed; for SUBSET_OF A's prefix probes an
index of whole sets. Rare tokens have short posting lists, so candidates are few, and
each candidate is verified exactly: the result equals the brute-force computation.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from n2g.graph.levels import FIRING_LEVEL

SIMILAR = "SIMILAR_TO"
SUBSET = "SUBSET_OF"
_PROGRESS_EVERY = 1024  # report in chunks: a bar update per neuron would cost more than the join


class Relation(StrEnum):
    SIMILAR_TO = SIMILAR
    SUBSET_OF = SUBSET


class SimilarityConfig(BaseModel):
    """Settings of one similarity computation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(
        0.9, ge=0.0, le=1.0, description="minimum overlap of both token sets, in [0, 1]"
    )
    subsets: bool = Field(True, description="also compute SUBSET_OF pairs")
    level: float = Field(
        FIRING_LEVEL, ge=0.0, le=1.0, description="tokens count from this level (n2g.graph.levels)"
    )


@dataclass(frozen=True, slots=True)
class NeuronTokenSets:
    """The two token sets a neuron is compared on."""

    key: str
    layer: int
    activating: frozenset[str]
    context: frozenset[str]


@dataclass(frozen=True, slots=True)
class SimilarPair:
    """One related pair; for SUBSET_OF, `source`'s sets lie inside `target`'s."""

    source: str
    target: str
    relation: Relation
    activating_overlap: float
    context_overlap: float

    def as_row(self) -> dict[str, object]:
        return {
            "source": self.source,
            "target": self.target,
            "activating_overlap": self.activating_overlap,
            "context_overlap": self.context_overlap,
        }


def overlap(a: frozenset | set, b: frozenset | set) -> float:
    """|A∩B| / max(|A|, |B|); two empty sets → 1.0, one empty set → 0.0."""
    if not a and not b:
        return 1.0
    return len(a & b) / max(len(a), len(b)) if a and b else 0.0


def containment(a: frozenset | set, b: frozenset | set) -> float:
    """|A∩B| / |A| (share of A inside B); two empty sets → 1.0, one empty set → 0.0."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a) if a and b else 0.0


def sort_pairs(pairs: Iterable[SimilarPair]) -> list[SimilarPair]:
    return sorted(pairs, key=lambda p: (p.relation.value, p.source, p.target))


def prefix_length(size: int, threshold: float) -> int:
    """How many of a set's rarest tokens any set holding ≥ threshold of it must meet."""
    if threshold <= 0.0:
        return size
    # The small epsilon keeps t·n = 9.000000001 from shortening the prefix (never unsafe).
    return min(size, size - math.ceil(threshold * size - 1e-9) + 1)


class _RankedSets:
    """Each neuron's tokens as integer ranks, rarest first (ties broken by text)."""

    def __init__(self, sets: Sequence[frozenset[str]]) -> None:
        frequency = Counter(token for s in sets for token in s)
        order = sorted(frequency, key=lambda tok: (frequency[tok], tok))
        rank = {tok: r for r, tok in enumerate(order)}
        self.ranked: list[list[int]] = [sorted(rank[tok] for tok in s) for s in sets]

    def prefix(self, i: int, threshold: float) -> list[int]:
        ranks = self.ranked[i]
        return ranks[: prefix_length(len(ranks), threshold)]

    def index(self, threshold: float | None) -> dict[int, list[int]]:
        """Token rank → neurons holding it in their prefix (whole set when threshold=None)."""
        postings: dict[int, list[int]] = defaultdict(list)
        for i, ranks in enumerate(self.ranked):
            for r in ranks if threshold is None else self.prefix(i, threshold):
                postings[r].append(i)
        return postings


def _candidates(
    probe: list[int], postings: dict[int, list[int]], extra_filter: set[int] | None
) -> set[int]:
    found: set[int] = set()
    for r in probe:
        found.update(postings.get(r, ()))
    return found if extra_filter is None else found & extra_filter


def similarity_join(
    neurons: Sequence[NeuronTokenSets],
    config: SimilarityConfig | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[SimilarPair]:
    """All related pairs, found by prefix filtering; equal to `brute_force_pairs`.

    `progress(n)` is called as neurons are processed (for a progress bar); the total is
    the number of neurons with at least one activating token.
    """
    config = config or SimilarityConfig()
    t = config.threshold
    items = [n for n in neurons if n.activating]  # empty graphs are in no pair
    act = _RankedSets([n.activating for n in items])
    ctx = _RankedSets([n.context for n in items])
    empty_context = {i for i, n in enumerate(items) if not n.context}
    act_prefixes, ctx_prefixes = act.index(t), ctx.index(t)
    act_full = act.index(None) if config.subsets else {}
    ctx_full = ctx.index(None) if config.subsets else {}

    def context_filter(i: int, postings: dict[int, list[int]]) -> set[int] | None:
        if t <= 0.0:  # any context overlap passes: no filter
            return None
        if i in empty_context:  # only another empty context scores above 0
            return empty_context
        return _candidates(ctx.prefix(i, t), postings, None)

    pairs: list[SimilarPair] = []
    similar_keys: set[tuple[int, int]] = set()
    for i, a in enumerate(items):
        probe = act.prefix(i, t)
        for j in _candidates(probe, act_prefixes, context_filter(i, ctx_prefixes)):
            if j <= i:
                continue  # each unordered pair once
            b = items[j]
            sizes = len(a.activating), len(b.activating)
            if min(sizes) < t * max(sizes) - 1e-9:
                continue  # size filter: overlap ≤ min/max
            a_act, a_ctx = overlap(a.activating, b.activating), overlap(a.context, b.context)
            if a_act >= t and a_ctx >= t and a.activating & b.activating:
                source, target = (a, b) if a.key < b.key else (b, a)
                pairs.append(SimilarPair(source.key, target.key, Relation.SIMILAR_TO, a_act, a_ctx))
                similar_keys.add((i, j))
        if config.subsets:
            # i inside j: i's prefix must meet j's whole set (both sets).
            for j in _candidates(probe, act_full, context_filter(i, ctx_full)):
                if j == i or (min(i, j), max(i, j)) in similar_keys:
                    continue
                b = items[j]
                if len(b.activating) < t * len(a.activating) - 1e-9:
                    continue
                act_in = containment(a.activating, b.activating)
                ctx_in = containment(a.context, b.context)
                if act_in >= t and ctx_in >= t and a.activating & b.activating:
                    pairs.append(SimilarPair(a.key, b.key, Relation.SUBSET_OF, act_in, ctx_in))
        if progress is not None and (i + 1) % _PROGRESS_EVERY == 0:
            progress(_PROGRESS_EVERY)
    if progress is not None:
        progress(len(items) % _PROGRESS_EVERY)
    return sort_pairs(pairs)
