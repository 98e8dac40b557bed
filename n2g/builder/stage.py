"""`n2g build` in-process: records folder -> graph file, sharded, resumable, with progress.

Units of work are (layer, neuron) pairs; shard i of n takes every n-th unit (interleaved,
so every shard gets a similar mix of layers). Units already in the output file are skipped.
Neurons are processed `neurons_per_batch` at a time (shared forward passes) and each batch
is appended as complete lines before the next starts, so an interrupt loses at most the
batch in flight and never corrupts the file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from n2g.builder.batch import build_neuron_graphs
from n2g.builder.clock import CLOCK
from n2g.builder.config import BuildConfig
from n2g.builder.random_windows import RandomWindows, random_windows_provider
from n2g.builder.substitutes import NoHelper, SubstituteHelper, make_helper
from n2g.builder.writer import GraphWriter, read_existing
from n2g.errors import N2GError
from n2g.graph.evaluation import Evaluation
from n2g.graph.quality import LayerRow, layer_rows
from n2g.models.base import NeuronModel
from n2g.progress import progress_bar
from n2g.record.corpus import open_corpus, spec_of
from n2g.record.store import RecordsManifest, load_layer, load_manifest


class Shard(BaseModel):
    """Shard `index` of `count` (0-based)."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(0, ge=0)
    count: int = Field(1, ge=1)

    @classmethod
    def parse(cls, text: str) -> Shard:
        """'i/n' -> Shard(i, n); N2GError when malformed or out of range."""
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise N2GError(f"--shard must look like i/n (e.g. 0/4), not {text!r}") from None
        if not 0 <= index < count:
            raise N2GError(f"--shard {text}: need 0 <= i < n")
        return cls(index=index, count=count)

    @classmethod
    def from_slurm(cls, env: Mapping[str, str]) -> Shard | None:
        """This Slurm array task's shard (`SLURM_ARRAY_TASK_ID` counted from
        `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`), or None outside an array.
        N2GError when the variables do not make a shard (an array with gaps or a step)."""
        task, count = env.get("SLURM_ARRAY_TASK_ID"), env.get("SLURM_ARRAY_TASK_COUNT")
        if task is None or count is None:
            return None
        try:
            index = int(task) - int(env.get("SLURM_ARRAY_TASK_MIN", "0"))
            total = int(count)
        except ValueError:
            raise N2GError(f"SLURM_ARRAY_TASK_ID={task!r} is not a task number") from None
        if not 0 <= index < total:
            raise N2GError(
                f"Slurm array task {task} of {total} is not a shard: use a contiguous array "
                "(e.g. --array=0-7) or give --shard i/n"
            )
        return cls(index=index, count=total)

    def output_path(self, path: Path) -> Path:
        """The shard's own output file (the path itself when not sharded)."""
        if self.count == 1:
            return path
        return path.with_name(f"{path.stem}.shard-{self.index}-of-{self.count}{path.suffix}")


@dataclass(frozen=True)
class _Evaluated:
    """What the summary keeps of a graph: not its trie (a whole model's would not fit)."""

    layer: int
    evaluation: Evaluation | None


class BuildSummary(BaseModel):
    out_path: str
    n_units: int = Field(description="(layer, neuron) units in this shard")
    n_written: int
    n_skipped: int = Field(description="already in the output file (resumed)")
    seconds: float
    quality: list[LayerRow] = Field(description="per-layer quality of the shard's graphs")
    stage_seconds: dict[str, float] = Field(
        default_factory=dict, description="where the time went (n2g.builder.clock)"
    )


def check_request(
    model: NeuronModel,
    records_dir: Path | str,
    layers: Sequence[int] | None,
    neurons: Sequence[int] | None,
    config: BuildConfig | None = None,
) -> tuple[RecordsManifest, list[int], list[int]]:
    """(manifest, layers, neurons) of a build request, defaults filled in.

    N2GError (one line) for records of another model, unknown layers, neurons out of range,
    or records without the weighted sample `config` trains on.
    """
    manifest = load_manifest(records_dir)
    if config is not None:
        check_sample(manifest, config, records_dir)
    if manifest.model != model.name:
        raise N2GError(
            f"records in {records_dir} are from model {manifest.model!r}, not {model.name!r}"
        )
    if manifest.unit_set_spec != model.unit_set_spec:
        recorded = manifest.unit_set_spec
        what = f"latents of unit set {recorded}" if recorded else "MLP neurons"
        raise N2GError(f"records in {records_dir} hold {what}, not what the model explains")
    layers = list(manifest.layers if layers is None else layers)
    for layer in layers:
        if layer not in manifest.layers:
            raise N2GError(f"records in {records_dir} hold layers {manifest.layers}, not {layer}")
        try:
            model.check_layer(layer)
        except ValueError as exc:
            raise N2GError(str(exc)) from None
    neurons = list(range(manifest.n_units) if neurons is None else neurons)
    bad = [n for n in neurons if not 0 <= n < manifest.n_units]
    if bad:
        raise N2GError(
            f"neuron {bad[0]} is out of range: layers have neurons 0..{manifest.n_units - 1}"
        )
    return manifest, layers, neurons


def check_sample(manifest: RecordsManifest, config: BuildConfig, records_dir: Path | str) -> None:
    """N2GError unless the records hold the weighted sample `config` trains on, before any
    model pass (extra ranks need no check: they are taken up to the records' k)."""
    if config.sample_train_examples and not manifest.samples:
        raise N2GError(
            f"--sample-train needs records with a weighted sample; {records_dir} has none "
            "(record with --samples N)"
        )


