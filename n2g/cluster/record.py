"""`n2g record --executor ray`: the corpus in chunks across Ray workers, merged exactly.

The driver reads the corpus and cuts it into the same windows and batches as a single
process; consecutive batches make a chunk, and chunks go to whichever worker is free.
A worker (a Ray actor with the model loaded once) runs each batch's forward pass and
returns the chunk's own running state: every neuron's top-k windows of that chunk, the
weighted sample's, and the tokens of the windows they hold. The driver folds the chunks'
states into the job's state in stream order (`TopK.absorb`: each neuron's k best of both,
ties to the earlier window), which is exactly the state one process reaches, so the
records are byte for byte a single process's.

Tasks hold no state between chunks, so a worker process that dies is restarted by Ray and
its chunk simply recomputed. The driver checkpoints the merged state as the local recorder
does (same file, same format), so an interrupted distributed recording resumes with
either executor.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from n2g.cluster.executor import (
    ClusterConfig,
    import_ray,
    preflight,
    ray_cluster,
    result_of,
    start_workers,
)
from n2g.cluster.recipe import ModelRecipe
from n2g.models.base import NeuronModel
from n2g.progress import progress_bar
from n2g.record import store as records
from n2g.record.config import RecordConfig
from n2g.record.corpus import Corpus, indexed_windows
from n2g.record.recorder import (
    PROGRESS_LABEL,
    check_model_layers,
    deferred_interrupt,
    finish_records,
    save_checkpoint,
    start_or_resume,
    window_batches,
)

Chunk = list[tuple[Any, Any, int]]  # (tokens [B, W] int64, doc ids [B] int64, first index)


class RecordWorker:
    """A Ray actor: the model once, then chunk after chunk, each returned as its state."""

    def __init__(self, recipe: ModelRecipe, config: str, layers: list[int], threads: int):
        import torch

        torch.set_num_threads(max(threads, 1))
        self.model = recipe.load()
        self.config = RecordConfig.model_validate_json(config)
        self.layers = layers

    def record(self, chunk: Chunk) -> tuple[dict[str, Any], Any]:
        """The chunk's running states (as `TopK` field dicts) and its window table."""
        from n2g.record.recorder import fold_batch, new_states
        from n2g.record.topk import TopK, Windows

        states = new_states(self.model, self.config, self.layers)
        windows = Windows.empty(self.config.window)
        for tokens, doc_ids, first in chunk:
            fold_batch(self.model, states, windows, tokens, doc_ids, first, self.config)
        fields = {key: {f: getattr(s, f) for f in TopK.FIELDS} for key, s in states.items()}
        return fields, windows


def chunk_batches(config: RecordConfig, workers: int) -> int:
    """Batches a chunk: about four chunks per worker between two checkpoints (or in the
    whole recording, when that is shorter), so each worker stays busy and the driver's
    merges stay few."""
    windows = config.checkpoint_every
    limit = config.window_limit()
    if limit is not None:
        windows = min(windows, limit)
    return max(windows // config.batch_size // (4 * workers), 1)


def _chunks(
    corpus: Corpus, model: NeuronModel, config: RecordConfig, meta: dict, size: int
) -> Iterator[tuple[Chunk, dict]]:
    """(chunk, the checkpoint meta once it is folded in), in stream order."""
    import torch

    stream = indexed_windows(corpus, model.tokenizer, config.window, start=tuple(meta["next"]))
    chunk: Chunk = []
    done = meta["n_windows"]
    for batch in window_batches(stream, config.batch_size, config.window_limit(), done):
        tokens = torch.tensor([ids for _, _, ids in batch], dtype=torch.long)
        doc_ids = torch.tensor([doc for doc, _, _ in batch], dtype=torch.int64)
        chunk.append((tokens, doc_ids, done))
        done += len(batch)
        meta = {"n_windows": done, "next": [batch[-1][0], batch[-1][1] + 1]}
        if len(chunk) == size:
            yield chunk, meta
            chunk = []
    if chunk:
        yield chunk, meta


def record_on_ray(
    model: NeuronModel,
    recipe: ModelRecipe,
    corpus: Corpus,
    layers: list[int],
    out: Path | str,
    config: RecordConfig,
    cluster: ClusterConfig,
    *,
    progress: bool = True,
) -> records.RecordsManifest:
    """`record_stage`, on Ray: the same records in the same folder (see the module doc)."""
    from n2g.record.topk import TopK

    preflight(cluster)  # Ray there, the address answering: before any file
    out = Path(out)
    layers = check_model_layers(model, layers)
    started = start_or_resume(model, corpus, layers, out, config)
    if isinstance(started, records.RecordsManifest):
        return started
    states, windows, meta = started
    limit = config.window_limit()
    total = limit * config.window if limit is not None else None
    with (
        ray_cluster(cluster, recipe.device) as plan,
        deferred_interrupt() as interrupted,
        progress_bar(
            PROGRESS_LABEL,
            total,
            "tokens",
            completed=meta["n_windows"] * config.window,
            enabled=progress,
        ) as advance,
    ):
        ray = import_ray()
        workers = start_workers(ray, RecordWorker, plan, recipe, config.model_dump_json(), layers)
        chunks = _chunks(corpus, model, config, meta, chunk_batches(config, len(workers)))
        since_checkpoint = 0
        for chunk_state, chunk_windows, after in _in_order(ray, workers, chunks, interrupted):
            for key, fields in chunk_state.items():
                states[key].absorb(TopK(**fields))
            windows.absorb(chunk_windows, (state.seq for state in states.values()))
            advance((after["n_windows"] - meta["n_windows"]) * config.window)
            since_checkpoint += after["n_windows"] - meta["n_windows"]
            meta = after
            if interrupted():
                save_checkpoint(out, states, windows, meta)
                raise KeyboardInterrupt
            if since_checkpoint >= config.checkpoint_every:
                save_checkpoint(out, states, windows, meta)
                since_checkpoint = 0
        if interrupted():  # Ctrl-C while waiting on the workers
            save_checkpoint(out, states, windows, meta)
            raise KeyboardInterrupt
    return finish_records(model, corpus, layers, out, config, states, windows, meta)


def _in_order(
    ray: Any, workers: list[Any], chunks: Iterator[tuple[Chunk, dict]], interrupted: Any
) -> Iterator[tuple[dict, Any, dict]]:
    """Each chunk's (state, windows, meta after it), in stream order, while the workers
    compute the next ones. A worker that finishes takes the next chunk at once, unless
    2 x workers finished chunks already wait for an earlier one (memory stays bounded)."""
    in_flight: dict[Any, tuple[Any, int, dict]] = {}
    finished: dict[int, tuple[dict, Any, dict]] = {}
    idle = list(workers)
    numbered = enumerate(chunks)
    next_out = 0

    def feed() -> None:
        while idle and len(finished) < 2 * len(workers):
            item = next(numbered, None)
            if item is None:
                return
            number, (chunk, after) = item
            worker = idle.pop()
            in_flight[worker.record.remote(chunk)] = (worker, number, after)

    feed()
    while in_flight:
        ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=1.0)
        if not ready:
            if interrupted():
                return
            continue
        worker, number, after = in_flight.pop(ready[0])
        state, windows = result_of(ray, ready[0])
        finished[number] = (state, windows, after)
        idle.append(worker)
        while next_out in finished:
            yield finished.pop(next_out)
            next_out += 1
        feed()
