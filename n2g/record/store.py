"""Activation records: each unit's top-k activating windows, on disk and in memory.

Written by `n2g record` (n2g/record/recorder.py), read by `n2g build`. A records folder holds
`manifest.json` (model, layers, unit set, corpus, window, k; validated by `RecordsManifest`;
the corpus named with its version and text hash, n2g.record.provenance)
and one `layer_{L}.safetensors` per layer with, for n_units units (the layer's MLP neurons,
or the latents of the unit set the manifest names: n2g.graph.key's vocabulary), k examples
and window W:

- `tokens`    int32   [n_units, k, W]  token ids of the example window (PAD past `lengths`)
- `acts`      float32 [n_units, k, W]  the unit's activation on every token of the window
- `lengths`   int32   [n_units, k]     real length of each window (0 = empty slot)
- `doc_ids`   int64   [n_units, k]     corpus document of each window (-1 = empty slot)
- `scores`    float32 [n_units, k]     max activation in the window (descending along k)
- `a_max`     float32 [n_units]        the unit's largest activation seen anywhere
- `histogram` int64   [n_units, 132]   every position of the corpus counted by activation
  (n2g.record.histogram's columns; absent from records of n2g before it: None)

With `samples` > 0 (RecordConfig), `layer_{L}.sample.safetensors` holds, in the same
layout, each unit's activation-weighted random sample of windows (`scores` = the sampling
keys): examples from every activation level, not only the top (n2g.record.recorder).

Memory and disk are bounded by units × (k + samples) × W, never by corpus size.

Manifests of format 1 named the unit count `d_mlp` and the unit set's spec `sae`; they are
read through one upgrade step, `upgrade_records_data`, which also upgrades the settings file
of an unfinished folder (n2g.record.recorder), so an old folder still resumes and builds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from n2g.errors import N2GError
from n2g.files import write_path_atomic, write_text_atomic
from n2g.models.dtype import Resolved
from n2g.record.histogram import N_COLUMNS

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 2  # 2: `n_units` and `unit_set_spec` (were `d_mlp` and `sae`)
ARRAY_NAMES = ("tokens", "acts", "lengths", "doc_ids", "scores", "a_max")


def layer_file(layer: int, sample: bool = False) -> str:
    return f"layer_{layer}.sample.safetensors" if sample else f"layer_{layer}.safetensors"


class RecordsManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format_version: int = MANIFEST_FORMAT
    model: str = Field(min_length=1)
    layers: list[int]
    n_units: int = Field(gt=0, description="units per layer (MLP neurons or latents)")
    k: int = Field(gt=0)
    window: int = Field(gt=0)
    corpus: str
    # Which text exactly (absent from manifests written before: None, unknown).
    corpus_version: str | None = Field(
        None, description="the corpus's version (a Debian package's, for a package corpus)"
    )
    corpus_sha256: str | None = Field(
        None, description="SHA-256 of the corpus's text (n2g.record.provenance)"
    )
    n_windows: int = Field(ge=0, description="windows of the corpus scanned")
    n_tokens: int = Field(ge=0, description="tokens of the corpus scanned")
    samples: int = Field(0, ge=0, description="activation-weighted sample windows per unit")
    unit_set_spec: str | None = Field(
        None,
        description="the spec of the unit set whose latents were recorded (n2g.sae.spec, e.g. "
        "L3-mlp-8x); None: MLP neurons",
    )
    # Provenance, like the device not part of the records' identity (records made before
    # this field existed ran in float32).
    dtype: Resolved = "float32"
    complete: bool = True


@dataclass
class LayerRecords:
    """One layer's records (numpy arrays as documented in the module docstring)."""

    layer: int
    tokens: np.ndarray
    acts: np.ndarray
    lengths: np.ndarray
    doc_ids: np.ndarray
    scores: np.ndarray
    a_max: np.ndarray
    # The activation-weighted sample (same layout; `scores` are the sampling keys).
    sample: LayerRecords | None = None
    # Every position counted by activation (n2g.record.histogram); None: not recorded.
    histogram: np.ndarray | None = None

    def examples(self, unit: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The unit's non-empty examples, best first: (token ids, activations) pairs."""
        out = []
        for slot in np.argsort(-self.scores[unit], kind="stable"):
            length = int(self.lengths[unit, slot])
            if length > 0:
                out.append((self.tokens[unit, slot, :length], self.acts[unit, slot, :length]))
        return out

    def as_arrays(self) -> dict[str, np.ndarray]:
        histogram = {} if self.histogram is None else {"histogram": self.histogram.astype(np.int64)}
        return histogram | {
            "tokens": self.tokens.astype(np.int32),
            "acts": self.acts.astype(np.float32),
            "lengths": self.lengths.astype(np.int32),
            "doc_ids": self.doc_ids.astype(np.int64),
            "scores": self.scores.astype(np.float32),
            "a_max": self.a_max.astype(np.float32),
        }


def save_layer(folder: Path, records: LayerRecords, *, sample: bool = False) -> None:
    """Write one layer's records (or its weighted sample) whole or not at all (n2g.files:
    never a torn file, never through a symlink at its name)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_path_atomic(
            folder / layer_file(records.layer, sample),
            lambda tmp: save_file(records.as_arrays(), str(tmp)),
        )
    except (OSError, SafetensorError) as exc:  # safetensors reports ENOSPC/EFBIG as its own
        why = getattr(exc, "strerror", None) or exc
        raise N2GError(f"cannot write records to {folder}: {why}") from None


def save_manifest(folder: Path, manifest: RecordsManifest) -> None:
    """Write the manifest atomically (written last: its presence marks a usable folder)."""

    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(folder / MANIFEST, manifest.model_dump_json(indent=2))
    except OSError as exc:
        raise N2GError(f"cannot write records to {folder}: {exc.strerror or exc}") from None


# Format 1's names of what format 2 calls `n_units` and `unit_set_spec`.
_RENAMED_FIELDS = {"d_mlp": "n_units", "sae": "unit_set_spec"}


def upgrade_records_data(data: dict[str, Any]) -> dict[str, Any]:
    """An old manifest's (or unfinished folder's settings') dict in the current names; the
    one upgrade step of the records folder. A manifest keeps its `format_version` (what
    wrote it), as graphs do."""

    def name_now(name: str) -> str:
        new = _RENAMED_FIELDS.get(name, name)
        return name if new in data else new  # both names: left to validation to refuse

    return {name_now(name): value for name, value in data.items()}


def load_manifest(folder: Path | str) -> RecordsManifest:
    """Read and validate a records folder's manifest (of any format, upgraded); N2GError
    with one line if unusable."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise N2GError(f"{folder} is not a records folder (no {MANIFEST}); run `n2g record`")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = upgrade_records_data(data)
        return RecordsManifest.model_validate(data)
    except (ValueError, ValidationError) as exc:
        raise N2GError(f"unreadable records manifest {path}: {str(exc).splitlines()[0]}") from None


def _read(path: Path, layer: int, expected: tuple[int, int, int]) -> LayerRecords:
    try:
        arrays = load_file(str(path))
        records = LayerRecords(
            layer,
            tokens=arrays["tokens"],
            acts=arrays["acts"],
            lengths=arrays["lengths"],
            doc_ids=arrays["doc_ids"],
            scores=arrays["scores"],
            a_max=arrays["a_max"],
            histogram=arrays.get("histogram"),
        )
    except (OSError, KeyError, ValueError, TypeError, SafetensorError) as exc:
        # a truncated or empty file is a SafetensorError: damaged, not a bug
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise N2GError(
            f"unreadable records file {path} ({first}): record this layer again with `n2g record`"
        ) from None
    if records.tokens.shape != expected or records.acts.shape != expected:
        raise N2GError(f"records file {path} has shape {records.tokens.shape}, not {expected}")
    if records.histogram is not None and records.histogram.shape != (expected[0], N_COLUMNS):
        shape = records.histogram.shape
        raise N2GError(
            f"records file {path} has a histogram of shape {shape}, not "
            f"{(expected[0], N_COLUMNS)}: record this layer again with `n2g record`"
        )
    return records


def load_layer(folder: Path | str, layer: int) -> LayerRecords:
    """Read one layer's records (with its weighted sample, if recorded); N2GError with one
    line when missing or corrupt."""
    manifest = load_manifest(folder)
    if layer not in manifest.layers:
        raise N2GError(f"records in {folder} hold layers {manifest.layers}, not layer {layer}")
    records = _read(
        Path(folder) / layer_file(layer), layer, (manifest.n_units, manifest.k, manifest.window)
    )
    if manifest.samples:
        records.sample = _read(
            Path(folder) / layer_file(layer, sample=True),
            layer,
            (manifest.n_units, manifest.samples, manifest.window),
        )
    return records