def model_for_records(model: NeuronModel, records_dir: Path | str, progress: bool) -> NeuronModel:
    """`model` explaining the unit set the records hold: a model viewing MLP neurons, given
    records of a unit set's latents, loads that unit set (the spec the records keep)."""
    recorded = load_manifest(records_dir).unit_set_spec
    if model.units is not None or recorded is None:
        return model
    from n2g.sae.units import load_units

    return model.with_units(load_units(recorded, model, progress=progress))


def unit_cost(layer: int) -> float:
    """A unit's relative build cost, for the ETA: its passes run through blocks 0..layer
    (`stop_at_layer`), so a neuron of layer 3 costs about four of layer 0's. (A helper's
    passes, the same for every layer, make deep layers relatively cheaper than this.)"""
    return float(layer + 1)


def build_stage(
    model: NeuronModel,
    records_dir: Path | str,
    out_path: Path | str,
    config: BuildConfig | None = None,
    *,
    layers: Sequence[int] | None = None,
    neurons: Sequence[int] | None = None,
    shard: Shard | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> BuildSummary:
    """The build stage (`n2g build`, `n2g run`): the config's helper and OOD check, then
    `build_graphs`. The request is checked before any helper model or corpus is loaded."""
    config = config or BuildConfig()
    model = model_for_records(model, records_dir, progress)
    manifest, layers, neurons = check_request(model, records_dir, layers, neurons, config)
    helper, ood, sample = build_inputs(model, manifest, config, layers, device)
    return build_graphs(
        model,
        records_dir,
        config,
        out_path,
        progress,
        layers=layers,
        neurons=neurons,
        shard=shard,
        helper=helper,
        ood=ood,
        sample=sample,
    )


def build_inputs(
    model: NeuronModel,
    manifest: RecordsManifest,
    config: BuildConfig,
    layers: Sequence[int] | None,
    device: str,
) -> tuple[
    SubstituteHelper,
    Callable[[int], RandomWindows] | None,
    Callable[[int], RandomWindows] | None,
]:
    """What a build needs beside the records: the config's substitute helper, and the
    per-layer windows of the out-of-distribution check and of the correlation score
    (`ood(layer)`, `sample(layer)`; None when switched off; `layers`: those that will be
    asked for, in order, or None). Seeded: every process that builds (one, or each Ray
    worker) gets the same windows."""
    helper = make_helper(config.helper, model, device, rerank=config.rerank_substitutes)
    ood = sample = None
    if config.ood_corpus:
        ood = random_windows_provider(
            model, config.ood_corpus, config.ood_windows, manifest.window, config.seed, layers
        )
    if config.random_windows:
        try:
            corpus = open_corpus(spec_of(manifest.corpus))
        except N2GError as exc:
            raise N2GError(
                f"the records' corpus is needed for the correlation score: {exc} "
                "(or build with random_windows=0)"
            ) from None
        sample = random_windows_provider(
            model, corpus, config.random_windows, manifest.window, config.seed + 1, layers
        )
    return helper, ood, sample


def build_graphs(
    model: NeuronModel,
    records_dir: Path | str,
    config: BuildConfig,
    out_path: Path | str,
    progress: bool = True,
    *,
    layers: Sequence[int] | None = None,
    neurons: Sequence[int] | None = None,
    shard: Shard | None = None,
    helper: SubstituteHelper | None = None,
    ood: Callable[[int], RandomWindows] | None = None,
    sample: Callable[[int], RandomWindows] | None = None,
) -> BuildSummary:
    """Build the graphs of `layers` x `neurons` (default: all recorded) into `out_path`,
    with a given helper, `ood(layer)` windows of another corpus (out-of-distribution check)
    and `sample(layer)` random windows of the recording corpus (correlation score)."""
    start = time.perf_counter()
    CLOCK.reset()
    _, layers, neurons = check_request(model, records_dir, layers, neurons, config)
    shard = shard or Shard()
    path = shard.output_path(Path(out_path))
    units = [(layer, n) for layer in layers for n in neurons][shard.index :: shard.count]
    existing = read_existing(path, model.name)
    done = {(g.layer, g.neuron) for g in existing}
    todo = [u for u in units if u not in done]
    unit_set = set(units)
    evaluated = [
        _Evaluated(g.layer, g.evaluation) for g in existing if (g.layer, g.neuron) in unit_set
    ]
    helper = helper or NoHelper()
    written = 0
    weight = {layer: unit_cost(layer) for layer in layers}
    cost = (sum(weight[u[0]] for u in units), sum(weight[u[0]] for u in units if u in done))
    with (
        GraphWriter(path) as writer,
        progress_bar(
            "build",
            len(units),
            "neurons",
            completed=len(units) - len(todo),
            enabled=progress,
            cost=cost,
        ) as advance,
    ):
        for layer in layers:
            mine = [n for (unit_layer, n) in todo if unit_layer == layer]
            if not mine:
                continue
            records = load_layer(records_dir, layer)
            with CLOCK.stage("ood"):  # the model's activations on the foreign windows
                ood_data = ood(layer) if ood is not None else None
            with CLOCK.stage("correlation"):
                sample_data = sample(layer) if sample is not None else None
            for begin in range(0, len(mine), config.neurons_per_batch):
                batch = mine[begin : begin + config.neurons_per_batch]
                graphs = build_neuron_graphs(
                    model, records, batch, config, helper, ood_data, sample_data
                )
                writer.write(graphs)
                evaluated += [_Evaluated(g.layer, g.evaluation) for g in graphs]
                written += len(graphs)
                advance(len(graphs), cost=weight[layer] * len(graphs))
    return BuildSummary(
        out_path=str(path),
        n_units=len(units),
        n_written=written,
        n_skipped=len(units) - len(todo),
        seconds=time.perf_counter() - start,
        quality=layer_rows(evaluated),
        stage_seconds=CLOCK.breakdown(),
    )
