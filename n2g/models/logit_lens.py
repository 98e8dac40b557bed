"""What a unit does, its output side: the tokens its write direction promotes and suppresses.

A unit writes into the residual stream along one direction: an MLP neuron along its row of
`W_out`, an SAE latent along its decoder row, a transcoder latent along its decoder row
(which predicts the MLP's output). Read straight through the unembedding, that direction
raises some tokens' logits and lowers others': Neuronpedia's "top positive / negative
logits", the logit lens of a write direction. It is the *direct path* alone: every later
layer, and the final norm's division by the residual's scale (which depends on the whole
input), are left out. The values are what one unit of activation adds to each logit on
that path, comparable within a unit, not a prediction of the model's output.

The final norm is folded as transformer_lens folds it (`fold_ln`, `center_unembed`), so a
model loaded either way gives the same answer:

- its scale (`ln_final.w`, present only where it was not folded into `W_U` already, as in
  the tiny models built in code) multiplies the rows of `W_U`; its bias adds the same to
  every direction's logits and so is no part of what a unit does;
- a LayerNorm (GPT-2 style: `LN`, or `LNPre` once folded) subtracts the residual's mean
  before anything else, so the direction is centred first; an RMSNorm (SmolLM2, Llama)
  does not centre, and neither is its direction;
- the logits are centred over the vocabulary (transformer_lens' `center_unembed`: a shift
  common to all tokens, which softmax ignores). On a model loaded with LayerNorm folded
  (every loader of n2g.models) the unembedding is centred already and this changes nothing.

Only ids the tokenizer names are ranked (a model's vocabulary may be padded past them).

All units of a layer go through one matrix product a slice (`units_per_pass` directions
times `W_U`), never one unit at a time: a SmolLM2 layer is 1,536 neurons x 49,152 tokens,
so the slices keep memory bounded while the product stays one BLAS call
(bench/output_tokens.py times it against the plain loop, n2g.testing.output_tokens).
The float32 unembedding is kept per model (a bfloat16 model's would otherwise be
converted for every batch of a build).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import torch
from transformer_lens import HookedTransformer

from n2g.graph.model import OutputTokens, TokenLogits
from n2g.models.base import NeuronModel

DEFAULT_K = 10
UNITS_PER_PASS = 256  # directions a product: 256 x 49,152 float32 logits = 50 MB
_CENTRED_NORMS = ("LN", "LNPre")  # norms that subtract the residual's mean

_unembeddings: weakref.WeakKeyDictionary[HookedTransformer, tuple[tuple, torch.Tensor]] = (
    weakref.WeakKeyDictionary()
)


def _weights_state(hooked: HookedTransformer) -> tuple:
    """What the kept unembedding was made from: a cast, a relayout, folding or any
    in-place change of `W_U` or the final norm (a tensor's version) makes it stale."""
    scale = getattr(hooked.ln_final, "w", None)
    parts = [(t.data_ptr(), t._version, str(t.dtype)) for t in (hooked.W_U, scale) if t is not None]
    return (id(hooked.ln_final), *parts)


def folded_unembedding(model: NeuronModel) -> torch.Tensor:
    """float32 [d_model, d_vocab]: `W_U` with the final norm's scale folded in (when the
    loader has not folded it); kept per model while its weights stay the same."""
    hooked = model.model
    state = _weights_state(hooked)
    kept = _unembeddings.get(hooked)
    if kept is not None and kept[0] == state:
        return kept[1]
    with torch.no_grad():
        unembed = hooked.W_U.detach().float()
        scale = getattr(hooked.ln_final, "w", None)
        if isinstance(scale, torch.Tensor):
            unembed = unembed * scale.detach().float()[:, None]
        unembed = unembed.contiguous()
    _unembeddings[hooked] = (state, unembed)
    return unembed


def n_named_tokens(model: NeuronModel) -> int:
    """The ids ranked: those of the unembedding that the tokenizer names."""
    return min(int(model.model.cfg.d_vocab), int(model.tokenizer.vocab_size))


def write_directions(model: NeuronModel, layer: int, units: Sequence[int]) -> torch.Tensor | None:
    """float32 [len(units), d_model]: where each unit of `layer` writes into the residual
    stream, per unit of its activation; None for a unit set whose decoder writes elsewhere
    (an SAE of another hook than the residual stream, the MLP's output or its neurons)."""
    model.check_layer(layer)
    index = torch.as_tensor(list(units), dtype=torch.long)
    mlp_out = model.model.blocks[layer].mlp.W_out.detach()  # [d_mlp, d_model]
    if model.units is None:
        return mlp_out[index.to(mlp_out.device)].float()
    decoder = getattr(getattr(model.units, "sae", None), "W_dec", None)
    if not isinstance(decoder, torch.Tensor):
        return None
    rows = decoder.detach()[index.to(decoder.device)].float()
    d_model = int(model.model.cfg.d_model)
    if rows.shape[-1] == d_model:
        return rows.to(mlp_out.device)
    if rows.shape[-1] == mlp_out.shape[0] and model.units.hook_name.endswith("mlp.hook_post"):
        return rows.to(mlp_out.device) @ mlp_out.float()  # through the neurons' own W_out
    return None


def direction_logits(model: NeuronModel, directions: torch.Tensor) -> torch.Tensor:
    """float32 [U, n_tokens]: the direct logit effect of each direction [U, d_model] (the
    final norm folded as the module says)."""
    unembed = folded_unembedding(model)
    directions = directions.to(unembed.device, torch.float32)
    if model.model.cfg.normalization_type in _CENTRED_NORMS:
        directions = directions - directions.mean(dim=-1, keepdim=True)
    logits = directions @ unembed
    logits -= logits.mean(dim=-1, keepdim=True)  # over the whole vocabulary, as TL centres
    return logits[:, : n_named_tokens(model)]


def _side(model: NeuronModel, ids: list[int], values: list[float]) -> TokenLogits:
    return TokenLogits(token_ids=ids, tokens=model.token_strings(ids), logits=values)


def output_tokens(
    model: NeuronModel,
    layer: int,
    units: Sequence[int],
    k: int = DEFAULT_K,
    *,
    units_per_pass: int = UNITS_PER_PASS,
) -> list[OutputTokens] | None:
    """Each unit's `k` most promoted and `k` most suppressed tokens, in `units`' order;
    None where the unit set writes no residual direction (`write_directions`).

    One matrix product per `units_per_pass` units; only the top-k leave the device.
    Ties are broken by the lower id (a stable order on every machine)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    units = list(units)
    out: list[OutputTokens] = []
    with torch.inference_mode():
        for begin in range(0, len(units), units_per_pass):
            chunk = units[begin : begin + units_per_pass]
            directions = write_directions(model, layer, chunk)
            if directions is None:
                return None
            logits = direction_logits(model, directions)
            top = min(k, logits.shape[-1])
            high = _top(logits, top)
            low_values, low_ids = _top(-logits, top)
            high_values, high_ids = high
            for row in range(len(chunk)):
                out.append(
                    OutputTokens(
                        promoted=_side(model, high_ids[row], high_values[row]),
                        suppressed=_side(model, low_ids[row], [-v for v in low_values[row]]),
                    )
                )
    return out


def _top(logits: torch.Tensor, k: int) -> tuple[list[list[float]], list[list[int]]]:
    """The k largest values of each row and their ids, ties by the lower id."""
    values, ids = torch.topk(logits, k, dim=-1, sorted=True)
    # torch.topk orders ties arbitrarily: sort each row by (value desc, id asc) on the CPU.
    rows_values, rows_ids = values.cpu().tolist(), ids.cpu().tolist()
    ranked = [
        sorted(zip(v, i, strict=True), key=lambda pair: (-pair[0], pair[1]))
        for v, i in zip(rows_values, rows_ids, strict=True)
    ]
    return [[v for v, _ in r] for r in ranked], [[i for _, i in r] for r in ranked]
