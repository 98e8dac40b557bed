"""The record and build stages on the chosen executor: the one place that picks.

`n2g record`, `n2g build` and `n2g run` call these; `local` goes to the single-process
stages unchanged (and never imports Ray), `ray` to n2g.cluster.record / .build with a
recipe for the workers to load the same model.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from n2g.cluster.executor import ClusterConfig, Executor
from n2g.cluster.recipe import ModelRecipe

if TYPE_CHECKING:
    from collections.abc import Sequence

    from n2g.builder.config import BuildConfig
    from n2g.builder.stage import BuildSummary, Shard
    from n2g.models.base import NeuronModel
    from n2g.record.config import RecordConfig
    from n2g.record.corpus import Corpus
    from n2g.record.store import RecordsManifest


class Placement:
    """Where stages run: the executor, the cluster's settings, and how workers load the
    model (`spec` and `n_layers` as the driver loaded it; `cache_dir` for SAEs)."""

    def __init__(
        self,
        executor: Executor = Executor.local,
        cluster: ClusterConfig | None = None,
        *,
        spec: str = "",
        n_layers: int | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.executor = executor
        self.cluster = cluster or ClusterConfig()
        self.spec, self.n_layers, self.cache_dir = spec, n_layers, cache_dir

    def recipe(self, model: NeuronModel) -> ModelRecipe:
        return ModelRecipe.of(model, self.spec or model.name, self.n_layers, self.cache_dir)


LOCAL = Placement()


def record(
    model: NeuronModel,
    corpus: Corpus,
    layers: Sequence[int],
    out: Path | str,
    config: RecordConfig,
    placement: Placement = LOCAL,
    *,
    progress: bool = True,
) -> RecordsManifest:
    """The record stage, here or on Ray."""
    if placement.executor is Executor.ray:
        from n2g.cluster.record import record_on_ray

        recipe = placement.recipe(model)
        return record_on_ray(
            model, recipe, corpus, list(layers), out, config, placement.cluster, progress=progress
        )
    from n2g.record.recorder import record_stage

    return record_stage(model, corpus, layers, out, config, progress=progress)


def build(
    model: NeuronModel,
    records_dir: Path | str,
    out_path: Path | str,
    config: BuildConfig,
    placement: Placement = LOCAL,
    *,
    layers: Sequence[int] | None = None,
    neurons: Sequence[int] | None = None,
    shard: Shard | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> BuildSummary:
    """The build stage, here or on Ray (where `--shard` has no place)."""
    from n2g.builder.stage import build_stage

    if placement.executor is not Executor.ray:
        return build_stage(
            model,
            records_dir,
            out_path,
            config,
            layers=layers,
            neurons=neurons,
            shard=shard,
            device=device,
            progress=progress,
        )
    from n2g.builder.stage import model_for_records
    from n2g.cluster.build import build_on_ray, check_not_sharded

    if shard is not None:
        check_not_sharded(shard)
    model = model_for_records(model, records_dir, progress)
    return build_on_ray(
        model,
        placement.recipe(model),
        records_dir,
        out_path,
        config,
        placement.cluster,
        layers=layers,
        neurons=neurons,
        progress=progress,
    )
