"""`n2g record`: one streaming pass over a corpus keeping every neuron's top-k windows.

For each batch of windows, one forward pass (stopped after the last layer asked for) gives
every neuron of every chosen layer. A window's score for a neuron is its largest activation
in the window; the running top-k per neuron is merged with the batch's scores by a stable
sort over [k + B] candidates, only for the neurons whose top-k can change. Memory is
neurons x k x window, whatever the corpus size.

Ordering: old entries precede new ones and the sort is stable, so ties go to the earlier
window: the result equals a stable global sort of all windows by score (tests check this
against brute force).

Resumable: the running state is checkpointed atomically every `checkpoint_every` windows and
on Ctrl-C; the same config in the same folder continues from there and gives records
identical to an uninterrupted run. Final files are written with n2g.record.store, manifest last.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from n2g.errors import N2GError
from n2g.models.base import NeuronModel
from n2g.progress import progress_bar
from n2g.record import store as records
from n2g.record.config import RecordConfig
from n2g.record.corpus import Corpus, indexed_windows, open_corpus

CHECKPOINT = "record_checkpoint.safetensors"
CONFIG_FILE = "record_config.json"


def check_layers(layers: Sequence[int]) -> list[int]:
    """Sorted unique layers; N2GError for a negative one."""
    if not layers or any(layer < 0 for layer in layers):
        raise N2GError(f"layers must be numbers >= 0, not {list(layers)}")
    return sorted(set(layers))


@dataclass
class _LayerState:
    """Running top-k of one layer (torch tensors).

    Slots are NOT kept in rank order: a window that enters the top-k is written into the
    slot of the one it evicts, so a batch costs O(new entries x W) copies, not O(d x k x W)
    (with 1,024-token windows, re-sorting every slot's window was most of the recording
    time). `seq` (the window's index in the stream) breaks ties: the earlier window ranks
    first, and `to_records` puts the slots in rank order once, at the end.
    """

    scores: torch.Tensor  # float32 [d, k], -inf = empty slot
    tokens: torch.Tensor  # int32 [d, k, W]
    acts: torch.Tensor  # float32 [d, k, W]
    doc_ids: torch.Tensor  # int64 [d, k], -1 = empty slot
    seq: torch.Tensor  # int64 [d, k], stream index of the window in the slot
    a_max: torch.Tensor  # float32 [d]

    @classmethod
    def empty(cls, d_mlp: int, k: int, window: int, pad_id: int) -> _LayerState:
        return cls(
            scores=torch.full((d_mlp, k), float("-inf")),
            tokens=torch.full((d_mlp, k, window), pad_id, dtype=torch.int32),
            acts=torch.zeros(d_mlp, k, window),
            doc_ids=torch.full((d_mlp, k), -1, dtype=torch.int64),
            # Empty slots rank after any real window of equal (-inf) score.
            seq=torch.full((d_mlp, k), torch.iinfo(torch.int64).max, dtype=torch.int64),
            a_max=torch.full((d_mlp,), float("-inf")),
        )

    def merge(
        self,
        acts: torch.Tensor,
        tokens: torch.Tensor,
        doc_ids: torch.Tensor,
        first_seq: int,
        keys: torch.Tensor | None = None,
    ) -> None:
        """Fold a batch in: acts [B, W, d], tokens int32 [B, W], doc_ids int64 [B]; the
        batch's windows are stream indices first_seq, first_seq + 1, ... Windows are ranked
        by their max activation, or by `keys` [B, d] when given (the weighted sample)."""
        window_max = acts.amax(dim=1)  # [B, d]
        self.a_max = torch.maximum(self.a_max, window_max.amax(dim=0))
        candidates = (window_max if keys is None else keys).T  # [d, B]
        # Only neurons with a candidate beating their current lowest entry can change.
        lowest = self.scores.min(dim=1, keepdim=True).values
        changed = (candidates > lowest).any(dim=1).nonzero().squeeze(1)
        if changed.numel() == 0:
            return
        k = self.scores.shape[1]
        batch = acts.shape[0]
        batch_seq = torch.arange(first_seq, first_seq + batch, dtype=torch.int64)
        all_scores = torch.cat([self.scores[changed], candidates[changed]], dim=1)  # [n, k+B]
        all_seq = torch.cat([self.seq[changed], batch_seq.expand(len(changed), -1)], dim=1)
        # Rank by score, ties to the earlier window: sort by seq, then stably by score.
        by_seq = torch.argsort(all_seq, dim=1, stable=True)
        by_score = torch.argsort(all_scores.gather(1, by_seq), dim=1, descending=True, stable=True)
        kept = by_seq.gather(1, by_score)[:, :k]  # [n, k] indices into old slots + batch
        # (scatter_add, not scatter: new entries clamp onto slot k - 1 and must not unmark it)
        kept_old = torch.zeros(len(changed), k, dtype=torch.int32)
        kept_old = kept_old.scatter_add_(1, kept.clamp(max=k - 1), (kept < k).to(torch.int32)) > 0
        # Pair the i-th freed slot of a row with the i-th new window kept in that row
        # (nonzero is row-major, and each row frees as many slots as it takes in).
        free_rows, free_slots = (~kept_old).nonzero(as_tuple=True)
        new_rows, new_cols = (kept >= k).nonzero(as_tuple=True)
        if free_rows.numel() == 0:
            return
        which = kept[new_rows, new_cols] - k  # batch index of each new entry
        neurons = changed[free_rows]
        self.acts[neurons, free_slots] = acts[which, :, neurons]
        self.tokens[neurons, free_slots] = tokens[which]
        self.doc_ids[neurons, free_slots] = doc_ids[which]
        self.scores[neurons, free_slots] = candidates[neurons, which]
        self.seq[neurons, free_slots] = batch_seq[which]

    def to_records(self, layer: int) -> records.LayerRecords:
        # Rank order: score descending, ties to the earlier window.
        by_seq = torch.argsort(self.seq, dim=1, stable=True)
        by_score = torch.argsort(self.scores.gather(1, by_seq), dim=1, descending=True, stable=True)
        order = by_seq.gather(1, by_score)
        width = self.tokens.shape[2]
        pick = order[:, :, None].expand(-1, -1, width)
        doc_ids = self.doc_ids.gather(1, order)
        filled = doc_ids >= 0
        return records.LayerRecords(
            layer=layer,
            tokens=self.tokens.gather(1, pick).numpy(),
            acts=self.acts.gather(1, pick).numpy(),
            lengths=(filled.to(torch.int32) * width).numpy(),
            doc_ids=doc_ids.numpy(),
            scores=self.scores.gather(1, order).numpy(),
            a_max=self.a_max.numpy().astype(np.float32),
        )


_FIELDS = ("scores", "tokens", "acts", "doc_ids", "seq", "a_max")
_MASK = (1 << 53) - 1


def sample_keys(window_max: torch.Tensor, first_seq: int, seed: int) -> torch.Tensor:
    """Weighted-reservoir keys (Efraimidis-Spirakis A-Res) of a batch, float64 [B, d]:
    log(u) / w for a window whose max activation w > 0 (-inf otherwise); the k largest keys
    are a random sample of windows with probabilities proportional to w. u is a hash of
    (seed, stream index, neuron), so the sample does not depend on batching or resumes."""
    batch, d_mlp = window_max.shape
    seq = torch.arange(first_seq, first_seq + batch, dtype=torch.int64)[:, None]
    neuron = torch.arange(d_mlp, dtype=torch.int64)[None, :]
    x = seq * 1_000_003 + neuron * 7_919 + seed * 104_729 + 1
    for multiplier in (-49_064_778_989_728_563, -4_265_267_296_055_464_877):  # splitmix64
        x = x ^ (x >> 33)
        x = x * multiplier  # wraps modulo 2^64, as the mixer wants
    x = x ^ (x >> 33)
    u = ((x & _MASK).to(torch.float64) + 0.5) / float(1 << 53)  # in (0, 1)
    weight = window_max.to(torch.float64)
    keys = torch.log(u) / weight.clamp(min=1e-30)
    return torch.where(weight > 0, keys, torch.full_like(keys, float("-inf")))


def _state_names(layers: list[int], samples: int) -> list[str]:
    """Checkpoint names of the running states: "3" (top-k), "sample3" (weighted sample)."""
    return [str(layer) for layer in layers] + [f"sample{layer}" for layer in layers if samples]


def _save_checkpoint(out: Path, states: dict[str, _LayerState], meta: dict) -> None:
    tensors = {
        f"{key}.{name}": getattr(state, name).contiguous()
        for key, state in states.items()
        for name in _FIELDS
    }
    tmp = out / f".{CHECKPOINT}.tmp"
    try:
        save_file(tensors, str(tmp), metadata={"meta": json.dumps(meta)})
        os.replace(tmp, out / CHECKPOINT)
    except (OSError, SafetensorError) as exc:  # a full disk surfaces as SafetensorError
        tmp.unlink(missing_ok=True)
        why = getattr(exc, "strerror", None) or exc
        raise N2GError(f"cannot write a checkpoint to {out}: {why}") from None


def _load_checkpoint(out: Path, names: list[str]) -> tuple[dict[str, _LayerState], dict] | None:
    path = out / CHECKPOINT
    if not path.is_file():
        return None
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            meta = json.loads(handle.metadata()["meta"])
        tensors = load_file(str(path))
        states = {
            key: _LayerState(**{name: tensors[f"{key}.{name}"] for name in _FIELDS})
            for key in names
        }
    except (OSError, KeyError, ValueError, SafetensorError) as exc:
        raise N2GError(
            f"unreadable checkpoint {path} ({exc}); delete it to start the recording over"
        ) from None
    return states, meta


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
def _deferred_interrupt() -> Iterator[Callable[[], bool]]:
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


def _batches(
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
    """The record stage: the top-k windows of every neuron of `layers` into folder `out`.

    Resumable (see the module docstring); a finished folder of the same identity is
    returned as it is. `on_batch(n_windows_done)` is called after each batch (tests).
    """
    config = config or RecordConfig()
    layers = check_layers(layers)
    for layer in layers:
        try:
            model.check_layer(layer)
        except ValueError as exc:
            raise N2GError(str(exc)) from None
    corpus = open_corpus(corpus) if isinstance(corpus, str) else corpus
    out = Path(out)
    sae = model.units.spec if model.units is not None else None
    identity = config.identity(model.name, corpus.name, layers)
    if sae is not None:  # absent for neurons: records made before SAEs still match
        identity["sae"] = sae
    if _check_identity(out, identity):
        return records.load_manifest(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / CONFIG_FILE).write_text(json.dumps(identity, indent=1), encoding="utf-8")

    window, limit = config.window, config.window_limit()
    pad_id = model.tokenizer.pad_token_id
    resumed = _load_checkpoint(out, _state_names(layers, config.samples))
    if resumed is not None:
        states, meta = resumed
    else:
        states = {
            key: _LayerState.empty(
                model.d_mlp,
                config.samples if key.startswith("sample") else config.k,
                window,
                pad_id,
            )
            for key in _state_names(layers, config.samples)
        }
        meta = {"n_windows": 0, "next": [0, 0]}

    def checkpoint() -> None:
        _save_checkpoint(out, states, meta)

    total = limit * window if limit is not None else None
    stream = indexed_windows(corpus, model.tokenizer, window, start=tuple(meta["next"]))
    since_checkpoint = 0
    with (
        _deferred_interrupt() as interrupted,
        progress_bar(
            f"record {model.name} layers {layers}",
            total,
            "tokens",
            completed=meta["n_windows"] * window,
            enabled=progress,
        ) as advance,
    ):
        for batch in _batches(stream, config.batch_size, limit, meta["n_windows"]):
            tokens = torch.tensor([ids for _, _, ids in batch], dtype=torch.long)
            acts = model.mlp_activations(tokens, layers)
            tokens32 = tokens.to(torch.int32)
            doc_ids = torch.tensor([doc for doc, _, _ in batch], dtype=torch.int64)
            with torch.inference_mode():
                first = meta["n_windows"]
                for layer in layers:
                    states[str(layer)].merge(acts[layer], tokens32, doc_ids, first)
                    if config.samples:
                        keys = sample_keys(acts[layer].amax(dim=1), first, config.seed)
                        states[f"sample{layer}"].merge(
                            acts[layer], tokens32, doc_ids, first, keys.to(torch.float32)
                        )
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

    if meta["n_windows"] == 0:
        raise N2GError(f"corpus {corpus.name} has no document of at least {window} tokens")
    for layer in layers:
        records.save_layer(out, states[str(layer)].to_records(layer))
        if config.samples:
            records.save_layer(out, states[f"sample{layer}"].to_records(layer), sample=True)
    manifest = records.RecordsManifest(
        model=model.name,
        layers=layers,
        d_mlp=model.d_mlp,
        k=config.k,
        window=window,
        corpus=corpus.name,
        n_windows=meta["n_windows"],
        n_tokens=meta["n_windows"] * window,
        samples=config.samples,
        sae=sae,
        dtype=model.dtype,
        complete=True,
    )
    records.save_manifest(out, manifest)
    (out / CHECKPOINT).unlink(missing_ok=True)
    return manifest
