"""What `n2g run` tells the user before the long work starts: the number format this CPU
gets, and roughly how long the job will take here.

The estimate is measured, not assumed: one record batch is timed on the loaded model (after
one warm-up pass), which gives this machine's recording rate in tokens/s. Recording the
corpus takes the tokens to record over that rate. The rest of the job (build, ingest,
similarity, report) took about 270 s on the reference machine, for 6,144 units with no
helper, where recording ran at 13,600 tokens/s (docs/performance.md). Its cost is in model
passes per unit, not per corpus token, so it is scaled by the number of units, by how much
slower this machine's passes are than the reference's, and by 3.75 with augmentation (the
helper makes builds 3-4.5x longer). An SAE or a transcoder beside the neurons adds its
training, unless it is cached (a training step reads its tokens at about 0.45x the recording
rate: 4,113 against 9,168 tokens/s on the reference machine, SmolLM2 layer 3), another
recording pass over the corpus, and the build of its latents. With `--circuits`, one
attribution pass (n2g.models.attribution: a full pass of windows the shape the stage
uses) is timed at the deepest layer; a target's cost grows with its depth (its pass runs
through every layer below it, and the embedding: 0.033 / 0.049 / 0.059 s a unit at layers
1 / 2 / 3, bench/results/circuits-budget.json, near layer + 1), so the stage's time is
that pass's seconds a target scaled by (layer + 1) / (deepest + 1) for each target layer.
It is a rough figure; the stage bars then show the real rates and ETAs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from n2g.run.config import RunConfig

REFERENCE_REST_SECONDS = 270.0  # build + ingest + similarity + report, reference main job
REFERENCE_UNITS = 6_144  # the reference job's units: 1,536 neurons x 4 layers
REFERENCE_RATE = 13_600.0  # its recording rate, tokens/s (bfloat16, 2-core AVX512-BF16)
HELPER_FACTOR = 3.75  # a build with augmentation over one without (3-4.5x measured)
TRAINING_SPEED = 0.45  # a dictionary's training rate over the recording rate (measured)


class UnitSetWork(NamedTuple):
    """What an SAE or a transcoder of the run still costs: its training (0 tokens when it
    is cached or loaded) and its latents to build."""

    training_tokens: int
    n_units: int


def number_format_line(model: Any, config: RunConfig) -> str:
    """Which number format the passes use here, and why."""
    if model.dtype == "bfloat16":
        return "number format: bfloat16 (computed natively here)"
    if config.dtype == "float32":
        return "number format: float32 (as asked)"
    return (
        "number format: float32: this CPU has no native bfloat16 (AVX512-BF16 or AMX), "
        "so passes run 2-4x slower than on one that has"
    )


def recording_rate(model: Any, config: RunConfig, layers: list[int]) -> float:
    """Tokens per second of one record batch on this machine (after a warm-up pass)."""
    record = config.record
    batch = [  # spread-out ids: the cost of a pass does not depend on which tokens
        [(i * 7919 + j * 104729) % model.tokenizer.vocab_size for j in range(record.window)]
        for i in range(record.batch_size)
    ]
    model.unit_activations(batch[:1], layers, native=True)  # warm-up: allocations, caches
    start = time.perf_counter()
    model.unit_activations(batch, layers, native=True)
    seconds = time.perf_counter() - start
    return record.batch_size * record.window / max(seconds, 1e-9)


def attribution_pass_seconds(model: Any, layer: int) -> tuple[float, int]:
    """(seconds, targets) of one full attribution pass of target `layer` on this machine
    (after a small warm-up pass), on windows the shape the circuits stage gives."""
    from n2g.circuits.windows import DATA_WINDOWS, DEFAULT_CROP
    from n2g.models.attribution import ROWS_PER_PASS, attribution_scores

    vocab = model.tokenizer.vocab_size
    targets = max(ROWS_PER_PASS // DATA_WINDOWS, 1)
    jobs = [
        (u % model.n_units, [[(u * 7919 + w * 104729 + j * 31) % vocab for j in range(DEFAULT_CROP)]
                             for w in range(DATA_WINDOWS)])
        for u in range(targets)
    ]  # fmt: skip
    sources = list(range(layer))
    attribution_scores(model, layer, [(0, [jobs[0][1][0][:8]])], sources)  # warm-up
    start = time.perf_counter()
    attribution_scores(model, layer, jobs, sources)
    return time.perf_counter() - start, targets


def circuits_seconds(
    pass_seconds: float, targets: int, timed_layer: int, layers: Sequence[int], per_layer: int
) -> float:
    """The circuits stage's seconds: every layer after the first holds `per_layer` targets,
    each costing the timed pass's share scaled by (its layer + 1) / (`timed_layer` + 1)."""
    per_target = pass_seconds / targets
    scale = [(layer + 1) / (timed_layer + 1) for layer in sorted(layers)[1:]]
    return sum(per_target * share * per_layer for share in scale)


def _circuits_part(model: Any, config: RunConfig, layers: list[int], n_units: int) -> float:
    if not config.circuits or len(layers) < 2:
        return 0.0
    deepest = max(layers)
    seconds, targets = attribution_pass_seconds(model, deepest)
    return circuits_seconds(seconds, targets, deepest, layers, n_units // len(layers))


def job_estimate_line(
    model: Any,
    config: RunConfig,
    layers: list[int],
    n_units: int,
    unit_sets: list[UnitSetWork] | None = None,
) -> str:
    """ "recording ... at N tokens/s: about X; the whole job roughly Y" for this machine."""
    rate = recording_rate(model, config, layers)
    circuits_s = _circuits_part(model, config, layers, n_units)
    circuits = f"; circuits about {format_duration(circuits_s)}" if circuits_s else ""
    limit = config.record.window_limit()
    if limit is None:
        return f"recording runs at about {rate:,.0f} tokens/s here (the whole corpus){circuits}"
    record_s, total = estimate_seconds(config, rate, n_units, unit_sets or [])
    return (
        f"recording {limit * config.record.window:,} tokens at about {rate:,.0f} tokens/s here: "
        f"about {format_duration(record_s)}{circuits}; the whole job roughly "
        f"{format_duration(total + circuits_s)} (the bars show the real rates)"
    )


def estimate_seconds(
    config: RunConfig, rate: float, n_units: int, unit_sets: list[UnitSetWork]
) -> tuple[float, float]:
    """(recording, whole job) in seconds at `rate` recorded tokens/s, for a bounded corpus."""
    limit = config.record.window_limit()
    assert limit is not None, "the whole corpus has no known length"
    record_s = limit * config.record.window / rate
    total = record_s + _rest_seconds(config, n_units, rate)
    for work in unit_sets:
        total += work.training_tokens / (TRAINING_SPEED * rate) + record_s
        total += _rest_seconds(config, work.n_units, rate)
    return record_s, total


def _rest_seconds(config: RunConfig, n_units: int, rate: float) -> float:
    """Build, ingest, similarity and report of `n_units`, scaled from the reference job."""
    rest_s = REFERENCE_REST_SECONDS * (n_units / REFERENCE_UNITS) * (REFERENCE_RATE / rate)
    return rest_s * (HELPER_FACTOR if config.build.helper != "none" else 1.0)


def format_duration(seconds: float) -> str:
    """`45 s`, `12 min`, `1 h 40 min`."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"
