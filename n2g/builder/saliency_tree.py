"""Masked copies of augmented examples, computed from their origin's (saliency, measured).

An augmented example a is its origin o with token t at position j; its masked copy at k is
one of three sequences, each agreeing with one already at hand up to a late position:

- k > j: a itself up to k (a's states: o's up to j, then a pass over a's L-j tokens);
- k = j: o masked at j (the same sequence for every substitute at j);
- k < j: o masked at k up to j (o-masked-at-k's states, shared by every augmented example
  of o substituted after k), then t and the rest: L-j tokens.

So the siblings of an origin (up to n_substitutes per important position, most often the
pivot, j = L-1) cost about L tokens each instead of ~L^2/2 for their own masked copies:
o's states, o's masked copies (L^2/2 once per origin) and a's states are computed once and
kept (`NeuronModel.extend_states`), then every masked copy runs only its tail. An origin
whose augmented examples would not save tokens this way (one sibling, early positions)
goes through `variant_activations` as any other example. The answers are those of whole
passes (float rounding aside).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from n2g.builder.variants import STATE_TOKENS, length_batches
from n2g.models.base import NeuronModel
from n2g.models.prefix import PrefixStates


@dataclass
class Sibling:
    """An augmented example of an origin: token `token` at `position`; `index` = where its
    masked activations go, `neuron` = whose they are."""

    index: int
    position: int
    token: int
    neuron: int


@dataclass
class OriginGroup:
    origin: tuple[int, ...]
    siblings: list[Sibling] = field(default_factory=list)

    @property
    def masked_prefixes(self) -> int:
        """Masked copies of the origin needed as states: positions before the last j."""
        return max(s.position for s in self.siblings)

    def tree_tokens(self) -> int:
        """Tokens the tree route runs for this group (see the module docstring)."""
        length = len(self.origin)
        js = {(s.position, s.token) for s in self.siblings}
        total = length + sum(length - k for k in range(self.masked_prefixes))
        total += sum(length - j for j, _ in js if j < length - 1)  # the siblings' own states
        total += sum(length - j for j in {j for j, _ in js})  # k = j, once per position
        total += sum(j * (length - j) for j, _ in js)  # k < j
        total += sum((length - j - 1) * (length - j) // 2 for j, _ in js)  # k > j
        return total

    def flat_tokens(self) -> int:
        """Tokens the siblings' masked copies cost as examples of their own."""
        length = len(self.origin)
        return len({(s.position, s.token) for s in self.siblings}) * (
            length + 1 + length * (length + 1) // 2
        )


def group_by_origin(
    derived: Sequence[tuple[int, np.ndarray, int, int, int]],
) -> list[OriginGroup]:
    """(index, origin tokens, position, token, neuron) rows as groups by origin tokens."""
    groups: dict[tuple[int, ...], OriginGroup] = {}
    for index, origin, position, token, neuron in derived:
        key = tuple(int(t) for t in origin)
        groups.setdefault(key, OriginGroup(key)).siblings.append(
            Sibling(index, position, token, neuron)
        )
    return list(groups.values())


def _chunks(groups: Sequence[OriginGroup]) -> list[list[OriginGroup]]:
    """Consecutive groups whose kept states fit `STATE_TOKENS` tokens."""
    chunks: list[list[OriginGroup]] = []
    held = 0
    for group in groups:
        size = len(group.origin) * (1 + group.masked_prefixes + len(group.siblings))
        if chunks and held + size <= STATE_TOKENS:
            chunks[-1].append(group)
            held += size
        else:
            chunks.append([group])
            held = size
    return chunks


