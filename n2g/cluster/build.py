"""`n2g build --executor ray`: neuron batches across Ray workers, one graph file.

The driver plans the single-process build's batches (n2g.cluster.schedule), skips those
whose neurons are all in the output file already, and hands the rest out as cost-sized
tasks, deepest layer first, to whichever worker is free. Workers (Ray actors) load the
model, the substitute helper and each layer's records and evaluation windows themselves
(records from the same folder: a shared file system on a multi-machine cluster), build,
and send back finished graph lines. Only the driver writes, through the local build's
`GraphWriter`, so the file is resumable exactly as a local build's: complete lines, a
torn tail cut, finished neurons skipped on the next run, and a batch whose neurons are
partly written is rebuilt whole (same composition, same floats) and only its missing
neurons written.

A worker's process that dies mid-task is restarted by Ray and the task retried there; the
graphs are the same because a batch's result depends only on the batch.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from n2g.builder.config import BuildConfig
from n2g.builder.stage import BuildSummary, Shard, _Evaluated, check_request
from n2g.builder.writer import GraphWriter, read_existing
from n2g.cluster.executor import (
    ClusterConfig,
    import_ray,
    preflight,
    ray_cluster,
    result_of,
    start_workers,
)
from n2g.cluster.recipe import ModelRecipe
from n2g.cluster.schedule import Batch, LayerCosts, TaskQueue, plan_batches
from n2g.errors import N2GError
from n2g.graph.file import parse_graph_line
from n2g.graph.quality import layer_rows
from n2g.models.base import NeuronModel
from n2g.progress import progress_bar

Built = list[tuple[int, int, str]]  # (layer, neuron, graph line) of a task


class BuildWorker:
    """A Ray actor: one model, one helper, the current layer's data, batch after batch."""

    def __init__(self, recipe: ModelRecipe, records_dir: str, config: str, threads: int):
        import torch

        from n2g.builder.stage import build_inputs
        from n2g.record.store import load_manifest

        torch.set_num_threads(max(threads, 1))
        self.model = recipe.load()
        self.records_dir = records_dir
        self.config = BuildConfig.model_validate_json(config)
        manifest = load_manifest(records_dir)
        self.helper, self.ood, self.sample = build_inputs(
            self.model, manifest, self.config, None, recipe.device
        )
        self.layer: int | None = None
        self.data: tuple[Any, Any, Any] | None = None

    def pid(self) -> int:
        import os

        return os.getpid()

    def _layer_data(self, layer: int) -> tuple[Any, Any, Any]:
        if self.layer != layer or self.data is None:
            from n2g.record.store import load_layer

            self.data = None  # free the previous layer's first
            records = load_layer(self.records_dir, layer)
            ood = self.ood(layer) if self.ood is not None else None
            sample = self.sample(layer) if self.sample is not None else None
            self.layer, self.data = layer, (records, ood, sample)
        return self.data

    def build(self, task: list[Batch]) -> tuple[Built, float]:
        """Graph lines of every neuron of the task's batches, and the seconds it took."""
        from n2g.builder.batch import build_neuron_graphs
        from n2g.graph.file import dump_graph_line

        start = time.perf_counter()
        lines: Built = []
        for batch in task:
            records, ood, sample = self._layer_data(batch.layer)
            graphs = build_neuron_graphs(
                self.model, records, list(batch.neurons), self.config, self.helper, ood, sample
            )
            lines += [(g.layer, g.neuron, dump_graph_line(g)) for g in graphs]
        return lines, time.perf_counter() - start


def build_on_ray(
    model: NeuronModel,
    recipe: ModelRecipe,
    records_dir: Path | str,
    out_path: Path | str,
    config: BuildConfig,
    cluster: ClusterConfig,
    *,
    layers: Sequence[int] | None = None,
    neurons: Sequence[int] | None = None,
    progress: bool = True,
) -> BuildSummary:
    """`build_stage`, on Ray: the same graphs into the same file (see the module doc)."""
    preflight(cluster)  # Ray there, the address answering: before any file
    start = time.perf_counter()
    _, layers, neurons = check_request(model, records_dir, layers, neurons, config)
    path = Path(out_path)
    existing = read_existing(path, model.name)
    done = {(g.layer, g.neuron) for g in existing}
    units = {(layer, n) for layer in layers for n in neurons}
    evaluated = [
        _Evaluated(g.layer, g.evaluation) for g in existing if (g.layer, g.neuron) in units
    ]
    batches = plan_batches(layers, neurons, config.neurons_per_batch)
    todo = [b for b in batches if any((b.layer, n) not in done for n in b.neurons)]
    written = 0
    stage_seconds: dict[str, float] = {}
    if todo:
        with (
            ray_cluster(cluster, recipe.device) as plan,
            GraphWriter(path) as writer,
            progress_bar(
                "build", len(units), "neurons", completed=len(units & done), enabled=progress
            ) as advance,
        ):
            ray = import_ray()
            workers = start_workers(
                ray, BuildWorker, plan, recipe, str(records_dir), config.model_dump_json()
            )
            ray.get([worker.pid.remote() for worker in workers])  # each has loaded the model
            stage_seconds["start workers"] = time.perf_counter() - start
            queue = TaskQueue(todo, LayerCosts(), cluster.target_seconds)
            for built in _results(ray, workers, queue):
                fresh = [(lay, n, line) for lay, n, line in built if (lay, n) not in done]
                writer.write_lines([line for _, _, line in fresh])
                for layer, neuron, line in fresh:
                    done.add((layer, neuron))
                    evaluated.append(_Evaluated(layer, parse_graph_line(line).evaluation))
                written += len(fresh)
                advance(len(fresh))
    return BuildSummary(
        out_path=str(path),
        n_units=len(units),
        n_written=written,
        n_skipped=len(units) - written,
        seconds=time.perf_counter() - start,
        quality=layer_rows(evaluated),
        stage_seconds=_with_build(stage_seconds, time.perf_counter() - start),
    )


def _with_build(stage_seconds: dict[str, float], total: float) -> dict[str, float]:
    """Ray's start-up (joining, each worker loading the model) apart from the building."""
    if "start workers" in stage_seconds:
        stage_seconds["build"] = total - stage_seconds["start workers"]
    return stage_seconds


def _results(ray: Any, workers: list[Any], queue: TaskQueue) -> Iterator[Built]:
    """Each finished task's graph lines, as they come; a new task to the worker that
    finished, until the queue is empty. The costs measured feed the queue's estimates."""
    in_flight: dict[Any, tuple[Any, list[Batch]]] = {}

    def submit(worker: Any) -> None:
        task = queue.next_task(len(workers))
        if task:
            in_flight[worker.build.remote(task)] = (worker, task)

    for worker in workers:
        submit(worker)
    while in_flight:
        [ready], _ = ray.wait(list(in_flight), num_returns=1)
        worker, task = in_flight.pop(ready)
        built, seconds = result_of(ray, ready)
        n_neurons = sum(len(b.neurons) for b in task)
        queue.costs.record(task[0].layer, seconds, n_neurons)
        submit(worker)
        yield built


def check_not_sharded(shard: Shard) -> None:
    """--shard and --executor ray are two ways to split one build; one at a time."""
    if shard.count > 1:
        raise N2GError("--shard splits a build by hand; with --executor ray, leave it out")
