"""What a Ray worker needs to load the model the driver loaded: a small picklable recipe.

A worker is another process, often on another machine: it cannot share the driver's
model object, so it loads the same model again from the same arguments. The number format
is the driver's resolved one (never `auto`), so a worker on another kind of CPU computes
as the driver does, and an SAE is named by its spec (the workers read it from the cache
the driver trained it into, which must be a shared folder on a multi-machine cluster).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from n2g.models.base import NeuronModel


class ModelRecipe(BaseModel):
    """The arguments of `load_model` (and the SAE whose latents are the units)."""

    model_config = ConfigDict(frozen=True)

    name: str
    n_layers: int | None = None
    device: str = "cpu"
    dtype: str = "float32"
    units: str | None = None
    cache_dir: str | None = None

    @classmethod
    def of(
        cls, model: NeuronModel, spec: str, n_layers: int | None, cache_dir: Path | None = None
    ) -> ModelRecipe:
        """The recipe of a loaded model (`spec`: the name it was loaded by)."""
        return cls(
            name=spec,
            n_layers=n_layers,
            device=str(model.device),
            dtype=model.dtype,
            units=model.unit_set_spec,
            cache_dir=None if cache_dir is None else str(cache_dir),
        )

    def load(self) -> NeuronModel:
        from n2g.models import load_model

        cache = None if self.cache_dir is None else Path(self.cache_dir)
        model = load_model(
            self.name, n_layers=self.n_layers, device=self.device, cache_dir=cache, dtype=self.dtype
        )
        if self.units is not None:
            from n2g.sae.units import load_units

            model = model.with_units(load_units(self.units, model, cache_dir=cache, progress=False))
        return model
