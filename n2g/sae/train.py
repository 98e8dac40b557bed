"""Training an SAE on one hook of the model, offline, with SAELens' own trainer.

SAELens' `SAETrainer` is fed an iterator of activation batches (n2g.sae.acts), computed
from the NeuronModel over corpus windows cut as `n2g record` cuts them. This route needs
neither the Hugging Face hub nor SAELens' language-model runner (which would want an HF
tokenizer or a dataset object), writes nothing but the caller's folder, and never starts
wandb (`SAETrainerConfig` leaves it off and has no checkpoint folder).

The loop is SAELens' `fit()` driven through the trainer's public seams (`step`,
`maybe_reset_sparsity`, `set_final_sae_metadata`, as its MultiSAETrainer does) so that
n2g's own progress bar is shown instead of tqdm's. Activations are scaled so their mean
norm is sqrt(d_in) (SAELens' `expected_average_only_in`, estimated from the first
batches), which makes one L1 coefficient mean the same at every site and model; the
scale is folded into the weights at the end, so the saved SAE reads raw activations.
Deterministic for a seed (weights' initialisation and the shuffle).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from n2g.errors import N2GError
from n2g.progress import progress_bar, training_label

if TYPE_CHECKING:
    from n2g.models.base import NeuronModel
    from n2g.sae.spec import TrainedSAESpec


class SAETrainConfig(BaseModel):
    """How n2g trains an SAE (the L<layer>-<site>-<N>x specs).

    The defaults are sized for SmolLM2-135M layer 3 MLP-out at 8x (576 -> 4,608 latents)
    on a 2-core CPU. Measured on one busy core: the model's pass through layers 0-3 reads
    ~2,500 tokens/s and a training step ~2,650 tokens/s, so 524,288 tokens take ~7 min
    there and ~3-4 min on two idle cores (1M tokens: twice that). The L1 coefficient and
    learning rate follow Anthropic's April 2024 update (inputs at norm sqrt(d_in)), with a
    higher rate for so short a run; they are not yet validated by a full-size training.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    training_tokens: int = Field(default=524_288, ge=1, description="tokens the SAE sees")
    batch_size: int = Field(default=1024, ge=1, description="tokens per training step")
    lr: float = Field(default=1e-3, gt=0, description="Adam learning rate")
    lr_decay_fraction: float = Field(
        default=0.2, ge=0, lt=1, description="share of steps at the end decaying lr to 0"
    )
    l1_coefficient: float = Field(
        default=5.0, ge=0, description="L1 penalty of standard SAEs (activations at norm √d)"
    )
    l1_warm_up_fraction: float = Field(
        default=0.05, ge=0, lt=1, description="share of steps ramping the L1 penalty up"
    )
    dead_window_steps: int = Field(
        default=100, ge=1, description="steps without firing before TopK's aux loss revives"
    )
    context: int = Field(default=128, ge=2, description="tokens per corpus window")
    windows_per_pass: int = Field(default=16, ge=1, description="windows per model pass")
    buffer_batches: int = Field(default=16, ge=2, description="shuffle buffer, in batches")
    norm_batches: int = Field(default=8, ge=1, description="batches to estimate the scale")
    eval_tokens: int = Field(default=16_384, ge=1, description="held-out tokens for quality")
    seed: int = Field(default=0, description="seeds initialisation and shuffling")

    @property
    def steps(self) -> int:
        return max(1, self.training_tokens // self.batch_size)

    @property
    def eval_windows(self) -> int:
        return math.ceil(self.eval_tokens / self.context)


def _training_sae(spec: TrainedSAESpec, d_in: int, config: SAETrainConfig, device: str) -> Any:
    """A fresh SAELens training SAE of the spec's architecture (seeded by the caller)."""
    from sae_lens import (
        StandardTrainingSAE,
        StandardTrainingSAEConfig,
        TopKTrainingSAE,
        TopKTrainingSAEConfig,
    )

    common: dict[str, Any] = {
        "d_in": d_in,
        "d_sae": spec.expansion * d_in,
        "dtype": "float32",
        "device": device,
        "normalize_activations": "expected_average_only_in",
    }
    if spec.topk is not None:
        if spec.topk > common["d_sae"]:
            raise N2GError(f"topk {spec.topk} is more than the SAE's {common['d_sae']} latents")
        return TopKTrainingSAE(TopKTrainingSAEConfig(k=spec.topk, **common))
    warm_up = int(config.l1_warm_up_fraction * config.steps)
    return StandardTrainingSAE(
        StandardTrainingSAEConfig(
            l1_coefficient=config.l1_coefficient, l1_warm_up_steps=warm_up, **common
        )
    )


def train_sae(
    spec: TrainedSAESpec,
    model: NeuronModel,
    windows: Callable[[], Iterator[list[int]]],
    config: SAETrainConfig,
    *,
    progress: bool = True,
) -> Any:
    """Train the SAE of `spec` on `model`, reading the training windows from `windows()`
    (called again for each pass over them); return SAELens' trained SAE (`TrainingSAE`,
    activation scale folded in, metadata set: save it with `save_inference_model`)."""
    import torch
    from sae_lens import SAETrainer
    from sae_lens.config import SAETrainerConfig

    from n2g.sae.acts import activation_batches, check_context, check_hook, hook_width

    check_hook(model, spec.hook_name)
    check_context(model, config.context)
    d_in = hook_width(model, spec.hook_name)
    steps = config.steps
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        sae = _training_sae(spec, d_in, config, model.device)
    trainer = SAETrainer(
        cfg=SAETrainerConfig(
            total_training_samples=steps * config.batch_size,
            train_batch_size_samples=config.batch_size,
            lr=config.lr,
            lr_end=config.lr,  # the constant schedule decays from lr itself
            lr_decay_steps=int(config.lr_decay_fraction * steps),
            dead_feature_window=config.dead_window_steps,
            device=model.device,
        ),
        sae=sae,
        data_provider=iter(()),  # fed batch by batch below
    )
    batches = activation_batches(
        model,
        spec.hook_name,
        windows,
        batch_tokens=config.batch_size,
        windows_per_pass=config.windows_per_pass,
        buffer_tokens=config.buffer_batches * config.batch_size,
        generator=torch.Generator().manual_seed(config.seed),
    )
    label = training_label("SAE")
    with progress_bar(label, steps * config.batch_size, "tokens", enabled=progress) as advance:
        first = list(itertools.islice(batches, min(config.norm_batches, steps)))
        mean_norm = torch.cat(first).norm(dim=-1).mean().item()
        if not mean_norm > 0:
            raise N2GError(f"hook {spec.hook_name} of {model.name} reads only zeros")
        trainer.activation_scaler.scaling_factor = math.sqrt(d_in) / mean_norm
        feed = itertools.chain(first, batches)
        while trainer.n_training_samples < trainer.cfg.total_training_samples:
            trainer.maybe_reset_sparsity()
            trainer.step(next(feed))
            trainer.n_training_steps += 1
            advance(config.batch_size)
    sae.fold_activation_norm_scaling_factor(trainer.activation_scaler.scaling_factor)
    trainer.activation_scaler.scaling_factor = None
    trainer.set_final_sae_metadata()
    _set_metadata(sae, spec, model, config)
    return sae


def _set_metadata(
    sae: Any, spec: TrainedSAESpec, model: NeuronModel, config: SAETrainConfig
) -> None:
    """What SAELens' own runner records, so SAELens users can tell how to feed the SAE."""
    metadata = sae.cfg.metadata
    metadata.hook_name = spec.hook_name
    metadata.model_name = model.name
    metadata.context_size = config.context
    metadata.prepend_bos = bool(model.prepend_bos and model.tokenizer.bos_token_id is not None)
    metadata.model_from_pretrained_kwargs = {}
