"""`n2g record`: one streaming pass over a corpus keeping every unit's top-k windows.

For each batch of windows, one forward pass (stopped after the last layer asked for) gives
every unit (MLP neuron, or latent of the model's unit set) of every chosen layer; each
layer's running top-k (n2g.record.topk) takes the batch in, and the batch's activations of
a layer are freed as soon as it has. Memory is units x k x window, whatever the corpus
size; the result equals a stable global sort of all windows by score (tests check this
against brute force).

Resumable: the running state is checkpointed atomically every `checkpoint_every` windows and
on Ctrl-C (n2g.files: a new file of a random name, renamed; never through a symlink planted
in the folder); the same config in the same folder continues from there and gives records
identical to an uninterrupted run. Final files are written with n2g.record.store, manifest last.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from n2g.errors import N2GError
from n2g.files import write_path_atomic, write_text_atomic
from n2g.models.base import NeuronModel
from n2g.progress import progress_bar
from n2g.record import store as records
from n2g.record.config import RecordConfig
from n2g.record.corpus import Corpus, indexed_windows, open_corpus
from n2g.record.topk import TopK, Windows, sample_keys

CHECKPOINT = "record_checkpoint.safetensors"
CONFIG_FILE = "record_config.json"
_WINDOWS = "windows"
# The bar's label: what is recorded is said above it, so the line keeps to 80 columns.
PROGRESS_LABEL = "record"  # the checkpoint's name for the shared window table


def check_layers(layers: Sequence[int]) -> list[int]:
    """Sorted unique layers; N2GError for a negative one."""
    if not layers or any(layer < 0 for layer in layers):
        raise N2GError(f"layers must be numbers >= 0, not {list(layers)}")
    return sorted(set(layers))


def check_model_layers(model: NeuronModel, layers: Sequence[int]) -> list[int]:
    """Sorted unique layers the model has; N2GError (one line) otherwise."""
    layers = check_layers(layers)
    for layer in layers:
        try:
            model.check_layer(layer)
        except ValueError as exc:
            raise N2GError(str(exc)) from None
    return layers


def _records(state: TopK, windows: Windows, layer: int, pad_id: int) -> records.LayerRecords:
    """One layer's records from its running state, slots in rank order."""
    order = state.ranked()
    width = state.acts.shape[2]
    doc_ids = state.doc_ids.gather(1, order)
    filled = doc_ids >= 0
    return records.LayerRecords(
        layer=layer,
        tokens=windows.lookup(state.seq.gather(1, order), pad_id).numpy(),
        acts=state.acts.gather(1, order[:, :, None].expand(-1, -1, width)).float().numpy(),
        lengths=(filled.to(torch.int32) * width).numpy(),
        doc_ids=doc_ids.numpy(),
        scores=state.scores.gather(1, order).numpy(),
        a_max=state.a_max.numpy().astype(np.float32),
        histogram=state.hist.numpy() if state.hist.shape[1] else None,
    )


def _state_names(layers: list[int], samples: int) -> list[str]:
    """Checkpoint names of the running states: "3" (top-k), "sample3" (weighted sample)."""
    return [str(layer) for layer in layers] + [f"sample{layer}" for layer in layers if samples]


def save_checkpoint(out: Path, states: dict[str, TopK], windows: Windows, meta: dict) -> None:
    tensors = {
        f"{key}.{name}": getattr(state, name).contiguous()
        for key, state in states.items()
        for name in TopK.FIELDS
    }
    tensors[f"{_WINDOWS}.seq"] = windows.seq.contiguous()
    tensors[f"{_WINDOWS}.tokens"] = windows.tokens.contiguous()
    metadata = {"meta": json.dumps(meta)}
    try:  # a temporary file of a random name, renamed: never through a planted symlink
        write_path_atomic(
            out / CHECKPOINT, lambda tmp: save_file(tensors, str(tmp), metadata=metadata)
        )
    except (OSError, SafetensorError) as exc:  # a full disk surfaces as SafetensorError
        why = getattr(exc, "strerror", None) or exc
        raise N2GError(f"cannot write a checkpoint to {out}: {why}") from None


