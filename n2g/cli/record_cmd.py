"""`n2g record`: the top-k activating windows of every neuron of some layers."""

from __future__ import annotations

from pathlib import Path

import typer

from n2g.cli.common import one_line_errors, parse_layer_choice
from n2g.cli.defaults import help_of
from n2g.models import OFFLINE_MODEL
from n2g.record.config import RecordConfig

DEFAULTS = RecordConfig()


@one_line_errors
def record(
    model: str = typer.Option(OFFLINE_MODEL, help="model name, local HF folder, or TL name"),
    layers: str = typer.Option("0-3", help="layers to record: '0-3', '0,2' or 'all'"),
    corpus: str = typer.Option(
        "stdlib", help="stdlib | python-docs | a file or folder | a .jsonl file | hf:NAME[:SPLIT]"
    ),
    window: int = typer.Option(DEFAULTS.window, help=help_of(DEFAULTS, "window")),
    k: int = typer.Option(DEFAULTS.k, help=help_of(DEFAULTS, "k")),
    max_tokens: int = typer.Option(
        DEFAULTS.max_tokens, help="stop after this many tokens (0 = the whole corpus)"
    ),
    out: Path = typer.Option(Path("records"), help="output folder"),
    device: str = typer.Option("cpu", help="torch device"),
    batch_size: int = typer.Option(DEFAULTS.batch_size, help=help_of(DEFAULTS, "batch_size")),
    cache_dir: Path | None = typer.Option(None, help="cache folder (default: N2G_CACHE_DIR)"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
) -> None:
    """Record every neuron's top-k activating windows and max activation (resumable)."""
    from n2g.models import load_model
    from n2g.record.corpus import CorpusConfig, open_corpus
    from n2g.record.recorder import record_stage

    chosen = parse_layer_choice(layers)
    config = RecordConfig(window=window, k=k, batch_size=batch_size, max_tokens=max_tokens or None)
    # Open the corpus first: a missing corpus should fail before a model loads.
    source = open_corpus(CorpusConfig(spec=corpus, cache_dir=cache_dir))
    neuron_model = load_model(
        model,
        n_layers=None if chosen is None else max(chosen) + 1,
        device=device,
        cache_dir=cache_dir,
    )
    layer_list = chosen if chosen is not None else list(range(neuron_model.n_layers))
    manifest = record_stage(neuron_model, source, layer_list, out, config, progress=not quiet)
    typer.echo(
        f"recorded {manifest.n_tokens:,} tokens ({manifest.n_windows:,} windows) for "
        f"{len(manifest.layers)} layer(s) x {manifest.d_mlp} neurons -> {out}"
    )


def register(app: typer.Typer) -> None:
    """Add `n2g record` to the app."""
    app.command("record")(record)
