"""The recorder's running state: every neuron's top-k windows, and the windows' tokens.

A window's score for a neuron is its largest activation in the window; the running top-k
per neuron is merged with a batch's scores by a stable sort over [k + B] candidates, only
for the neurons whose top-k can change. Old entries precede new ones and the sort is
stable, so ties go to the earlier window: the result equals a stable global sort of all
windows by score.

Memory. A slot holds the window's activations (in the number format the model computed
them in: bfloat16 values are exact in bfloat16, so storing them wider only costs memory)
and the window's index in the stream. Token ids are not copied into every slot that holds
a window: `Windows` keeps each window once, for as long as some slot of some layer holds
it. For all 30 layers of SmolLM2 (k 30, 256-token windows) that is 1.4 GB of slot tokens
replaced by a few MB, and 1.4 GB of float32 activations halved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch

from n2g.record.histogram import KEY_OFFSET, N_COLUMNS, column_table

# An empty slot's stream index: it ranks after any real window of equal (-inf) score.
EMPTY_SEQ = torch.iinfo(torch.int64).max
_MASK = (1 << 53) - 1
# A float's key + KEY_OFFSET -> its column (int32: gathers and adds half the bytes of int64).
_COLUMNS = torch.from_numpy(column_table()).to(torch.int32)
KEYS = 2 * KEY_OFFSET  # the raw keys of a float: -KEY_OFFSET .. KEY_OFFSET - 1


@dataclass
class Windows:
    """The tokens of the windows some slot holds, by stream index (shared by all layers)."""

    seq: torch.Tensor  # int64 [n], ascending
    tokens: torch.Tensor  # int32 [n, W]

    @classmethod
    def empty(cls, window: int) -> Windows:
        return cls(torch.zeros(0, dtype=torch.int64), torch.zeros(0, window, dtype=torch.int32))

    @classmethod
    def from_slots(cls, seqs: Iterable[torch.Tensor], tokens: Iterable[torch.Tensor]) -> Windows:
        """The table of slots that each hold their own tokens ([..., W] per [...] seq)."""
        seq_list, token_list = list(seqs), list(tokens)
        width = token_list[0].shape[-1]
        seq = torch.cat([s.reshape(-1) for s in seq_list])
        rows = torch.cat([t.reshape(-1, width) for t in token_list])
        held = seq != EMPTY_SEQ
        seq, rows = seq[held], rows[held]
        order = torch.argsort(seq, stable=True)
        seq, rows = seq[order], rows[order]
        first = torch.ones_like(seq, dtype=torch.bool)
        first[1:] = seq[1:] != seq[:-1]
        return cls(seq[first].contiguous(), rows[first].to(torch.int32).contiguous())

    def add(self, first_seq: int, tokens: torch.Tensor, held_by: Iterable[torch.Tensor]) -> None:
        """Add a batch (int32 [B, W], stream indices first_seq, ...), then keep only the
        windows whose index some slot in `held_by` (every state's `seq`) holds."""
        batch_seq = torch.arange(first_seq, first_seq + tokens.shape[0], dtype=torch.int64)
        seq = torch.cat([self.seq, batch_seq])
        rows = torch.cat([self.tokens, tokens.to(torch.int32)])
        kept = torch.isin(seq, torch.cat([s.reshape(-1) for s in held_by]))
        self.seq, self.tokens = seq[kept], rows[kept]

    def absorb(self, other: Windows, held_by: Iterable[torch.Tensor]) -> None:
        """Take in another table's windows, then keep those some slot in `held_by` holds."""
        seq = torch.cat([self.seq, other.seq])
        rows = torch.cat([self.tokens, other.tokens.to(torch.int32)])
        order = torch.argsort(seq, stable=True)
        seq, rows = seq[order], rows[order]
        first = torch.ones_like(seq, dtype=torch.bool)
        first[1:] = seq[1:] != seq[:-1]
        seq, rows = seq[first], rows[first]
        kept = torch.isin(seq, torch.cat([s.reshape(-1) for s in held_by]))
        self.seq, self.tokens = seq[kept].contiguous(), rows[kept].contiguous()

    def lookup(self, seq: torch.Tensor, pad_id: int) -> torch.Tensor:
        """int32 [..., W]: the tokens of each window index in `seq` (`pad_id` for an index
        not held, as an empty slot's)."""
        width = self.tokens.shape[1]
        if len(self.seq) == 0:
            return torch.full((*seq.shape, width), pad_id, dtype=torch.int32)
        at = torch.searchsorted(self.seq, seq).clamp(max=len(self.seq) - 1)
        out = self.tokens[at]
        out[self.seq[at] != seq] = pad_id
        return out


@dataclass
class TopK:
    """Running top-k of one layer (torch tensors).

    Slots are NOT kept in rank order: a window that enters the top-k is written into the
    slot of the one it evicts, so a batch costs O(new entries x W) copies, not O(d x k x W)
    (with 1,024-token windows, re-sorting every slot's window was most of the recording
    time). `seq` (the window's index in the stream) breaks ties: the earlier window ranks
    first, and `ranked` puts the slots in rank order once, at the end.

    `hist` counts every position of every unit in n2g.record.histogram's columns; it has
    no columns where it is not kept (the weighted sample's state) or not known (a
    checkpoint of n2g before it), and stays so through merges.
    """

    scores: torch.Tensor  # float32 [d, k], -inf = empty slot
    acts: torch.Tensor  # [d, k, W] in the format of the activations merged in
    doc_ids: torch.Tensor  # int64 [d, k], -1 = empty slot
    seq: torch.Tensor  # int64 [d, k], stream index of the window in the slot
    a_max: torch.Tensor  # float32 [d]
    hist: torch.Tensor  # int64 [d, N_COLUMNS], or [d, 0]: no histogram

    FIELDS = ("scores", "acts", "doc_ids", "seq", "a_max", "hist")

    @classmethod
    def empty(
        cls, n_units: int, k: int, window: int, dtype: torch.dtype, histogram: bool = True
    ) -> TopK:
        return cls(
            scores=torch.full((n_units, k), float("-inf")),
            acts=torch.zeros(n_units, k, window, dtype=dtype),
            doc_ids=torch.full((n_units, k), -1, dtype=torch.int64),
            seq=torch.full((n_units, k), EMPTY_SEQ, dtype=torch.int64),
            a_max=torch.full((n_units,), float("-inf")),
            hist=torch.zeros(n_units, N_COLUMNS if histogram else 0, dtype=torch.int64),
        )

    def count(self, acts: torch.Tensor) -> None:
        """Count every position of a batch (acts [B, W, d]) into `hist` (when kept)."""
        n_units, columns = self.hist.shape
        if columns == 0:
            return
        if acts.dtype == torch.bfloat16:  # the top half of a float32: the same key by >> 5
            keys = acts.contiguous().view(torch.int16) >> 5
        else:
            keys = acts.to(torch.float32).contiguous().view(torch.int32) >> 21
        # Count each unit's raw keys (2,048 a unit), then fold keys into columns: a table
        # lookup per position cost 1.1-2.3x this (bench.record_histogram, loaded machine).
        base = torch.arange(n_units, dtype=torch.int32) * KEYS + KEY_OFFSET
        raw = torch.bincount((keys + base).reshape(-1), minlength=n_units * KEYS)
        self.hist.index_add_(1, _COLUMNS, raw.view(n_units, KEYS))

    def merge(
        self,
        acts: torch.Tensor,
        doc_ids: torch.Tensor,
        first_seq: int,
        keys: torch.Tensor | None = None,
    ) -> None:
        """Fold a batch in: acts [B, W, d], doc_ids int64 [B]; the batch's windows are
        stream indices first_seq, first_seq + 1, ... Windows are ranked by their max
        activation, or by `keys` [B, d] when given (the weighted sample)."""
        if acts.dtype != self.acts.dtype:  # e.g. a float32 resume of a bfloat16 recording
            self.acts = self.acts.to(torch.promote_types(acts.dtype, self.acts.dtype))
        window_max = acts.amax(dim=1).float()  # [B, d]
        self.a_max = torch.maximum(self.a_max, window_max.amax(dim=0))
        candidates = (window_max if keys is None else keys).T  # [d, B]
        # Only neurons with a candidate beating their current lowest entry can change.
        lowest = self.scores.min(dim=1, keepdim=True).values
        changed = (candidates > lowest).any(dim=1).nonzero().squeeze(1)
        if changed.numel() == 0:
            return
        k = self.scores.shape[1]
        batch = acts.shape[0]
        batch_seq = torch.arange(first_seq, first_seq + batch, dtype=torch.int64)
        all_scores = torch.cat([self.scores[changed], candidates[changed]], dim=1)  # [n, k+B]
        all_seq = torch.cat([self.seq[changed], batch_seq.expand(len(changed), -1)], dim=1)
        # Rank by score, ties to the earlier window: sort by seq, then stably by score.
        by_seq = torch.argsort(all_seq, dim=1, stable=True)
        by_score = torch.argsort(all_scores.gather(1, by_seq), dim=1, descending=True, stable=True)
        kept = by_seq.gather(1, by_score)[:, :k]  # [n, k] indices into old slots + batch
        # (scatter_add, not scatter: new entries clamp onto slot k - 1 and must not unmark it)
        kept_old = torch.zeros(len(changed), k, dtype=torch.int32)
        kept_old = kept_old.scatter_add_(1, kept.clamp(max=k - 1), (kept < k).to(torch.int32)) > 0
        # Pair the i-th freed slot of a row with the i-th new window kept in that row
        # (nonzero is row-major, and each row frees as many slots as it takes in).
        free_rows, free_slots = (~kept_old).nonzero(as_tuple=True)
        new_rows, new_cols = (kept >= k).nonzero(as_tuple=True)
        if free_rows.numel() == 0:
            return
        which = kept[new_rows, new_cols] - k  # batch index of each new entry
        neurons = changed[free_rows]
        self.acts[neurons, free_slots] = acts[which, :, neurons].to(self.acts.dtype)
        self.doc_ids[neurons, free_slots] = doc_ids[which]
        self.scores[neurons, free_slots] = candidates[neurons, which]
        self.seq[neurons, free_slots] = batch_seq[which]

    def absorb(self, other: TopK) -> None:
        """Fold in another running state over other windows of the same stream (another
        worker's share): keep each neuron's k best of both, ranked by score, ties to the
        earlier window. Exact whatever the two shares were, because both sides already
        hold their share's k best under the same order."""
        if other.acts.dtype != self.acts.dtype:
            self.acts = self.acts.to(torch.promote_types(other.acts.dtype, self.acts.dtype))
        self.a_max = torch.maximum(self.a_max, other.a_max)
        if self.hist.shape == other.hist.shape:
            self.hist = self.hist + other.hist
        else:  # one side not counted: the sum is not known
            self.hist = self.hist[:, :0]
        k = self.scores.shape[1]
        all_scores = torch.cat([self.scores, other.scores], dim=1)  # [d, 2k]
        all_seq = torch.cat([self.seq, other.seq], dim=1)
        by_seq = torch.argsort(all_seq, dim=1, stable=True)
        by_score = torch.argsort(all_scores.gather(1, by_seq), dim=1, descending=True, stable=True)
        kept = by_seq.gather(1, by_score)[:, :k]  # [d, k] indices into self + other
        self.scores = all_scores.gather(1, kept)
        self.seq = all_seq.gather(1, kept)
        self.doc_ids = torch.cat([self.doc_ids, other.doc_ids], dim=1).gather(1, kept)
        both = torch.cat([self.acts, other.acts.to(self.acts.dtype)], dim=1)
        self.acts = both.gather(1, kept[:, :, None].expand(-1, -1, both.shape[2])).contiguous()

    def ranked(self) -> torch.Tensor:
        """int64 [d, k]: each neuron's slots in rank order (score descending, ties to the
        earlier window)."""
        by_seq = torch.argsort(self.seq, dim=1, stable=True)
        by_score = torch.argsort(self.scores.gather(1, by_seq), dim=1, descending=True, stable=True)
        return by_seq.gather(1, by_score)


def sample_keys(window_max: torch.Tensor, first_seq: int, seed: int) -> torch.Tensor:
    """Weighted-reservoir keys (Efraimidis-Spirakis A-Res) of a batch, float64 [B, d]:
    log(u) / w for a window whose max activation w > 0 (-inf otherwise); the k largest keys
    are a random sample of windows with probabilities proportional to w. u is a hash of
    (seed, stream index, neuron), so the sample does not depend on batching or resumes."""
    batch, n_units = window_max.shape
    seq = torch.arange(first_seq, first_seq + batch, dtype=torch.int64)[:, None]
    neuron = torch.arange(n_units, dtype=torch.int64)[None, :]
    x = seq * 1_000_003 + neuron * 7_919 + seed * 104_729 + 1
    for multiplier in (-49_064_778_989_728_563, -4_265_267_296_055_464_877):  # splitmix64
        x = x ^ (x >> 33)
        x = x * multiplier  # wraps modulo 2^64, as the mixer wants
    x = x ^ (x >> 33)
    u = ((x & _MASK).to(torch.float64) + 0.5) / float(1 << 53)  # in (0, 1)
    weight = window_max.to(torch.float64)
    keys = torch.log(u) / weight.clamp(min=1e-30)
    return torch.where(weight > 0, keys, torch.full_like(keys, float("-inf")))