def _load_checkpoint(out: Path, names: list[str]) -> tuple[dict[str, TopK], Windows, dict] | None:
    path = out / CHECKPOINT
    if not path.is_file():
        return None
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            meta = json.loads(handle.metadata()["meta"])
        tensors = load_file(str(path))
        states = {key: _checkpointed_state(tensors, key) for key in names}
        if f"{_WINDOWS}.seq" in tensors:
            windows = Windows(tensors[f"{_WINDOWS}.seq"], tensors[f"{_WINDOWS}.tokens"])
        else:  # a checkpoint of n2g before the shared window table: tokens in every slot
            windows = Windows.from_slots(
                (tensors[f"{key}.seq"] for key in names),
                (tensors[f"{key}.tokens"] for key in names),
            )
    except (OSError, KeyError, ValueError, SafetensorError) as exc:
        raise N2GError(
            f"unreadable checkpoint {path} ({exc}); delete it to start the recording over"
        ) from None
    return states, windows, meta


def _checkpointed_state(tensors: dict[str, torch.Tensor], key: str) -> TopK:
    """One running state of a checkpoint; one of n2g before the histogram counted none
    (its `hist` has no columns: the records of that recording have no histogram)."""
    fields = {name: tensors[f"{key}.{name}"] for name in TopK.FIELDS if name != "hist"}
    fields["hist"] = tensors.get(
        f"{key}.hist", torch.zeros(len(fields["scores"]), 0, dtype=torch.int64)
    )
    return TopK(**fields)


def _check_identity(out: Path, identity: dict) -> bool:
    """True when `out` already holds finished records of this identity; error on mismatch."""
    config_path = out / CONFIG_FILE
    if not config_path.is_file():
        if (out / records.MANIFEST).is_file() or (out / CHECKPOINT).is_file():
            raise N2GError(f"{out} holds records of unknown settings: use another --out")
        return False
    try:
        stored = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise N2GError(f"unreadable {config_path}: delete {out} or use another --out") from None
    if isinstance(stored, dict):  # written by an older n2g: its names as they are now
        stored = records.upgrade_records_data(stored)
    if stored != identity:
        diff = ", ".join(
            f"{key}={stored.get(key)!r} (now {value!r})"
            for key, value in identity.items()
            if stored.get(key) != value
        )
        raise N2GError(f"{out} holds records made with other settings: {diff}; use another --out")
    if (out / records.MANIFEST).is_file():
        records.load_manifest(out)
        return True
    return False


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """Turn Ctrl-C into a flag checked between batches, so state is never half-updated."""
    flag = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield flag.is_set
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: flag.set())
    try:
        yield flag.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


def window_batches(
    stream: Iterator[tuple[int, int, list[int]]], size: int, limit: int | None, done: int
) -> Iterator[list[tuple[int, int, list[int]]]]:
    batch: list[tuple[int, int, list[int]]] = []
    for item in stream:
        if limit is not None and done + len(batch) >= limit:
            break
        batch.append(item)
        if len(batch) == size:
            yield batch
            done += size
            batch = []
    if batch:
        yield batch


def record_stage(
    model: NeuronModel,
    corpus: Corpus | str,
    layers: Sequence[int],
    out: Path | str,
    config: RecordConfig | None = None,
    *,
    progress: bool = True,
    on_batch: Callable[[int], None] | None = None,
) -> records.RecordsManifest:
    """The record stage: the top-k windows of every unit of `layers` into folder `out`.

    Resumable (see the module docstring); a finished folder of the same identity is
    returned as it is. `on_batch(n_windows_done)` is called after each batch (tests).
    """
    config = config or RecordConfig()
    layers = check_model_layers(model, layers)
    corpus = open_corpus(corpus) if isinstance(corpus, str) else corpus
    out = Path(out)
    started = start_or_resume(model, corpus, layers, out, config)
    if isinstance(started, records.RecordsManifest):
        return started
    states, windows, meta = started
    window, limit = config.window, config.window_limit()

    def checkpoint() -> None:
        save_checkpoint(out, states, windows, meta)

    total = limit * window if limit is not None else None
    stream = indexed_windows(corpus, model.tokenizer, window, start=tuple(meta["next"]))
    since_checkpoint = 0
    with (
        deferred_interrupt() as interrupted,
        progress_bar(
            PROGRESS_LABEL,
            total,
            "tokens",
            completed=meta["n_windows"] * window,
            enabled=progress,
        ) as advance,
    ):
        for batch in window_batches(stream, config.batch_size, limit, meta["n_windows"]):
            tokens = torch.tensor([ids for _, _, ids in batch], dtype=torch.long)
            doc_ids = torch.tensor([doc for doc, _, _ in batch], dtype=torch.int64)
            fold_batch(model, states, windows, tokens, doc_ids, meta["n_windows"], config)
            last_doc, last_index, _ = batch[-1]
            meta = {"n_windows": meta["n_windows"] + len(batch), "next": [last_doc, last_index + 1]}
            since_checkpoint += len(batch)
            advance(len(batch) * window)
            if on_batch is not None:
                on_batch(meta["n_windows"])
            if interrupted():
                checkpoint()
                raise KeyboardInterrupt
            if since_checkpoint >= config.checkpoint_every:
                checkpoint()
                since_checkpoint = 0

    return finish_records(model, corpus, layers, out, config, states, windows, meta)


