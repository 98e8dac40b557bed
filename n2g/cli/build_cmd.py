"""`n2g build`: N2G graphs for a model's neurons from a records folder, into a graph file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from n2g.builder.config import BuildConfig
from n2g.cli.common import echo, one_line_errors
from n2g.cli.options import NOTHING, Explicit, settings_options
from n2g.cli.stage_options import (
    BUILD_PANEL,
    BUILD_SETTINGS,
    LOCAL,
    RUN,
    DeviceOption,
    DtypeOption,
    ExecutorFlags,
    MethodOption,
    PrintSettingsOption,
    executor_options,
    print_settings,
)
from n2g.errors import N2GError
from n2g.run.method import Method, settle
from n2g.selection import parse_layer_choice, parse_neurons

if TYPE_CHECKING:
    from n2g.builder.stage import Shard

SHARD_HELP = "i/n: this machine's share \\[default: the Slurm array task's, else 0/1]"


def _shard(flag: str | None) -> Shard:
    """--shard when given, else this Slurm array task's share (said on a line), else all."""
    from n2g.builder.stage import Shard

    if flag is not None:
        return Shard.parse(flag)
    from_slurm = Shard.from_slurm(os.environ)
    if from_slurm is None:
        return Shard()
    echo(f"shard {from_slurm.index}/{from_slurm.count}, from the Slurm array task")
    return from_slurm


def _option(text: str) -> Any:
    """An option whose help says its default (no config holds it)."""
    return typer.Option(help=text, show_default=False)


@one_line_errors
@executor_options
@settings_options("settings", BuildConfig(), list(BUILD_SETTINGS.values()), BUILD_PANEL)
def build(
    records: Annotated[Path, typer.Option(help="records folder from `n2g record`")],
    out: Annotated[Path, typer.Option(help="graph file (JSON Lines) to write/resume")],
    model: Annotated[str | None, _option("model name (default: the records')")] = None,
    layers: Annotated[str | None, _option("e.g. 0-3 or all (default: all recorded)")] = None,
    neurons: Annotated[str | None, _option("e.g. 0:32 (default: all)")] = None,
    shard: Annotated[str | None, _option(SHARD_HELP)] = None,
    device: DeviceOption = RUN.device,
    dtype: DtypeOption = RUN.dtype,
    method: MethodOption = Method.N2G,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="no progress bar")] = False,
    show_settings: PrintSettingsOption = False,
    settings: Explicit = NOTHING,
    executor_flags: ExecutorFlags = LOCAL,
) -> None:
    """Build N2G neuron graphs (resumable: rerun the same command to continue).

    Records of SAE latents (`n2g record --sae`) build the same way: the SAE they name
    is loaded again (from the cache, for one trained here).

    Examples: n2g build --records records --out graphs.jsonl --neurons 0:64

      n2g build --records records-sae --out latents.jsonl --ood-corpus stdlib

      n2g build --records records --out graphs.jsonl --executor ray --workers 2
    """
    from n2g import stages
    from n2g.record.store import load_manifest

    config = settle(BuildConfig(), method, settings)
    if show_settings:
        print_settings(config)
        return
    chosen_shard = _shard(shard)
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise N2GError("--device cuda: no CUDA device is available here")
    manifest = load_manifest(records)
    picked = parse_layer_choice(layers) if layers else None
    chosen_layers = picked if picked is not None else list(manifest.layers)
    chosen_neurons = parse_neurons(neurons) if neurons else None
    missing = [layer for layer in chosen_layers if layer not in manifest.layers]
    if missing:  # before loading the model: the records decide which layers exist
        raise N2GError(f"records in {records} hold layers {manifest.layers}, not {missing[0]}")
    units = stages.open_model(
        model or manifest.model,
        chosen_layers,
        device=device,
        dtype=dtype,
        executor=executor_flags.executor,
        cluster=executor_flags.cluster,
    )
    summary = stages.build(
        units,
        records,
        out,
        config,
        neurons=chosen_neurons,
        shard=chosen_shard,
        device=device,
        progress=not no_progress,
    )
    echo(
        f"wrote {summary.n_written} graphs to {summary.out_path} "
        f"({summary.n_skipped} already there) in {summary.seconds:.1f}s"
    )
    if summary.stage_seconds:
        echo(
            "time per stage: "
            + ", ".join(f"{name} {sec:.1f}s" for name, sec in summary.stage_seconds.items())
        )
    for row in summary.quality:
        shown = ", ".join(f"{m} {row.methods[m].f1:.3f}" for m in row.methods)
        echo(
            f"layer {row.layer}: mean F1 {shown} over {row.n_scored} neurons; "
            f"{row.n_no_firing} with no firing test token"
        )


def register(app: typer.Typer) -> None:
    """Add `n2g build` to the app."""
    app.command("build")(build)
