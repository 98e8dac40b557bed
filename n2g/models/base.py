"""The one interface the rest of n2g uses to talk to a language model.

`NeuronModel` wraps a transformer_lens `HookedTransformer` and a tokenizer. It tokenises,
names tokens, and computes unit activations for batches of token sequences, running only as
many layers as needed (`stop_at_layer`) and hooking only the layers read. Its units are the
MLP neurons, or the latents of a unit set it views (`with_units`); the names of its API say
units where they mean either (the vocabulary of n2g.graph.key).

Ragged batches are right-padded. The models are causal, so a real position never attends
to a later (padding) position: a sequence's activations do not depend on its batch-mates
and no attention mask is needed. Padded positions come back as zeros.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import torch
from transformer_lens import HookedTransformer

from n2g.models import prefix
from n2g.models.layout import relayout


class TokenizerLike(Protocol):
    """What n2g needs from a tokenizer (HF tokenizers are adapted in n2g.models.tokenizers)."""

    vocab_size: int
    bos_token_id: int | None
    pad_token_id: int

    def encode(self, text: str) -> list[int]: ...

    def token_strings(self, ids: Sequence[int]) -> list[str]: ...

    def decode(self, ids: Sequence[int]) -> str: ...


class LatentUnits(Protocol):
    """Units that are not MLP neurons: latents computed from one hook's value (an SAE,
    n2g.sae.units.SAEUnits). A NeuronModel viewing them (`NeuronModel.with_units`) reads
    that hook and answers for the latents wherever it would answer for neurons."""

    name: str  # the unit set's name, `sae:NAME` or `tc:NAME`
    spec: str  # what it was loaded from (n2g.sae.spec)
    hook_name: str
    layer: int
    n_units: int

    def encode(self, acts: torch.Tensor) -> torch.Tensor: ...


class _ReadDone(Exception):
    """Raised by the last reading hook to end a forward pass early."""


def mlp_hook_name(layer: int) -> str:
    """The hook read for neuron activations (post-nonlinearity; after LN for SoLU)."""
    return f"blocks.{layer}.mlp.hook_post"


TokenBatch = Sequence[Sequence[int]] | torch.Tensor


@dataclass
class NeuronModel:
    """A language model whose units (MLP neurons, or a unit set's latents) n2g explains.

    `n_layers` is the number of layers of the full model (used to check layer indices);
    the wrapped HookedTransformer may hold fewer (only those needed were loaded).
    """

    name: str
    model: HookedTransformer
    tokenizer: TokenizerLike
    n_layers: int
    prepend_bos: bool = True
    mask_token_id: int | None = None
    device: str = "cpu"
    units: LatentUnits | None = None
    _loaded_layers: int = field(init=False)

    def __post_init__(self) -> None:
        self._loaded_layers = self.model.cfg.n_layers
        self.model.eval()
        relayout(self.model)
        if self.mask_token_id is None:
            self.mask_token_id = self.tokenizer.pad_token_id

    def with_units(self, units: LatentUnits) -> NeuronModel:
        """The same model explaining `units` (e.g. an SAE's latents) instead of its MLP
        neurons: every activation method reads the units' hook and returns latents, so
        recording, pruning, saliency, augmentation and evaluation run unchanged."""
        self.check_layer(units.layer)
        return replace(self, units=units)

    @property
    def dtype(self) -> str:
        """The number format the passes run in: "float32" or "bfloat16" (n2g.models.dtype)."""
        return str(next(self.model.parameters()).dtype).removeprefix("torch.")

    def cast(self, dtype: str) -> NeuronModel:
        """Run the passes in `dtype` from now on ("float32" or "bfloat16"; in place).

        Activations always leave the model as float32 whatever it computes in."""
        self.model.to(getattr(torch, dtype), print_details=False)
        relayout(self.model)
        return self

    @property
    def unit_set(self) -> str | None:
        """The name of the unit set explained (`sae:NAME`, `tc:NAME`); None: MLP neurons."""
        return self.units.name if self.units is not None else None

    @property
    def unit_set_spec(self) -> str | None:
        """The spec the unit set was loaded from (records keep it); None: MLP neurons."""
        return self.units.spec if self.units is not None else None

    # --- shape -------------------------------------------------------------------------
    @property
    def n_units(self) -> int:
        """Units per layer: MLP neurons, or the latents of `units`."""
        if self.units is not None:
            return int(self.units.n_units)
        d_mlp = self.model.cfg.d_mlp
        assert d_mlp is not None, "transformer_lens sets d_mlp for every MLP model"
        return int(d_mlp)

    @property
    def loaded_layers(self) -> int:
        return self._loaded_layers

    def check_layer(self, layer: int) -> None:
        """Raise ValueError (one line) when `layer` is not a layer of this model/loaded."""
        if not 0 <= layer < self.n_layers:
            raise ValueError(
                f"layer {layer} is out of range: {self.name} has layers 0..{self.n_layers - 1}"
            )
        if layer >= self._loaded_layers:
            raise ValueError(
                f"layer {layer} was not loaded (only the first {self._loaded_layers} were); "
                f"load the model with n_layers >= {layer + 1}"
            )
        if self.units is not None and layer != self.units.layer:
            raise ValueError(f"{self.units.name} reads layer {self.units.layer}, not layer {layer}")

    # --- tokens ------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        """Token ids of `text` (no BOS: it is added at run time)."""
        return self.tokenizer.encode(text)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """Each token id's own text (what a user would search for)."""
        return self.tokenizer.token_strings(list(ids))

    # --- activations -------------------------------------------------------------------
    def _pad(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-pad to a [B, T] tensor (+ BOS column); return it and the lengths."""
        if isinstance(batch, torch.Tensor):
            tokens = batch.to(torch.long)
            lengths = torch.full((tokens.shape[0],), tokens.shape[1], dtype=torch.long)
        else:
            lengths = torch.tensor([len(s) for s in batch], dtype=torch.long)
            width = int(lengths.max()) if len(batch) else 0
            tokens = torch.full((len(batch), width), self.tokenizer.pad_token_id, dtype=torch.long)
            for row, seq in enumerate(batch):
                if len(seq):
                    tokens[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
        if self.prepend_bos and self.tokenizer.bos_token_id is not None:
            bos = torch.full((tokens.shape[0], 1), self.tokenizer.bos_token_id, dtype=torch.long)
            tokens = torch.cat([bos, tokens], dim=1)
        return tokens, lengths

    def _run_until(
        self,
        tokens: torch.Tensor,
        reads: dict[int, Callable[[torch.Tensor], None]],
        **forward: Any,
    ) -> None:
        """Forward `tokens`, handing each read layer's hook value to its reader, and stop at
        the last one: the rest of that layer (the MLP's output projection) and every later
        layer would be computed for nothing. `forward`: more arguments of the pass."""
        last = max(reads)

        def make_hook(layer: int) -> Callable[..., None]:
            def hook(value: torch.Tensor, hook: Any) -> None:  # noqa: ARG001 (TL passes the hook)
                reads[layer](value)
                if layer == last:
                    raise _ReadDone

            return hook

        # The read hook points only: `run_with_hooks` would clear every hook point of the
        # model after each pass (~110 for SmolLM2), 5% of a shallow build's time.
        points = {layer: self.model.hook_dict[self._hook_name(layer)] for layer in reads}
        try:
            for layer, point in points.items():
                point.add_hook(make_hook(layer))
            with contextlib.suppress(_ReadDone):
                self.model(tokens.to(self.device), stop_at_layer=last + 1, **forward)
        finally:
            for point in points.values():
                point.remove_hooks("fwd")

    def _hook_name(self, layer: int) -> str:
        return self.units.hook_name if self.units is not None else mlp_hook_name(layer)

    def _unit_values(self, value: torch.Tensor) -> torch.Tensor:
        """The hook's value [..., d] as unit activations [..., n_units]."""
        return self.units.encode(value) if self.units is not None else value

    @torch.inference_mode()
    def unit_activations(
        self, batch: TokenBatch, layers: Sequence[int], *, native: bool = False
    ) -> dict[int, torch.Tensor]:
        """Activations of every unit of `layers`: {layer: float32 [B, T, n_units]} on CPU.

        T is the longest sequence (BOS excluded); positions past a sequence's end are 0.
        `native`: in the number format the pass computed them in (bfloat16 values are
        exact in bfloat16: half the memory of float32 for the same numbers).
        """
        for layer in layers:
            self.check_layer(layer)
        tokens, lengths = self._pad(batch)
        if tokens.shape[1] == 0 or not layers:
            return {layer: torch.zeros(len(lengths), 0, self.n_units) for layer in layers}
        offset = tokens.shape[1] - int(lengths.max()) if len(lengths) else 0
        captured: dict[int, torch.Tensor] = {}

        def reader(layer: int) -> Callable[[torch.Tensor], None]:
            def read(value: torch.Tensor) -> None:
                values = self._unit_values(value[:, offset:, :])
                captured[layer] = values if native else values.float()

            return read

        self._run_until(tokens, {layer: reader(layer) for layer in layers})
        padding = torch.arange(int(lengths.max()))[None, :] >= lengths[:, None]
        if native:  # (in place: the pass that read these values is over)
            for values in captured.values():
                values.masked_fill_(padding[:, :, None].to(values.device), 0)
            return {layer: captured.pop(layer).cpu() for layer in layers}
        valid = (~padding).to(torch.float32)
        return {layer: (captured[layer].cpu() * valid[:, :, None]) for layer in layers}

    @torch.inference_mode()
    def gather_activations(
        self,
        batch: TokenBatch,
        layer: int,
        rows: Sequence[int] | torch.Tensor,
        positions: Sequence[int] | torch.Tensor,
        units: Sequence[int] | torch.Tensor,
    ) -> torch.Tensor:
        """float32 [R]: activation of unit `units[r]` at position `positions[r]` of
        sequence `rows[r]` of the batch.

        The workhorse of prune, saliency and augmentation: one sequence answers any number of
        (position, unit) requests, of any units, and only those values leave the pass.
        """
        self.check_layer(layer)
        tokens, lengths = self._pad(batch)
        row_index = torch.as_tensor(rows, dtype=torch.long)
        position = torch.as_tensor(positions, dtype=torch.long)
        unit = torch.as_tensor(units, dtype=torch.long)
        if len(row_index) and bool((position >= lengths[row_index]).any()):
            raise ValueError("a requested position is past the end of its sequence")
        offset = tokens.shape[1] - int(lengths.max()) if len(lengths) else 0
        out = torch.zeros(len(row_index), dtype=torch.float32)
        if len(row_index) == 0:
            return out

        self._run_until(tokens, {layer: self._reader(out, row_index, position + offset, unit)})
        return out

    def _reader(
        self, out: torch.Tensor, rows: torch.Tensor, positions: torch.Tensor, units: torch.Tensor
    ) -> Callable[[torch.Tensor], None]:
        """A hook reader copying unit `units[r]` at `positions[r]` of row `rows[r]` to `out`."""

        def read(value: torch.Tensor) -> None:
            if self.units is None:
                out.copy_(value[rows, positions, units].float().cpu())
            else:  # encode each requested token once, however many latents it answers
                flat = rows * value.shape[1] + positions
                tokens_asked, which = torch.unique(flat, return_inverse=True)
                latents = self.units.encode(value.reshape(-1, value.shape[-1])[tokens_asked])
                out.copy_(latents[which, units].float().cpu())

        return read

    # --- passes that reuse a prefix: n2g.models.prefix, bound as methods ---------------
    prefix_states = prefix.prefix_states
    gather_after_prefix = prefix.gather_after_prefix
    extend_states = prefix.extend_states

    def pivot_activations(
        self,
        batch: TokenBatch,
        layer: int,
        units: Sequence[int] | torch.Tensor,
        pivots: Sequence[int] | torch.Tensor,
    ) -> torch.Tensor:
        """float32 [B]: activation of unit `units[b]` at position `pivots[b]` of row b."""
        return self.gather_activations(batch, layer, range(len(batch)), pivots, units)
