"""The texts a set of units is ablated on: where its members fire, and ordinary text.

Firing texts come from the records (`n2g record`): each member's windows that built no
graph (its test split under the build settings, then its recorded windows ranked past
those that trained: n2g.builder.plan), taken in turns, each member's best first, so a
large set does not fill the budget with its first member's windows. The groups were found
from the graphs, so these windows are held out from what made the set. A member with
no such window lends its top windows instead, and the result says the texts were not
held out. Each window keeps the positions where its member fires (at least half the
window's largest activation), where the set's effect on the next token is sharpest.

Control texts are random windows of the records' corpus (n2g.record.corpus: not aligned
to the recorded windows), as long as the recorded ones, or of another corpus named.

A `context` shortens both: each firing window to its last `context` tokens ending with the
token after its last firing position, each control window to `context` tokens. The cost
of a measurement is the tokens it runs through the whole model, so 64 tokens instead of
256 let four times the windows in; the loss is then measured with at most that much
context before each token (what a member fires on, in layers 0-3, is mostly local).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from n2g.builder.config import BuildConfig
from n2g.builder.plan import plan_neuron
from n2g.errors import N2GError
from n2g.models.ablation import FIRING_SHARE
from n2g.record.store import layer_file, load_layer, load_manifest

Unit = tuple[int, int]  # (layer, neuron)
PER_UNIT = 4  # firing windows a member lends
MAX_WINDOWS = 32  # firing windows in all
CONTROL = 32  # control windows


@dataclass(frozen=True)
class FiringTexts:
    windows: list[list[int]]
    positions: list[list[int]]  # per window, where a member fires
    held_out: bool


def _firing_positions(acts: np.ndarray) -> list[int]:
    top = float(acts.max()) if len(acts) else 0.0
    return [int(i) for i in np.flatnonzero((acts >= FIRING_SHARE * top) & (acts > 0))]


def _member_windows(
    records: Path, units: Sequence[Unit], per_unit: int, config: BuildConfig
) -> tuple[list[list[tuple[np.ndarray, np.ndarray]]], bool]:
    """Per unit (in order), its best `per_unit` held-out windows (or top windows)."""
    held_out = True
    out: dict[Unit, list[tuple[np.ndarray, np.ndarray]]] = {}
    for layer in sorted({layer for layer, _ in units}):
        recorded = load_layer(records, layer)
        for unit in (u for u in units if u[0] == layer):
            if not 0 <= unit[1] < recorded.tokens.shape[0]:
                raise N2GError(f"records in {records} hold no unit {unit[1]} of layer {layer}")
            plan = plan_neuron(recorded, unit[1], config)
            windows = (plan.test + plan.held_out)[:per_unit]
            if not windows:
                windows = [(t, a) for t, a in recorded.examples(unit[1])[:per_unit]]
                held_out = False
            if not windows:
                raise N2GError(
                    f"unit {unit[1]} of layer {layer} has no recorded window in {records}"
                )
            out[unit] = windows
        del recorded
    return [out[unit] for unit in units], held_out


def firing_texts(
    records: Path,
    units: Sequence[Unit],
    *,
    per_unit: int = PER_UNIT,
    max_windows: int = MAX_WINDOWS,
    config: BuildConfig | None = None,
    context: int | None = None,
) -> FiringTexts:
    """The members' windows, in turns, distinct, at most `max_windows`; with `context`,
    each cut to its last `context` tokens up to the token after its last firing position."""
    if per_unit < 1 or max_windows < 1:
        raise N2GError("at least one window a unit and one window in all are needed")
    per_member, held_out = _member_windows(records, units, per_unit, config or BuildConfig())
    index: dict[bytes, int] = {}
    windows: list[list[int]] = []
    positions: list[set[int]] = []
    for rank in range(per_unit):
        for taken in per_member:
            if rank >= len(taken) or len(windows) >= max_windows:
                continue
            tokens, acts = taken[rank]
            key = np.asarray(tokens, dtype=np.int64).tobytes()
            if key not in index:
                index[key] = len(windows)
                windows.append([int(t) for t in tokens])
                positions.append(set())
            positions[index[key]].update(_firing_positions(np.asarray(acts, dtype=np.float32)))
    texts = FiringTexts(windows, [sorted(p) for p in positions], held_out)
    return texts if context is None else _cut(texts, context)


def _cut(texts: FiringTexts, context: int) -> FiringTexts:
    """Each window's last `context` tokens ending with the token after its last firing
    position (the window's first `context` tokens where it has none), positions moved."""
    if context < 2:
        raise N2GError(f"a context of at least 2 tokens is needed, got {context}")
    windows, positions = [], []
    for window, firing in zip(texts.windows, texts.positions, strict=True):
        end = min(firing[-1] + 2, len(window)) if firing else min(context, len(window))
        begin = max(0, end - context)
        windows.append(window[begin:end])
        positions.append([p - begin for p in firing if begin <= p < end])
    return FiringTexts(windows, positions, texts.held_out)


def control_texts(
    records: Path,
    tokenizer: object,
    n: int = CONTROL,
    seed: int = 0,
    corpus: str | None = None,
    context: int | None = None,
) -> list:
    """`n` random windows of the records' corpus (or of `corpus`, a corpus spec as `n2g
    record --corpus` takes), of the records' window length (or `context` tokens)."""
    from n2g.record.corpus import open_corpus, random_windows, spec_of

    if n < 1:
        raise N2GError(f"at least one control window is needed, got {n}")
    manifest = load_manifest(records)
    text = open_corpus(corpus if corpus is not None else spec_of(manifest.corpus))
    length = manifest.window if context is None else min(context, manifest.window)
    return [ids for _, ids in random_windows(text, tokenizer, length, n, seed)]  # type: ignore[arg-type]


def records_bytes(records: Path, layers: Sequence[int]) -> int:
    """The largest records file among `layers` (one is in memory at a time); N2GError
    when the records lack one of them."""
    manifest = load_manifest(records)
    missing = sorted(set(layers) - set(manifest.layers))
    if missing:
        raise N2GError(
            f"records in {records} hold layers {manifest.layers}, not "
            f"{', '.join(map(str, missing))}: record them with `n2g record`"
        )
    return max((Path(records) / layer_file(layer)).stat().st_size for layer in layers)