def _extend(
    model: NeuronModel,
    layer: int,
    states: PrefixStates,
    asks: Sequence[tuple[int, int, tuple[int, ...]]],
    batch_rows: int,
) -> tuple[PrefixStates | None, list[int]]:
    """States of (base row, keep, suffix) sequences, joined; the row of each ask."""
    if not asks:
        return None, []
    order = sorted(range(len(asks)), key=lambda i: len(asks[i][2]))
    parts: list[PrefixStates] = []
    row_of = [0] * len(asks)
    done = 0  # rows in the parts so far
    for batch in length_batches([len(asks[i][2]) for i in order], batch_rows):
        chosen = [order[i] for i in batch]
        for offset, i in enumerate(chosen):
            row_of[i] = done + offset
        done += len(chosen)
        parts.append(
            model.extend_states(
                states,
                [asks[i][0] for i in chosen],
                [asks[i][1] for i in chosen],
                [list(asks[i][2]) for i in chosen],
                layer,
            )
        )
    return PrefixStates.join(parts), row_of


def masked_sibling_activations(
    model: NeuronModel,
    layer: int,
    groups: Sequence[OriginGroup],
    mask_token_id: int,
    batch_rows: int,
) -> dict[int, np.ndarray]:
    """Sibling index -> float32 [L]: its pivot activation with each position masked."""
    out: dict[int, np.ndarray] = {}
    for chunk in _chunks(sorted(groups, key=lambda g: len(g.origin))):
        _run_chunk(model, layer, chunk, mask_token_id, batch_rows, out)
    return out


def _run_chunk(
    model: NeuronModel,
    layer: int,
    groups: Sequence[OriginGroup],
    mask: int,
    batch_rows: int,
    out: dict[int, np.ndarray],
) -> None:
    origins = model.prefix_states([list(g.origin) for g in groups], layer)
    masked_asks = [
        (g, k, (mask, *group.origin[k + 1 :]))
        for g, group in enumerate(groups)
        for k in range(group.masked_prefixes)
    ]
    own = sorted(
        {
            (g, s.position, s.token)
            for g, group in enumerate(groups)
            for s in group.siblings
            if s.position < len(group.origin) - 1
        }
    )
    own_asks = [(g, j, (t, *groups[g].origin[j + 1 :])) for g, j, t in own]
    masked, masked_row = _extend(model, layer, origins, masked_asks, batch_rows)
    siblings, own_row = _extend(model, layer, origins, own_asks, batch_rows)
    parts = [p for p in (origins, masked, siblings) if p is not None]
    states = PrefixStates.join(parts)
    masked_at = {(g, k): len(groups) + masked_row[i] for i, (g, k, _) in enumerate(masked_asks)}
    first_own = len(groups) + len(masked_asks)
    own_at = {key: first_own + own_row[i] for i, key in enumerate(own)}
    # distinct (state row, keep, suffix) -> [(sibling index, masked position, neuron)]
    reads: dict[tuple[int, int, tuple[int, ...]], list[tuple[int, int, int]]] = {}
    for g, group in enumerate(groups):
        origin, length = group.origin, len(group.origin)
        for s in group.siblings:
            out[s.index] = np.zeros(length, dtype=np.float32)
            for k in range(length):
                if k > s.position:
                    key = (own_at[(g, s.position, s.token)], k, (mask, *origin[k + 1 :]))
                elif k == s.position:
                    key = (g, k, (mask, *origin[k + 1 :]))
                else:
                    key = (masked_at[(g, k)], s.position, (s.token, *origin[s.position + 1 :]))
                reads.setdefault(key, []).append((s.index, k, s.neuron))
    keys = sorted(reads, key=lambda r: len(r[2]))
    for batch in length_batches([len(r[2]) for r in keys], batch_rows):
        chunk = [keys[i] for i in batch]
        asks = [(r, a) for r, key in enumerate(chunk) for a in reads[key]]
        acts = model.gather_after_prefix(
            states,
            [row for row, _, _ in chunk],
            [keep for _, keep, _ in chunk],
            [list(suffix) for _, _, suffix in chunk],
            layer,
            [len(chunk[r][2]) - 1 for r, _ in asks],
            [neuron for _, (_, _, neuron) in asks],
            rows=[r for r, _ in asks],
        ).numpy()
        for (_, (index, k, _)), act in zip(asks, acts, strict=True):
            out[index][k] = act
