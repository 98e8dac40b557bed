"""Activations of one hook point over corpus windows: what an SAE is trained and scored on.

`NeuronModel` reads only MLP neurons (`mlp.hook_post`); an SAE reads any hook (MLP output,
residual stream). Like NeuronModel, a pass stops at the hook (it raises once the hook has
been read) and the BOS position is dropped: n2g never explains BOS, and its activations
are outliers (norms many times the rest) that would dominate an SAE's reconstruction loss.

`activation_batches` streams shuffled batches of token activations for training, cycling
over the corpus as often as needed; windows are cut by n2g.record.corpus, as `n2g record`
cuts them. A transcoder trains on pairs (the MLP's input and output): `hooks_activations`
reads several hooks in one pass, and the batches carry each token's pair side by side.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from n2g.errors import N2GError

if TYPE_CHECKING:
    import torch

    from n2g.models.base import NeuronModel

_BLOCK = re.compile(r"blocks\.(\d+)\.")


class _HookRead(Exception):
    """Ends a forward pass once the hook has been read."""


def hook_layer(hook_name: str) -> int:
    """The block index of a transformer_lens hook (`blocks.3.hook_mlp_out` -> 3)."""
    match = _BLOCK.match(hook_name)
    if match is None:
        raise N2GError(f"hook {hook_name!r} is not inside a block (blocks.<layer>....)")
    return int(match.group(1))


def check_hook(model: NeuronModel, hook_name: str) -> int:
    """The hook's layer, after checking the model has (and loaded) it; one-line errors."""
    layer = hook_layer(hook_name)
    try:
        model.check_layer(layer)
    except ValueError as exc:
        raise N2GError(str(exc)) from None
    if hook_name not in model.model.hook_dict:
        raise N2GError(f"model {model.name} has no hook {hook_name!r}")
    return layer


def hook_activations(
    model: NeuronModel, hook_name: str, windows: Sequence[Sequence[int]]
) -> torch.Tensor:
    """float32 [B, T, d] on CPU: the hook's value at every token of equal-length windows
    (BOS, when the model prepends one, is run but not returned)."""
    return hooks_activations(model, [hook_name], windows)[0]


def hooks_activations(
    model: NeuronModel, hook_names: Sequence[str], windows: Sequence[Sequence[int]]
) -> list[torch.Tensor]:
    """Each hook's float32 [B, T, d] on CPU from one pass (a transcoder's input and target
    together); the pass stops once every hook has been read."""
    import torch

    layer = max(hook_layer(name) for name in hook_names)
    tokens = torch.as_tensor([list(w) for w in windows], dtype=torch.long)
    bos = model.tokenizer.bos_token_id
    offset = 1 if model.prepend_bos and bos is not None else 0
    if bos is not None and offset:
        tokens = torch.cat([torch.full((len(tokens), 1), bos, dtype=torch.long), tokens], 1)
    captured: dict[str, torch.Tensor] = {}

    def read(value: torch.Tensor, hook: Any) -> None:
        captured[hook.name] = value[:, offset:].float().cpu()
        if len(captured) == len(set(hook_names)):
            raise _HookRead

    with torch.inference_mode(), contextlib.suppress(_HookRead):
        model.model.run_with_hooks(
            tokens.to(model.device),
            fwd_hooks=[(name, read) for name in dict.fromkeys(hook_names)],
            stop_at_layer=layer + 1,
        )
    missing = [name for name in hook_names if name not in captured]
    if missing:
        raise N2GError(f"hook {missing[0]!r} was not reached by a forward pass of {model.name}")
    return [captured[name] for name in hook_names]


def hook_width(model: NeuronModel, hook_name: str) -> int:
    """The hook's activation width (its last dimension), from a one-token pass."""
    value = hook_activations(model, hook_name, [[model.tokenizer.pad_token_id]])
    if value.dim() != 3:
        raise N2GError(f"hook {hook_name!r} is not one vector per token (shape {value.shape})")
    return int(value.shape[-1])


def check_context(model: NeuronModel, context: int) -> None:
    """A window plus BOS must fit the model's context."""
    n_ctx = int(model.model.cfg.n_ctx)
    room = n_ctx - (1 if model.prepend_bos and model.tokenizer.bos_token_id is not None else 0)
    if context > room:
        raise N2GError(f"context {context} is too long for {model.name}: at most {room} tokens")


def chunks(windows: Iterator[list[int]], size: int) -> Iterator[list[list[int]]]:
    """Consecutive lists of `size` windows (the last may be shorter)."""
    chunk: list[list[int]] = []
    for window in windows:
        chunk.append(window)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def activation_batches(
    model: NeuronModel,
    hook_name: str | Sequence[str],
    windows: Callable[[], Iterator[list[int]]],
    *,
    batch_tokens: int,
    windows_per_pass: int,
    buffer_tokens: int,
    generator: torch.Generator,
    on_tokens: Callable[[int], None] | None = None,
) -> Iterator[torch.Tensor]:
    """Endless float32 [batch_tokens, d] batches of the hook's activations, shuffled.

    `windows()` starts a fresh pass over the training windows (called again when one
    ends). Tokens of consecutive windows are alike, so batches come from a mixing buffer
    (as SAELens' own): fill it to `buffer_tokens`, shuffle, hand out its first half, keep
    the second half for the next round. `on_tokens(n)` is told of every n tokens read.
    Several hooks (a transcoder's input and target): each token's values, concatenated in
    the order given, so that a pair is shuffled together.
    """
    import torch

    if buffer_tokens < 2 * batch_tokens:
        raise N2GError("the shuffle buffer must hold at least two batches")
    buffer: torch.Tensor | None = None
    while True:
        produced = 0
        for chunk in chunks(windows(), windows_per_pass):
            names = [hook_name] if isinstance(hook_name, str) else list(hook_name)
            acts = torch.cat(hooks_activations(model, names, chunk), dim=-1)
            flat = acts.reshape(-1, acts.shape[-1])
            produced += len(flat)
            if on_tokens is not None:
                on_tokens(len(flat))
            buffer = flat if buffer is None else torch.cat([buffer, flat])
            if len(buffer) < buffer_tokens:
                continue
            buffer = buffer[torch.randperm(len(buffer), generator=generator)]
            half = (len(buffer) // 2 // batch_tokens) * batch_tokens
            yield from buffer[:half].split(batch_tokens)
            buffer = buffer[half:]
        if produced == 0:
            raise N2GError("the corpus has no training window (is it shorter than a window?)")
