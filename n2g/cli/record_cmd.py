"""`n2g record`: the top-k activating windows of every neuron of some layers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from n2g.cli.common import echo, one_line_errors
from n2g.cli.options import NOTHING, Explicit, field_option, settings_options
from n2g.cli.stage_options import (
    LOCAL,
    RECORD_PANEL,
    RECORD_SETTINGS,
    RUN,
    SAE_HELP,
    DeviceOption,
    DtypeOption,
    ExecutorFlags,
    MethodOption,
    ModelOption,
    PrintSettingsOption,
    executor_options,
    print_settings,
)
from n2g.record.config import DEFAULT_LAYERS, RecordConfig
from n2g.run.method import Method, settle
from n2g.selection import format_layers, parse_layer_choice

if TYPE_CHECKING:
    from n2g.sae.spec import SAESpec

LAYERS_HELP = (
    "layers to record: '0-3', '0,2' or 'all' "
    f"\\[default: {format_layers(list(DEFAULT_LAYERS))}; with --sae, its layer]"
)


@one_line_errors
@executor_options
@settings_options("settings", RecordConfig(), list(RECORD_SETTINGS.values()), RECORD_PANEL)
def record(
    model: ModelOption = RUN.model,
    layers: Annotated[str | None, typer.Option(help=LAYERS_HELP, show_default=False)] = None,
    corpus: Annotated[str, field_option(RUN, "corpus")] = RUN.corpus,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("records"),
    device: DeviceOption = RUN.device,
    dtype: DtypeOption = RUN.dtype,
    cache_dir: Annotated[
        Path | None, typer.Option(help="cache folder (default: N2G_CACHE_DIR)")
    ] = None,
    sae: Annotated[str | None, typer.Option("--sae", help=SAE_HELP, show_default=False)] = None,
    method: MethodOption = Method.N2G,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
    show_settings: PrintSettingsOption = False,
    settings: Explicit = NOTHING,
    executor_flags: ExecutorFlags = LOCAL,
) -> None:
    """Record every neuron's top-k activating windows and max activation (resumable).

    With --sae, the latents of a sparse autoencoder on one hook instead of the MLP neurons
    (an L<layer>-<mlp|resid>-<N>x SAE is trained once on --corpus and cached).

    Examples: n2g record --layers 0-3 --corpus python-docs --out records

      n2g record --sae L3-mlp-8x --corpus python-docs --out records-sae

      n2g record --executor ray --ray-address auto --device cuda --out records
    """
    from n2g import stages
    from n2g.record.corpus import CorpusConfig, open_corpus
    from n2g.sae.spec import parse_sae_spec

    config = settle(RecordConfig(), method, settings)
    if show_settings:
        print_settings(config)
        return
    spec = parse_sae_spec(sae) if sae is not None else None  # a bad spec fails first
    chosen = parse_layer_choice(layers) if layers else list(DEFAULT_LAYERS)
    if spec is not None:
        chosen = _sae_layers(spec, layers)
    # Open the corpus first: a missing corpus should fail before a model loads.
    source = open_corpus(CorpusConfig(spec=corpus, cache_dir=cache_dir))
    units = stages.open_model(
        model,
        chosen,
        device=device,
        dtype=dtype,
        cache_dir=cache_dir,
        executor=executor_flags.executor,
        cluster=executor_flags.cluster,
    )
    if spec is not None:
        units = stages.add_unit_set(
            units, spec, corpus=source, progress=not quiet, cache_dir=cache_dir
        )
    manifest = stages.record(units, source, out, config, progress=not quiet)
    echo(
        f"recorded {manifest.n_tokens:,} tokens ({manifest.n_windows:,} windows) for "
        f"{len(manifest.layers)} layer(s) x {manifest.n_units} {units.noun} -> {out}"
    )


def _sae_layers(spec: SAESpec, layers: str | None) -> list[int] | None:
    """The layers to load for an SAE: its own (known from an L.. spec), else all up to
    the one its metadata names (None: the whole model)."""
    from n2g.errors import N2GError

    if spec.known_layer is not None:
        if layers is not None and parse_layer_choice(layers) != [spec.known_layer]:
            raise N2GError(f"--layers {layers}: SAE {spec.name} reads layer {spec.known_layer}")
        return [spec.known_layer]
    if layers is not None:
        raise N2GError("--layers with --sae: the SAE's hook decides the layer; leave it out")
    return None


def register(app: typer.Typer) -> None:
    """Add `n2g record` to the app."""
    app.command("record")(record)