def start_or_resume(
    model: NeuronModel, corpus: Corpus, layers: list[int], out: Path, config: RecordConfig
) -> records.RecordsManifest | tuple[dict[str, TopK], Windows, dict]:
    """The finished records' manifest when `out` already holds them; else the running
    state to go on from (the checkpoint's, or empty), the settings written to `out`.
    N2GError for a layer the model lacks or a folder of other settings."""
    check_model_layers(model, layers)
    n_ctx = model.model.cfg.n_ctx
    if config.window + 1 > n_ctx:  # + BOS
        raise N2GError(
            f"--window {config.window} does not fit {model.name}, which reads at most "
            f"{n_ctx} tokens (window + BOS): use --window {n_ctx - 1} or less"
        )
    identity = config.identity(model.name, corpus.name, layers)
    if model.unit_set_spec is not None:  # absent for neurons: older records still match
        identity["unit_set_spec"] = model.unit_set_spec
    if _check_identity(out, identity):
        return records.load_manifest(out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / CONFIG_FILE, json.dumps(identity, indent=1))
    resumed = _load_checkpoint(out, _state_names(layers, config.samples))
    if resumed is not None:
        return resumed
    return (
        new_states(model, config, layers),
        Windows.empty(config.window),
        {
            "n_windows": 0,
            "next": [0, 0],
        },
    )


def new_states(model: NeuronModel, config: RecordConfig, layers: list[int]) -> dict[str, TopK]:
    """Empty running states of `layers` (top-k, and the weighted sample when asked)."""
    act_dtype = getattr(torch, model.dtype)
    return {
        key: TopK.empty(
            model.n_units,
            config.samples if key.startswith("sample") else config.k,
            config.window,
            act_dtype,
            histogram=not key.startswith("sample"),
        )
        for key in _state_names(layers, config.samples)
    }


def fold_batch(
    model: NeuronModel,
    states: dict[str, TopK],
    windows: Windows,
    tokens: torch.Tensor,
    doc_ids: torch.Tensor,
    first: int,
    config: RecordConfig,
) -> None:
    """One forward pass over a batch of windows (stream indices first, first + 1, ...),
    folded into every layer's running states and the window table."""
    layers = sorted({int(key.removeprefix("sample")) for key in states})
    acts = model.unit_activations(tokens, layers, native=True)
    with torch.inference_mode():
        for layer in layers:
            states[str(layer)].count(acts[layer])
            states[str(layer)].merge(acts[layer], doc_ids, first)
            if config.samples:
                keys = sample_keys(acts[layer].amax(dim=1), first, config.seed)
                states[f"sample{layer}"].merge(acts[layer], doc_ids, first, keys.to(torch.float32))
            del acts[layer]  # a layer's batch activations go as soon as merged
        windows.add(first, tokens, (state.seq for state in states.values()))


def finish_records(
    model: NeuronModel,
    corpus: Corpus,
    layers: list[int],
    out: Path,
    config: RecordConfig,
    states: dict[str, TopK],
    windows: Windows,
    meta: dict,
) -> records.RecordsManifest:
    """Write the final records of the running states, manifest last (naming the corpus's
    version and text hash); drop the checkpoint."""
    from n2g.record.provenance import corpus_provenance

    window = config.window
    pad_id = model.tokenizer.pad_token_id
    if meta["n_windows"] == 0:
        raise N2GError(f"corpus {corpus.name} has no document of at least {window} tokens")
    for layer in layers:
        records.save_layer(out, _records(states[str(layer)], windows, layer, pad_id))
        if config.samples:
            sample = _records(states[f"sample{layer}"], windows, layer, pad_id)
            records.save_layer(out, sample, sample=True)
    provenance = corpus_provenance(corpus)
    manifest = records.RecordsManifest(
        model=model.name,
        layers=layers,
        n_units=model.n_units,
        k=config.k,
        window=window,
        corpus=corpus.name,
        corpus_version=provenance.version,
        corpus_sha256=provenance.sha256,
        n_windows=meta["n_windows"],
        n_tokens=meta["n_windows"] * window,
        samples=config.samples,
        unit_set_spec=model.unit_set_spec,
        dtype=model.dtype,
        complete=True,
    )
    records.save_manifest(out, manifest)
    (out / CHECKPOINT).unlink(missing_ok=True)
    return manifest
