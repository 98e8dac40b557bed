"""Training a transcoder on one block's MLP, offline: from the MLP's input to its output.

A transcoder is an SAE whose decoder predicts another hook than its encoder reads: here
the MLP's output (`blocks.L.hook_mlp_out`) from the MLP's input (`blocks.L.ln2.
hook_normalized`). Its latents are then a sparse, wide replacement of the MLP's neurons,
and n2g explains them as it explains neurons and SAE latents.

SAELens 6 can load and run transcoders (`Transcoder`, saved as architecture "transcoder")
but its trainer fits one hook to itself only, so this module holds a small training loop
of its own, kept to the choices of n2g's SAE training (n2g.sae.train) so that one
`SAETrainConfig` means the same for both:

- ReLU latents with an L1 penalty weighted by each latent's decoder norm, MSE summed over
  dimensions (SAELens' standard SAE loss and Anthropic's April 2024 update), the penalty
  ramped up over the first steps, Adam, the rate decayed linearly to 0 over the last ones;
- input and target each scaled so their mean norm is sqrt(width), estimated from the
  first batches; both scales are folded into the weights at the end, then the decoder's
  row norms into the encoder, so the saved transcoder reads and writes raw activations
  and each latent's decoder direction has unit norm (its activation is how much of that
  direction it writes);
- pairs come from one model pass each (n2g.sae.acts) and are shuffled together;
- deterministic for a seed (initialisation and shuffle), like the SAE's.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from n2g.errors import N2GError
from n2g.progress import progress_bar, training_label

if TYPE_CHECKING:
    import torch

    from n2g.models.base import NeuronModel
    from n2g.sae.spec import TrainedTranscoderSpec
    from n2g.sae.train import SAETrainConfig

DECODER_INIT_NORM = 0.1  # Anthropic's April 2024 update: decoder rows start this long


def _fresh(spec: TrainedTranscoderSpec, d_in: int, d_out: int, device: str) -> Any:
    """A SAELens `Transcoder` with n2g's initialisation (seeded by the caller)."""
    import torch
    from sae_lens import Transcoder, TranscoderConfig

    cfg = TranscoderConfig(
        d_in=d_in,
        d_sae=spec.expansion * d_in,
        d_out=d_out,
        dtype="float32",
        device=device,
        apply_b_dec_to_input=False,
    )
    transcoder = Transcoder(cfg)
    with torch.no_grad():
        rows = torch.randn(cfg.d_sae, d_out, device=device)
        transcoder.W_dec.copy_(rows / rows.norm(dim=1, keepdim=True) * DECODER_INIT_NORM)
    return transcoder


def _scale(batches: list[torch.Tensor], width: int, what: str) -> float:
    """The factor bringing the batches' mean norm to sqrt(width)."""
    import torch

    mean_norm = float(torch.cat(batches).norm(dim=-1).mean())
    if not mean_norm > 0:
        raise N2GError(f"the transcoder's {what} reads only zeros")
    return math.sqrt(width) / mean_norm


class _Schedule:
    """The L1 coefficient's warm-up and the learning rate's final decay, per step."""

    def __init__(self, config: SAETrainConfig) -> None:
        self.steps = config.steps
        self.l1 = config.l1_coefficient
        self.warm_up = int(config.l1_warm_up_fraction * self.steps)
        self.decay = int(config.lr_decay_fraction * self.steps)

    def l1_coefficient(self, step: int) -> float:
        return self.l1 * min(1.0, (step + 1) / self.warm_up) if self.warm_up else self.l1

    def lr_factor(self, step: int) -> float:
        left = self.steps - step
        return min(1.0, left / self.decay) if self.decay else 1.0


def _loss(transcoder: Any, x: torch.Tensor, y: torch.Tensor, l1: float) -> torch.Tensor:
    import torch

    latents = torch.relu(x @ transcoder.W_enc + transcoder.b_enc)
    recon = latents @ transcoder.W_dec + transcoder.b_dec
    mse = (recon - y).pow(2).sum(-1).mean()
    sparsity = (latents * transcoder.W_dec.norm(dim=1)).sum(-1).mean()
    return mse + l1 * sparsity


def _fold(transcoder: Any, scale_in: float, scale_out: float) -> None:
    """Make the trained weights read and write raw activations, decoder rows unit-norm."""
    import torch

    with torch.no_grad():
        transcoder.W_enc.mul_(scale_in)
        transcoder.W_dec.div_(scale_out)
        transcoder.b_dec.div_(scale_out)
    transcoder.fold_W_dec_norm()


def train_transcoder(
    spec: TrainedTranscoderSpec,
    model: NeuronModel,
    windows: Callable[[], Iterator[list[int]]],
    config: SAETrainConfig,
    *,
    progress: bool = True,
) -> Any:
    """Train the transcoder of `spec` on `model` from the training windows (`windows()`
    starts a pass over them); return SAELens' `Transcoder` (raw-activation weights,
    metadata set: save it with `save_model`)."""
    import torch

    from n2g.sae.acts import activation_batches, check_context, check_hook, hook_width

    hooks = [spec.hook_name, spec.hook_name_out]
    for hook in hooks:
        check_hook(model, hook)
    check_context(model, config.context)
    d_in, d_out = (hook_width(model, hook) for hook in hooks)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        transcoder = _fresh(spec, d_in, d_out, model.device)
    pairs = activation_batches(
        model,
        hooks,
        windows,
        batch_tokens=config.batch_size,
        windows_per_pass=config.windows_per_pass,
        buffer_tokens=config.buffer_batches * config.batch_size,
        generator=torch.Generator().manual_seed(config.seed),
    )
    schedule = _Schedule(config)
    optimizer = torch.optim.Adam(transcoder.parameters(), lr=config.lr)
    label = training_label("transcoder")
    total = config.steps * config.batch_size
    with progress_bar(label, total, "tokens", enabled=progress) as advance:
        first = list(itertools.islice(pairs, min(config.norm_batches, config.steps)))
        scale_in = _scale([b[:, :d_in] for b in first], d_in, f"input {spec.hook_name}")
        scale_out = _scale([b[:, d_in:] for b in first], d_out, f"target {spec.hook_name_out}")
        with torch.no_grad():  # start the bias at the mean target: no step spent finding it
            transcoder.b_dec.copy_(torch.cat([b[:, d_in:] for b in first]).mean(0) * scale_out)
        transcoder.train()
        feed = itertools.islice(itertools.chain(first, pairs), schedule.steps)
        for step, batch in enumerate(feed):
            batch = batch.to(model.device)
            for group in optimizer.param_groups:
                group["lr"] = config.lr * schedule.lr_factor(step)
            loss = _loss(
                transcoder,
                batch[:, :d_in] * scale_in,
                batch[:, d_in:] * scale_out,
                schedule.l1_coefficient(step),
            )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(transcoder.parameters(), 1.0)
            optimizer.step()
            advance(config.batch_size)
    transcoder.eval()
    _fold(transcoder, scale_in, scale_out)
    _set_metadata(transcoder, spec, model, config)
    return transcoder


def _set_metadata(
    transcoder: Any, spec: TrainedTranscoderSpec, model: NeuronModel, config: SAETrainConfig
) -> None:
    """What SAELens' loaders record for transcoders (hook_name in, hook_name_out out)."""
    metadata = transcoder.cfg.metadata
    metadata.hook_name = spec.hook_name
    metadata.hook_name_out = spec.hook_name_out
    metadata.model_name = model.name
    metadata.context_size = config.context
    metadata.prepend_bos = bool(model.prepend_bos and model.tokenizer.bos_token_id is not None)
    metadata.model_from_pretrained_kwargs = {}
