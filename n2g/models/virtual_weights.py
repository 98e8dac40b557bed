"""Which earlier units feed a unit, from the weights alone: virtual weights on the direct path.

A unit of layer l writes into the residual stream along its write direction (an MLP
neuron's row of `W_out`, a latent's decoder row: n2g.models.logit_lens.write_directions);
a unit of a later layer L reads the residual stream along its read direction (an MLP
neuron's column of `W_in`, a transcoder's encoder column). Their dot product is the
*virtual weight* (Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits"):
how much one unit of the earlier unit's activation moves the later unit's
pre-activation, if nothing else stood between them. It is a **direct-path
approximation**, and says so wherever it is shown:

- every attention layer and every MLP between the two is ignored (the paths through
  them are other terms of the expansion);
- the later layer's norm (`ln2`) is folded as transformer_lens folds it (`fold_ln`): its
  scale multiplies the read direction, and a LayerNorm (which centres its input first)
  centres the read direction too; an RMSNorm does not. The norm's *per-input* division by
  the residual's size, which depends on the whole text, is ignored: a virtual weight is
  comparable between the feeders of one unit, not an activation;
- for a gated MLP (SmolLM2, Llama: `act(x·W_gate) * (x·W_in)`) the read direction is the
  linear part's column of `W_in`, whose product scales the activation linearly; the gate's
  read is left out.

Signs are kept (a negative weight inhibits); feeders are ranked by |virtual weight|.

Who may feed whom is decided by where each unit set sits in the residual stream
(`UnitLayer.reads_at`, `writes_at`): a feeder must write before the later unit reads. MLP
neurons and transcoder latents of block L read the MLP's input and write the MLP's output;
an SAE's latents read and write their own hook (block L's resid_pre, resid_mid, mlp_out or
resid_post). So neuron L feeds an SAE on block L's MLP output or resid_post, an SAE on
resid_mid L feeds neuron L, and neither a transcoder of block L nor its MLP feeds the
other (the transcoder stands for that MLP). An SAE's read direction on the residual stream
is its encoder column; the SAE's own input normalisation, if its architecture has one, is
ignored like the norm's per-input division above.

All units of a layer at once: the feeders of every unit of layer L are one product of
the stacked write directions of an earlier layer ([units, d_model]) with the read
directions of L ([d_model, units]), taken `targets_per_pass` target columns at a time so
memory stays bounded (an earlier layer's block is n_units x targets_per_pass floats), and
the top k of each column kept and merged over the earlier layers. The plain way, one pair
of units at a time, gives the same weights (`plain_virtual_weight`; bench/circuits.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from n2g.graph.key import neuron_key
from n2g.models.base import NeuronModel
from n2g.models.logit_lens import write_directions

DEFAULT_K = 10
TARGETS_PER_PASS = 512  # 512 target columns x 44,544 SmolLM2 sources: 91 MB of float32
_CENTRED_NORMS = ("LN", "LNPre")
_RESIDUAL_HOOKS = ("hook_resid_pre", "hook_resid_mid", "hook_resid_post")
# Where a unit set of block L reads and writes the residual stream, as 4L + offset: resid_pre
# (0), attention's output (1), resid_mid (2), the MLP's input (2.5) and neurons (2.6), the
# MLP's output (2.75 for what the MLP writes, 3 for an SAE reading hook_mlp_out), resid_post
# (4, the next block's resid_pre). An SAE reads and writes its hook's place.
_SAE_PLACES = (
    ("hook_resid_pre", 0.0),
    ("hook_attn_out", 1.0),
    ("hook_resid_mid", 2.0),
    ("ln2.hook_normalized", 2.5),
    ("hook_mlp_in", 2.5),
    ("mlp.hook_pre", 2.6),
    ("mlp.hook_post", 2.6),
    ("hook_mlp_out", 3.0),
    ("hook_resid_post", 4.0),
)
_MLP_READS, _MLP_WRITES = 2.5, 2.75


@dataclass(frozen=True)
class UnitLayer:
    """The units of one layer taking part: a model (its `units` pick MLP neurons or one
    unit set's latents), the layer, and which of its units (None: all)."""

    model: NeuronModel
    layer: int
    units: Sequence[int] | None = None

    def indices(self) -> list[int]:
        return list(range(self.model.n_units)) if self.units is None else list(self.units)

    def key(self, unit: int) -> str:
        return neuron_key(self.model.name, self.layer, unit, self.model.unit_set)

    @property
    def reads_at(self) -> float:
        """Where in the residual stream these units read (module docstring)."""
        return self._places()[0]

    @property
    def writes_at(self) -> float:
        """Where in the residual stream these units write (module docstring)."""
        return self._places()[1]

    def _places(self) -> tuple[float, float]:
        units = self.model.units
        base = 4.0 * self.layer
        if units is None or getattr(units, "transcoder", False):
            return base + _MLP_READS, base + _MLP_WRITES
        hook = units.hook_name
        for suffix, offset in _SAE_PLACES:
            if hook.endswith(suffix):
                return base + offset, base + offset
        raise ValueError(f"{self.model.unit_set} reads {hook}: no place in the residual stream")


@dataclass(frozen=True)
class Feed:
    """One edge: `source` (an earlier unit) feeds `target` with `virtual_weight`; `rank`
    is the source's place among the target's feeders by |weight| (0: the strongest)."""

    source: str
    target: str
    virtual_weight: float
    rank: int

    def as_row(self) -> dict[str, object]:
        return {
            "source": self.source,
            "target": self.target,
            "virtual_weight": self.virtual_weight,
            "weight": self.virtual_weight,
            "rank": self.rank,
        }


def _fold_norm(model: NeuronModel, layer: int, reads: torch.Tensor) -> torch.Tensor:
    """Read directions [d_model, U] of what `ln2` of `layer` normalises, folded as
    transformer_lens' fold_ln folds them: times the norm's scale (when the loader left it
    unfolded), then centred over d_model for a LayerNorm."""
    scale = getattr(model.model.blocks[layer].ln2, "w", None)
    if isinstance(scale, torch.Tensor):
        reads = reads * scale.detach().float()[:, None]
    if model.model.cfg.normalization_type in _CENTRED_NORMS:
        reads = reads - reads.mean(dim=0, keepdim=True)
    return reads


def read_directions(model: NeuronModel, layer: int, units: Sequence[int]) -> torch.Tensor | None:
    """float32 [d_model, len(units)]: the residual direction each unit of `layer` reads,
    the norm before it folded in; None for a unit set that reads no residual direction (an
    SAE on the MLP's output or its neurons)."""
    model.check_layer(layer)
    block = model.model.blocks[layer]
    index = torch.as_tensor(list(units), dtype=torch.long)
    if model.units is None:
        w_in = block.mlp.W_in.detach()  # [d_model, d_mlp]
        return _fold_norm(model, layer, w_in[:, index.to(w_in.device)].float())
    encoder = getattr(getattr(model.units, "sae", None), "W_enc", None)
    if not isinstance(encoder, torch.Tensor) or encoder.shape[0] != model.model.cfg.d_model:
        return None
    reads = encoder.detach()[:, index.to(encoder.device)].float()
    hook = model.units.hook_name
    if hook.endswith("ln2.hook_normalized"):  # a transcoder reading the MLP's input
        return _fold_norm(model, layer, reads)
    if hook.endswith(_RESIDUAL_HOOKS):
        return reads
    return None


def _writes(part: UnitLayer, units: Sequence[int]) -> torch.Tensor:
    rows = write_directions(part.model, part.layer, units)
    if rows is None:
        raise ValueError(f"{part.model.unit_set} (layer {part.layer}) writes no residual direction")
    return rows


def _reads(part: UnitLayer, units: Sequence[int]) -> torch.Tensor:
    columns = read_directions(part.model, part.layer, units)
    if columns is None:
        raise ValueError(f"{part.model.unit_set} (layer {part.layer}) reads no residual direction")
    return columns


def feeds(
    parts: Sequence[UnitLayer],
    k: int = DEFAULT_K,
    *,
    targets_per_pass: int = TARGETS_PER_PASS,
    targets: Sequence[UnitLayer] | None = None,
) -> list[Feed]:
    """For every unit of every part of `targets` (default: `parts`), its `k` strongest
    feeders among the units of the `parts` that write before it reads (earlier layers, for
    neurons), by |virtual weight| (ties by the source's key), strongest first; units of
    the lowest layer get none. ValueError for a unit set whose directions are not in the
    residual stream, or k < 1."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    out: list[Feed] = []
    with torch.inference_mode():
        for target in parts if targets is None else targets:
            sources = [part for part in parts if part.writes_at < target.reads_at]
            if not sources:
                continue
            writes = [(part, part.indices(), _writes(part, part.indices())) for part in sources]
            units = target.indices()
            for begin in range(0, len(units), targets_per_pass):
                chunk = units[begin : begin + targets_per_pass]
                reads = _reads(target, chunk)
                out.extend(_top_feeders(writes, target, chunk, reads, k))
    return out


def _top_feeders(
    writes: list[tuple[UnitLayer, list[int], torch.Tensor]],
    target: UnitLayer,
    chunk: Sequence[int],
    reads: torch.Tensor,
    k: int,
) -> list[Feed]:
    """The top k feeders of each target column: each source layer's own top k, merged."""
    candidates: list[list[tuple[float, str]]] = [[] for _ in chunk]
    for part, indices, rows in writes:
        weights = rows.to(reads.device) @ reads  # [sources, targets]
        top = min(k, weights.shape[0])
        _, where = torch.topk(weights.abs(), top, dim=0)
        values = torch.gather(weights, 0, where).T.cpu().tolist()
        columns = zip(values, where.T.cpu().tolist(), strict=True)
        for column, (row_values, row_where) in enumerate(columns):
            for value, at in zip(row_values, row_where, strict=True):
                candidates[column].append((value, part.key(indices[at])))
    out: list[Feed] = []
    for column, unit in enumerate(chunk):
        best = sorted(candidates[column], key=lambda c: (-abs(c[0]), c[1]))[:k]
        name = target.key(unit)
        out.extend(Feed(source, name, value, rank) for rank, (value, source) in enumerate(best))
    return out


def plain_virtual_weight(source: UnitLayer, unit: int, target: UnitLayer, other: int) -> float:
    """One pair's virtual weight, one dot product: the reference `feeds` is checked against."""
    with torch.inference_mode():
        write = _writes(source, [unit])[0]
        read = _reads(target, [other])[:, 0]
        return float(write.to(read.device) @ read)
