"""`n2g build`: N2G graphs for a model's neurons from a records folder, into a graph file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import typer

from n2g.builder.config import BuildConfig
from n2g.cli.common import echo, one_line_errors
from n2g.cli.defaults import (
    DtypeOption,
    ExecutorOption,
    RayAddressOption,
    WorkersOption,
    cluster_of,
    default_of,
    either,
    given,
    help_of,
)
from n2g.cluster.executor import Executor
from n2g.errors import N2GError
from n2g.run.method import Method, build_settings
from n2g.selection import max_context_override, parse_layer_choice, parse_neurons

if TYPE_CHECKING:
    from n2g.builder.stage import Shard

DEFAULTS = BuildConfig()
# Options `n2g run` shares; None = the method's setting.
# A flag and its opposite are two options, the opposite hidden and named in the help: a
# "--a/--no-a" pair takes a column of its own in the help, which leaves the text too
# narrow to read at 80 columns. `either` reads the pair.
FoldTokensOption = typer.Option(
    None,
    "--fold-tokens",
    help=f"{help_of(BuildConfig, 'fold_tokens')}; --exact-tokens: match token ids "
    "\\[default: the method's: exact]",
    show_default=False,
)
ExactTokensOption = typer.Option(False, "--exact-tokens", hidden=True)
RerankOption = typer.Option(
    None,
    "--rerank",
    help=f"{help_of(BuildConfig, 'rerank_substitutes')}; --no-rerank: the top next tokens "
    "\\[default: the method's: no re-ranking]",
    show_default=False,
)
NoRerankOption = typer.Option(False, "--no-rerank", hidden=True)
AugmentedSaliencyOption = typer.Option(
    None,
    "--augmented-saliency",
    help=f"{' | '.join(get_args(BuildConfig.model_fields['augmented_saliency'].annotation))}: "
    f"{help_of(BuildConfig, 'augmented_saliency')} "
    f"\\[default: {default_of(BuildConfig, 'augmented_saliency')}]",
    show_default=False,
)

MaxContextOption = typer.Option(
    None,
    "--max-context",
    help=f"{help_of(BuildConfig, 'max_context')}; a number of tokens or none "
    f"\\[default: the method's: n2g {DEFAULTS.max_context}, paper none]",
    show_default=False,
)


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


@one_line_errors
def build(
    records: Path = typer.Option(..., "--records", help="records folder from `n2g record`"),
    out: Path = typer.Option(..., "--out", help="graph file (JSON Lines) to write/resume"),
    model: str = typer.Option(None, "--model", help="model name (default: the records')"),
    layers: str = typer.Option(None, "--layers", help="e.g. 0-3 or all (default: all recorded)"),
    neurons: str = typer.Option(None, "--neurons", help="e.g. 0:32 (default: all)"),
    shard: str = typer.Option(
        None,
        "--shard",
        help="i/n: this machine's share \\[default: the Slurm array task's, else 0/1]",
        show_default=False,
    ),
    helper: str = typer.Option(DEFAULTS.helper, "--helper", help=help_of(DEFAULTS, "helper")),
    n_substitutes: int = typer.Option(
        None,
        "--substitutes",
        help=f"{help_of(DEFAULTS, 'n_substitutes')} \\[default: the method's; n2g "
        f"{DEFAULTS.n_substitutes}]",
        show_default=False,
    ),
    importance: float = typer.Option(
        None,
        "--importance-threshold",
        help=f"{help_of(DEFAULTS, 'importance_threshold')} \\[default: the method's; n2g "
        f"{DEFAULTS.importance_threshold}]",
        show_default=False,
    ),
    batch_rows: int = typer.Option(
        DEFAULTS.batch_rows, "--batch-rows", help=help_of(DEFAULTS, "batch_rows")
    ),
    neurons_per_batch: int = typer.Option(
        DEFAULTS.neurons_per_batch,
        "--neurons-per-batch",
        help=help_of(DEFAULTS, "neurons_per_batch"),
    ),
    ood_corpus: str = typer.Option(
        DEFAULTS.ood_corpus, "--ood-corpus", help=help_of(DEFAULTS, "ood_corpus")
    ),
    ood_windows: int = typer.Option(
        DEFAULTS.ood_windows, "--ood-windows", help=help_of(DEFAULTS, "ood_windows")
    ),
    random_windows: int = typer.Option(
        DEFAULTS.random_windows, "--random-windows", help=help_of(DEFAULTS, "random_windows")
    ),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda"),
    dtype: str = DtypeOption,
    seed: int = typer.Option(DEFAULTS.seed, "--seed"),
    method: Method = typer.Option(
        Method.N2G, "--method", help="n2g (defaults) | paper (the paper's settings exactly)"
    ),
    pivots: str = typer.Option(
        None,
        "--pivots",
        help="argmax (paper eq. 1) | firing (every firing token) \\[default: the method's]",
        show_default=False,
    ),
    fold_tokens: bool = FoldTokensOption,
    exact_tokens: bool = ExactTokensOption,
    rerank: bool = RerankOption,
    no_rerank: bool = NoRerankOption,
    augmented_saliency: str = AugmentedSaliencyOption,
    max_context: str = MaxContextOption,
    no_progress: bool = typer.Option(False, "--no-progress", help="no progress bar"),
    executor: Executor = ExecutorOption,
    ray_address: str = RayAddressOption,
    workers: int = WorkersOption,
) -> None:
    """Build N2G neuron graphs (resumable: rerun the same command to continue).

    Records of SAE latents (`n2g record --sae`) build the same way: the SAE they name
    is loaded again (from the cache, for one trained here).

    Examples: n2g build --records records --out graphs.jsonl --neurons 0:64

      n2g build --records records-sae --out latents.jsonl --ood-corpus stdlib

      n2g build --records records --out graphs.jsonl --executor ray --workers 2
    """
    from n2g.builder.config import BuildConfig
    from n2g.cluster import dispatch
    from n2g.models import load_model
    from n2g.record.store import load_manifest

    config = BuildConfig.model_validate(
        {
            **build_settings(method).model_dump(),
            "helper": helper,
            "batch_rows": batch_rows,
            "neurons_per_batch": neurons_per_batch,
            "ood_corpus": ood_corpus,
            "ood_windows": ood_windows,
            "random_windows": random_windows,
            "seed": seed,
            # set only when given: a flag wins over --method, the method over defaults
            **given(
                n_substitutes=n_substitutes,
                importance_threshold=importance,
                pivots=pivots,
                fold_tokens=either(fold_tokens, exact_tokens, "--fold-tokens", "--exact-tokens"),
                rerank_substitutes=either(rerank, no_rerank, "--rerank", "--no-rerank"),
                augmented_saliency=augmented_saliency,
            ),
            **max_context_override(max_context),
        }
    )
    chosen_shard = _shard(shard)
    cluster = cluster_of(ray_address, workers)
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
    spec, n_layers = model or manifest.model, max(chosen_layers) + 1
    target = load_model(spec, n_layers=n_layers, device=device, dtype=dtype)
    placement = dispatch.Placement(executor, cluster, spec=spec, n_layers=n_layers)
    summary = dispatch.build(
        target,
        records,
        out,
        config,
        placement,
        layers=chosen_layers,
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
