"""The options of `n2g record`, `n2g build` and `n2g run`, each declared once.

Each setting is a `Setting` of its config field (`n2g.cli.options`); a command takes a
group of them (`settings_options`), and `n2g run` the same settings as `n2g record` and
`n2g build` take, from the same declarations, with the main job's defaults (`RunConfig`).
What a command reads directly (the model, the device, the number format) is an option of
the main job's config field too, its default that field's.
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import BaseModel, ConfigDict, ValidationError

from n2g.cli.common import echo_json
from n2g.cli.options import Setting, field_option, none_as, option_group
from n2g.cluster.executor import ClusterConfig, Executor
from n2g.errors import N2GError
from n2g.run.config import RunConfig
from n2g.run.method import Method
from n2g.selection import format_layers, parse_layer_choice, parse_max_context

RUN = RunConfig()  # the main job's defaults; `n2g record` and `n2g build` share some
RECORD_PANEL, BUILD_PANEL, EXECUTOR_PANEL = "Record settings", "Build settings", "Executor"

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

RECORD_SETTINGS = {
    setting.field: setting
    for setting in (
        Setting("window"),
        Setting("k"),
        Setting("max_tokens", none="0", parse=lambda n: n or None),
        Setting("batch_size"),
        Setting("samples"),
    )
}
BUILD_SETTINGS = {
    setting.field: setting
    for setting in (
        Setting("helper"),
        Setting("n_substitutes", flags=("--substitutes",)),
        Setting("importance_threshold"),
        Setting("batch_rows"),
        Setting("neurons_per_batch"),
        Setting("ood_corpus", none="none", parse=none_as("none")),
        Setting("ood_windows"),
        Setting("random_windows"),
        Setting("seed"),
        Setting("pivots"),
        Setting("fold_tokens", off="--exact-tokens", off_help="match token ids"),
        Setting(
            "rerank_substitutes",
            flags=("--rerank",),
            off="--no-rerank",
            off_help="the top next tokens",
        ),
        Setting("augmented_saliency"),
        Setting(
            "augment_context",
            flags=("--augment-context",),
            off="--pivot-only",
            off_help="substitute the pivot alone",
        ),
        Setting("grades"),
        Setting("grade_tokens", kind=str, none="all", parse=none_as("all")),
        Setting("bare_paths"),
        Setting("path_precision"),
        Setting("bigram_paths"),
        Setting("extra_train_examples", flags=("--extra-train",)),
        Setting("sample_train_examples", flags=("--sample-train",)),
        Setting(
            "max_context",
            kind=str,
            none="none",
            parse=parse_max_context,
            note="; a number of tokens or none",
        ),
    )
}
# `n2g run`'s own settings; its record and build settings are some of the stages'.
RUN_SETTINGS = (
    Setting("model"),
    Setting(
        "layers",
        kind=str,
        none="all",
        parse=parse_layer_choice,
        show=format_layers,
        note=", e.g. 0-3 or 0,2",
    ),
    Setting("neurons_per_layer"),
    Setting("corpus"),
    Setting("sae", help=SAE_HELP + "; its latents are compared with the layer's neurons"),
    Setting("transcoder", help=TRANSCODER_HELP),
    Setting("circuits"),
    Setting("circuits_check"),
    Setting("out"),
    Setting("device"),
    Setting("dtype"),
)
RUN_RECORD_SETTINGS = [RECORD_SETTINGS[name] for name in ("window", "k", "max_tokens", "samples")]
RUN_BUILD_SETTINGS = [
    BUILD_SETTINGS[name]
    for name in (
        "helper",
        "neurons_per_batch",
        "ood_corpus",
        "fold_tokens",
        "rerank_substitutes",
        "augmented_saliency",
        "grades",
        "path_precision",
        "bigram_paths",
        "extra_train_examples",
        "sample_train_examples",
        "max_context",
    )
]

# What record and build read directly, with the main job's defaults (`= RUN.<field>`).
ModelOption = Annotated[str, field_option(RUN, "model")]
DeviceOption = Annotated[str, field_option(RUN, "device")]
DtypeOption = Annotated[str, field_option(RUN, "dtype")]
MethodOption = Annotated[
    Method,
    typer.Option(
        "--method", help="n2g (this project's defaults) | paper (the paper's settings exactly)"
    ),
]
PrintSettingsOption = Annotated[
    bool,
    typer.Option("--print-settings", help="print the settings it would run with (JSON) and stop"),
]


def print_settings(config: BaseModel) -> None:
    """The settled settings, as `--print-settings` shows them."""
    echo_json(config.model_dump_json(indent=2))


class ExecutorFlags(BaseModel):
    """Where record and build run: `--executor`, and the Ray settings of its flags."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    executor: Executor = RUN.executor
    cluster: ClusterConfig = ClusterConfig()


LOCAL = ExecutorFlags()
CLUSTER = LOCAL.cluster


def cluster_of(address: str | None, workers: int | None) -> ClusterConfig:
    """The Ray settings of the options (N2GError for a bad value)."""
    try:
        return ClusterConfig(address=address, workers=workers)
    except ValidationError as exc:
        raise N2GError(f"--workers must be at least 1: {exc.errors()[0]['msg']}") from None


def _with_ray(field: str, flag: str) -> Setting:
    return Setting(field, flags=(flag,), note="; with --executor ray")


# Gives record, build and run `--executor/--ray-address/--workers` in place of their
# `executor_flags: ExecutorFlags` parameter.
executor_options = option_group(
    "executor_flags",
    {
        "executor": (
            Annotated[Executor, field_option(RUN, "executor", EXECUTOR_PANEL)],
            RUN.executor,
        ),
        "ray_address": (
            Annotated[
                str, field_option(CLUSTER, _with_ray("address", "--ray-address"), EXECUTOR_PANEL)
            ],
            CLUSTER.address,
        ),
        "workers": (
            Annotated[
                int, field_option(CLUSTER, _with_ray("workers", "--workers"), EXECUTOR_PANEL)
            ],
            CLUSTER.workers,
        ),
    },
    lambda values: ExecutorFlags(
        executor=values["executor"], cluster=cluster_of(values["ray_address"], values["workers"])
    ),
)
