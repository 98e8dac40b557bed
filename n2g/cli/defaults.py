"""Option defaults and help texts read from the config objects, so each is written once."""

from __future__ import annotations

from typing import Any

import typer
from pydantic import BaseModel

from n2g.cluster.executor import ClusterConfig, Executor
from n2g.errors import N2GError
from n2g.models.dtype import DEFAULT_DTYPE, DTYPE_HELP

SAE_HELP = (
    "record the latents of an SAE instead of MLP neurons: L<layer>-<mlp|resid>-<N>x[-topk<k>] "
    "(trained here once; L<layer>-tc-<N>x: a transcoder of that MLP), path:FOLDER (SAELens "
    "format) or release:RELEASE/ID (SAELens, hub)"
)
TRANSCODER_HELP = (
    "also explain a transcoder's latents (it reads an MLP's input and predicts its output): "
    "L<layer>-tc-<N>x (trained here once), path:FOLDER (SAELens format) or "
    "release:RELEASE/ID; compared with its layer's neurons (and the SAE's latents)"
)


# record, build and run: the number format of the model's passes (n2g.models.dtype).
DtypeOption = typer.Option(DEFAULT_DTYPE, "--dtype", help=DTYPE_HELP)


def default_of(config: type[BaseModel] | BaseModel, name: str) -> Any:
    """The default of field `name`: a config class's own, or an instance's value."""
    if isinstance(config, BaseModel):
        return getattr(config, name)
    return config.model_fields[name].get_default(call_default_factory=True)


def help_of(config: type[BaseModel] | BaseModel, name: str) -> str | None:
    """The field's description, for the option's help text."""
    cls = type(config) if isinstance(config, BaseModel) else config
    return cls.model_fields[name].description


def given(**values: Any) -> dict[str, Any]:
    """The options the user set (not None), as config overrides."""
    return {name: value for name, value in values.items() if value is not None}


def either(on: bool | None, off: bool, on_name: str, off_name: str) -> bool | None:
    """A flag and its opposite read as one setting: True, False, or None when neither is
    given (the method's setting stands)."""
    if on and off:
        raise N2GError(f"give {on_name} or {off_name}, not both")
    return False if off else on


# record, build and run: where the stage runs (n2g.cluster).
ExecutorOption = typer.Option(
    Executor.local,
    "--executor",
    help="local (this process) | ray (a Ray cluster; pip install 'neuron2graph\\[ray]')",
)
RayAddressOption = typer.Option(
    None,
    "--ray-address",
    help=f"{help_of(ClusterConfig, 'address')}; with --executor ray",
    show_default=False,
)
WorkersOption = typer.Option(
    None,
    "--workers",
    help=f"{help_of(ClusterConfig, 'workers')}; with --executor ray",
    show_default=False,
)


def cluster_of(address: str | None, workers: int | None) -> ClusterConfig:
    """The Ray settings of the options (N2GError for a bad value)."""
    from pydantic import ValidationError

    try:
        return ClusterConfig(address=address, workers=workers)
    except ValidationError as exc:
        raise N2GError(f"--workers must be at least 1: {exc.errors()[0]['msg']}") from None
