"""`n2g record`: the top-k activating windows of every neuron of some layers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from n2g.cli.common import echo, one_line_errors
from n2g.cli.defaults import (
    SAE_HELP,
    DtypeOption,
    ExecutorOption,
    RayAddressOption,
    WorkersOption,
    cluster_of,
    help_of,
)
from n2g.cluster.executor import Executor
from n2g.models import OFFLINE_MODEL
from n2g.record.config import DEFAULT_CORPUS, RecordConfig
from n2g.selection import parse_layer_choice

if TYPE_CHECKING:
    from n2g.sae.spec import SAESpec

DEFAULTS = RecordConfig()


@one_line_errors
def record(
    model: str = typer.Option(OFFLINE_MODEL, help="model name, local HF folder, or TL name"),
    layers: str = typer.Option(
        None,
        help="layers to record: '0-3', '0,2' or 'all' \\[default: 0-3; with --sae, its layer]",
        show_default=False,
    ),
    corpus: str = typer.Option(
        DEFAULT_CORPUS,
        help="stdlib | python-docs | debian-handbook | a file or folder | a .jsonl file | "
        "hf:NAME[:SPLIT]",
    ),
    window: int = typer.Option(DEFAULTS.window, help=help_of(DEFAULTS, "window")),
    k: int = typer.Option(DEFAULTS.k, help=help_of(DEFAULTS, "k")),
    max_tokens: int = typer.Option(
        DEFAULTS.max_tokens, help="stop after this many tokens (0 = the whole corpus)"
    ),
    out: Path = typer.Option(Path("records"), help="output folder"),
    device: str = typer.Option("cpu", help="torch device"),
    dtype: str = DtypeOption,
    batch_size: int = typer.Option(DEFAULTS.batch_size, help=help_of(DEFAULTS, "batch_size")),
    cache_dir: Path | None = typer.Option(None, help="cache folder (default: N2G_CACHE_DIR)"),
    sae: str = typer.Option(None, "--sae", help=SAE_HELP, show_default=False),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
    executor: Executor = ExecutorOption,
    ray_address: str = RayAddressOption,
    workers: int = WorkersOption,
) -> None:
    """Record every neuron's top-k activating windows and max activation (resumable).

    With --sae, the latents of a sparse autoencoder on one hook instead of the MLP neurons
    (an L<layer>-<mlp|resid>-<N>x SAE is trained once on --corpus and cached).

    Examples: n2g record --layers 0-3 --corpus python-docs --out records

      n2g record --sae L3-mlp-8x --corpus python-docs --out records-sae

      n2g record --executor ray --ray-address auto --device cuda --out records
    """
    from n2g.cluster import dispatch
    from n2g.models import load_model
    from n2g.record.corpus import CorpusConfig, open_corpus
    from n2g.sae.spec import parse_sae_spec

    spec = parse_sae_spec(sae) if sae is not None else None  # a bad spec fails first
    chosen = parse_layer_choice(layers or "0-3")
    if spec is not None:
        chosen = _sae_layers(spec, layers)
    config = RecordConfig(window=window, k=k, batch_size=batch_size, max_tokens=max_tokens or None)
    # Open the corpus first: a missing corpus should fail before a model loads.
    source = open_corpus(CorpusConfig(spec=corpus, cache_dir=cache_dir))
    cluster = cluster_of(ray_address, workers)  # a bad value fails before the model loads
    n_layers = None if chosen is None else max(chosen) + 1
    neuron_model = load_model(
        model,
        n_layers=n_layers,
        device=device,
        cache_dir=cache_dir,
        dtype=dtype,
    )
    layer_list = chosen if chosen is not None else list(range(neuron_model.n_layers))
    unit = "neurons"
    if spec is not None:
        from n2g.sae.units import load_units

        units = load_units(
            spec, neuron_model, cache_dir=cache_dir, corpus=source, progress=not quiet
        )
        neuron_model, layer_list, unit = neuron_model.with_units(units), [units.layer], "latents"
    placement = dispatch.Placement(
        executor, cluster, spec=model, n_layers=n_layers, cache_dir=cache_dir
    )
    manifest = dispatch.record(
        neuron_model, source, layer_list, out, config, placement, progress=not quiet
    )
    echo(
        f"recorded {manifest.n_tokens:,} tokens ({manifest.n_windows:,} windows) for "
        f"{len(manifest.layers)} layer(s) x {manifest.n_units} {unit} -> {out}"
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
