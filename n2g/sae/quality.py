"""How well an SAE reconstructs its hook on held-out windows (quality.json).

Three numbers a reader of an SAE latent's graph needs to trust the latent at all:

- explained variance, pooled over dimensions: 1 - Var(x - x̂) / Var(x), each Var the
  sum over dimensions of that dimension's variance over tokens (1 = perfect, 0 = no better
  than the mean activation; negative = worse); for a transcoder, x is its target (the
  MLP's output) and x̂ its prediction from the MLP's input;
- mean L0: latents active (> 0) per token;
- dead share: latents never active on any held-out token.

Accumulated in float64 over batches, so any number of held-out tokens fits in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from n2g.errors import N2GError
from n2g.files import write_text_atomic

if TYPE_CHECKING:
    import torch

    from n2g.sae.units import SAEUnits

QUALITY_FILE = "quality.json"


class SAEQuality(BaseModel):
    """Reconstruction quality of one SAE on held-out tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    explained_variance: float = Field(le=1.0)
    mean_l0: float = Field(ge=0.0)
    dead_fraction: float = Field(ge=0.0, le=1.0)
    n_tokens: int = Field(ge=1)
    d_sae: int = Field(ge=1)


class _Moments:
    """Per-dimension sums of x and x² (float64) for a pooled variance."""

    def __init__(self) -> None:
        self.total: torch.Tensor | None = None
        self.squares: torch.Tensor | None = None
        self.count = 0

    def add(self, x: torch.Tensor) -> None:
        x = x.double()
        total, squares = x.sum(0), (x * x).sum(0)
        self.total = total if self.total is None else self.total + total
        self.squares = squares if self.squares is None else self.squares + squares
        self.count += len(x)

    def variance(self) -> float:
        """Sum over dimensions of each dimension's variance (population)."""
        assert self.total is not None and self.squares is not None
        mean = self.total / self.count
        return float((self.squares / self.count - mean * mean).clamp(min=0).sum())


def measure_quality(
    units: SAEUnits, batches: Iterable[torch.Tensor | Sequence[torch.Tensor]]
) -> SAEQuality:
    """Quality of `units` over batches of activations [..., d_in] of its hook (a tensor or
    a 1-tuple), or over (input, target) pairs for a transcoder (target [..., d_out])."""
    import torch

    inputs, residuals = _Moments(), _Moments()
    ever_active = torch.zeros(units.n_units, dtype=torch.bool)
    active = 0
    for batch in batches:
        pair = [batch] if isinstance(batch, torch.Tensor) else list(batch)
        source, target = pair[0], pair[-1]  # an SAE's target is its input
        x = source.reshape(-1, source.shape[-1]).float()
        y = target.reshape(-1, target.shape[-1]).float()
        if len(x) == 0:
            continue
        latents = units.encode(x)
        recon = units.decode(latents)
        firing = latents > 0
        active += int(firing.sum())
        ever_active |= firing.any(0).cpu()
        inputs.add(y)
        residuals.add(y - recon.to(y.device, torch.float32))
    if inputs.count == 0:
        raise N2GError(f"no held-out tokens to measure {units.name} on")
    variance = inputs.variance()
    explained = 1.0 - residuals.variance() / variance if variance > 0 else 0.0
    return SAEQuality(
        explained_variance=min(explained, 1.0),
        mean_l0=active / inputs.count,
        dead_fraction=float((~ever_active).float().mean()),
        n_tokens=inputs.count,
        d_sae=units.n_units,
    )


def save_quality(folder: Path, quality: SAEQuality) -> Path:
    path = folder / QUALITY_FILE
    write_text_atomic(path, quality.model_dump_json(indent=2) + "\n")
    return path


def load_quality(folder: Path) -> SAEQuality | None:
    """The SAE's saved quality; None when none was measured (a `path:` or release SAE)."""
    path = folder / QUALITY_FILE
    if not path.is_file():
        return None
    try:
        return SAEQuality.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        raise N2GError(
            f"{path} is unreadable; delete it (or its folder) to measure again"
        ) from None
