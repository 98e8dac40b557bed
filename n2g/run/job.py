"""`n2g run`: the main job, from text to searchable neuron graphs, resumable at every stage.

Stages (each skips what is already done, so an interrupted run is finished by running the
same command again):

1. record  — top-k activating windows of every neuron of the chosen layers (n2g.record)
2. build   — N2G graphs for a seeded sample of neurons per layer, evaluated (n2g.builder);
             with --sae / --transcoder, the same for that unit set's latents (trained once)
3. ingest  — graph file into the database; unchanged neurons are skipped (n2g.db.ingest);
             with --circuits, then FEEDS edges among the stored units (n2g.run.circuits)
4. search  — all-pairs similarity and neuron groups, materialised (n2g.search)
5. report  — quality table (Markdown + PNG), one neuron's SVG, a few real searches
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from n2g.db.connection import Database, DatabaseConfig
from n2g.errors import N2GError
from n2g.files import write_text_atomic
from n2g.run.config import RunConfig, UnitSetRun

if TYPE_CHECKING:
    from n2g.record.provenance import CorpusProvenance
    from n2g.record.store import RecordsManifest
    from n2g.stages import Units

STAGES = ("record", "build", "ingest", "search", "report")


def sample_units(n_units: int, n: int | None, seed: int) -> list[int]:
    """A seeded sample of `n` of a layer's `n_units` unit indices (all of them when n is
    None or >= n_units)."""
    if n is None or n >= n_units:
        return list(range(n_units))
    return sorted(random.Random(seed).sample(range(n_units), n))


def _unit_set_layers(config: RunConfig) -> list[int]:
    """The unit sets' layers when their specs name them (so the model is loaded that deep)."""
    from n2g.sae.spec import parse_sae_spec

    layers = (parse_sae_spec(unit_set.spec).known_layer for unit_set in config.unit_sets)
    return [layer for layer in layers if layer is not None]


def _unit_set_latents(
    config: RunConfig,
    unit_set: UnitSetRun,
    neurons: Units,
    corpus: Any,
    progress: bool,
    say: Callable[[str], None],
) -> tuple[Any, Any]:
    """Stage 2 for an SAE or a transcoder: train it once (or load it), record its latents'
    top windows and build their graphs, beside the neurons' (same settings, same seeded
    sample size)."""
    from n2g import stages

    say(f"{unit_set.option} {unit_set.spec}: read from the cache, or trained once here")
    view = stages.add_unit_set(
        neurons,
        unit_set.spec,
        corpus=corpus,
        progress=progress,
        transcoder=unit_set.option == "transcoder",
    )
    units = view.latents
    assert units is not None
    if units.quality is not None:
        q = units.quality
        target = f" -> {units.hook_name_out}" if units.hook_name_out else ""
        say(
            f"{units.kind} {units.name} on {units.hook_name}{target}: {units.n_units:,} latents, "
            f"explained variance {q.explained_variance:.3f}, L0 {q.mean_l0:.1f}, "
            f"dead {q.dead_fraction:.1%}"
        )
    folder = unit_set.records_dir
    manifest = stages.record(view, corpus, folder, config.record, progress=progress)
    say(f"recorded {manifest.n_tokens:,} tokens -> {folder}")
    latents = sample_units(units.n_units, config.neurons_per_layer, config.neuron_seed)
    built = stages.build(
        view,
        folder,
        unit_set.graph_file,
        config.build,
        neurons=latents,
        device=config.device,
        progress=progress,
    )
    say(f"{built.n_written} latent graphs built, {built.n_skipped} already there")
    return units, built


def _prepare(
    config: RunConfig, say: Callable[[str], None]
) -> tuple[Any, CorpusProvenance, Units, RunConfig]:
    """Open the corpus (naming its version and text hash, with a warning when it is not the
    documented report's) and load the model, a line for each, then say which number format
    this CPU gets and, when the recording is still to do, roughly how long the job takes."""
    from n2g import stages
    from n2g.record.corpus import open_corpus
    from n2g.record.provenance import corpus_provenance
    from n2g.record.store import MANIFEST
    from n2g.run.estimate import job_estimate_line, number_format_line
    from n2g.run.reference import reference_warning

    corpus = open_corpus(config.corpus)
    provenance = corpus_provenance(corpus)
    say(f"corpus: {provenance.line(short=True)}")
    warning = reference_warning(provenance)
    if warning:
        say(warning)
    say(f"loading {config.model} (converted once, then read from the cache) ...")
    started = time.perf_counter()
    units = stages.open_model(
        config.model,
        config.layers,
        device=config.device,
        dtype=config.dtype,
        deeper=_unit_set_layers(config),
        executor=config.executor,
        cluster=config.cluster,
    )
    model = units.model
    say(f"loaded {model.name} in {time.perf_counter() - started:.0f} s")
    if config.layers is None:  # "all": known once the model is
        config = config.model_copy(update={"layers": units.layers})
    assert config.layers is not None
    say(number_format_line(model, config))
    if not (config.records_dir / MANIFEST).is_file():
        per_layer = min(model.n_units, config.neurons_per_layer or model.n_units)
        n_units = per_layer * len(config.layers)
        say(job_estimate_line(model, config, config.layers, n_units, _unit_set_work(model, config)))
    return corpus, provenance, units, config


def _records_corpus(manifest: RecordsManifest, opened: CorpusProvenance) -> CorpusProvenance:
    """The corpus the records were made from, as their manifest names it; the corpus opened
    now when the manifest is older than those fields."""
    from n2g.record.provenance import CorpusProvenance

    if manifest.corpus_sha256 is None:
        return opened
    return CorpusProvenance(
        name=manifest.corpus, version=manifest.corpus_version, sha256=manifest.corpus_sha256
    )


def _unit_set_work(model: Any, config: RunConfig) -> list[Any]:
    """What each SAE or transcoder of the run still costs, for the estimate: an n2g-trained
    one not yet cached is trained; a loaded one's width is known only once it is loaded."""
    from n2g.run.estimate import UnitSetWork
    from n2g.sae.acts import hook_width
    from n2g.sae.cache import is_complete, sae_folder
    from n2g.sae.spec import TrainedSAESpec, TrainedTranscoderSpec, parse_sae_spec
    from n2g.sae.train import SAETrainConfig

    work = []
    for unit_set in config.unit_sets:
        spec = parse_sae_spec(unit_set.spec)
        if not isinstance(spec, TrainedSAESpec | TrainedTranscoderSpec):
            work.append(UnitSetWork(0, config.neurons_per_layer or 0))
            continue
        n_latents = spec.expansion * hook_width(model, spec.hook_name)  # as training sizes it
        cached = is_complete(sae_folder(model.name, spec.name))
        tokens = 0 if cached else SAETrainConfig().training_tokens
        work.append(UnitSetWork(tokens, min(n_latents, config.neurons_per_layer or n_latents)))
    return work


class StageTimes:
    """Wall time of each stage of the job, for its closing line and summary.json."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def line(self) -> str:
        from n2g.run.estimate import format_duration

        total = format_duration(sum(self.seconds.values()))
        parts = ", ".join(f"{name} {format_duration(s)}" for name, s in self.seconds.items())
        return f"{total}: {parts}"


def _stage(say: Callable[[str], None], number: int, title: str) -> None:
    say(f"\n[{number}/{len(STAGES)}] {title}")


def run_pipeline(
    config: RunConfig,
    db_config: DatabaseConfig,
    *,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> dict:
    """Run every stage; return the summary (also written to `<out>/summary.json`).

    The model spec is resolved once, by loading the model: every later stage (records,
    graph file, database, report) names it by the loaded model's canonical `name`.
    """
    from n2g.run.showcase import write_run_report
    from n2g.search.api import NeuronSearch

    config.out.mkdir(parents=True, exist_ok=True)
    times = StageTimes()
    # Connect first: a database that is down should fail before minutes of model work.
    with Database.connect(db_config) as db:
        say(f"database: {db_config.uri}")
        with times("prepare"):
            corpus, opened, neurons, config = _prepare(config, say)
        model = neurons.model
        manifest = _record_neurons(config, neurons, corpus, times, progress, say)
        provenance = _records_corpus(manifest, opened)
        built = _build_neurons(config, neurons, times, progress, say)
        units, built_sets = [], {}
        graph_files = [config.graph_file]
        for unit_set in config.unit_sets:
            kind = "SAE" if unit_set.option == "sae" else "transcoder"
            with times(f"{kind} latents"):  # the stage's name in summary.json
                loaded, built_sets[f"build_{unit_set.option}"] = _unit_set_latents(
                    config, unit_set, neurons, corpus, progress, say
                )
            units.append(loaded)
            graph_files.append(unit_set.graph_file)
        ingested = _ingest(db, db_config, config, graph_files, times, progress, say)
        circuits = None
        if config.circuits:
            from n2g.run.circuits import run_circuits

            say("\ncircuits: FEEDS edges among the stored units (activation x gradient)")
            with times("circuits"):
                circuits = run_circuits(db, model, config, say)
        search = NeuronSearch(db)
        similarity = _similarity(search, model, config, times, progress, say)
        check = None
        if config.coactivation is not None:
            from n2g.run.coactivation import check_run

            with times("check"):
                check = check_run(search, model, corpus, config, say)
        _stage(say, 5, f"report -> {config.report_dir}")
        with times("report"):
            summary = write_run_report(
                config, model, search, similarity, say, units, provenance, check, circuits
            )
    say(f"\nfinished in {times.line()}")
    say(f"graphs: {', '.join(str(path) for path in graph_files)}   records: {config.records_dir}")
    summary["stages"] = {
        "record": {"tokens": manifest.n_tokens, "windows": manifest.n_windows},
        "build": built.model_dump(),
        **{name: built_set.model_dump() for name, built_set in built_sets.items()},
        "ingest": {
            "neurons_written": ingested.neurons_written,
            "neurons_unchanged": ingested.neurons_unchanged,
            "nodes": ingested.nodes_created,
            "relationships": ingested.relationships_created,
        },
        "search": similarity.model_dump(),
    }
    summary["stage_seconds"] = {name: round(seconds, 1) for name, seconds in times.seconds.items()}
    write_text_atomic(
        config.out / "summary.json", json.dumps(summary, indent=2, default=str) + "\n"
    )
    return summary


def _record_neurons(
    config: RunConfig,
    neurons: Units,
    corpus: Any,
    times: StageTimes,
    progress: bool,
    say: Callable[[str], None],
) -> Any:
    """Stage 1: the neurons' top windows, recorded (or resumed) into the records folder."""
    from n2g import stages

    _stage(
        say,
        1,
        f"record: top-{config.record.k} windows of {neurons.model.name} layers "
        f"{neurons.layers} over {corpus.name}",
    )
    with times("record"):
        manifest = stages.record(
            neurons, corpus, config.records_dir, config.record, progress=progress
        )
    say(f"recorded {manifest.n_tokens:,} tokens -> {config.records_dir}")
    return manifest


def _build_neurons(
    config: RunConfig,
    neurons: Units,
    times: StageTimes,
    progress: bool,
    say: Callable[[str], None],
) -> Any:
    """Stage 2: the neurons' graphs, built (or resumed) into the graph file."""
    from n2g import stages

    model = neurons.model
    sample = sample_units(model.n_units, config.neurons_per_layer, config.neuron_seed)
    _stage(
        say,
        2,
        f"build: {len(sample)} neurons x {len(neurons.layers)} layers, helper "
        f"{config.build.helper}, {model.dtype}",
    )
    with times("build"):
        built = stages.build(
            neurons,
            config.records_dir,
            config.graph_file,
            config.build,
            neurons=sample,
            device=config.device,
            progress=progress,
        )
    say(f"{built.n_written} graphs built, {built.n_skipped} already there -> {config.graph_file}")
    if built.stage_seconds:
        say("time per stage: " + ", ".join(f"{k} {v:.1f}s" for k, v in built.stage_seconds.items()))
    return built


def _ingest(
    db: Database,
    db_config: DatabaseConfig,
    config: RunConfig,
    graph_files: list[Path],
    times: StageTimes,
    progress: bool,
    say: Callable[[str], None],
) -> Any:
    """Stage 3: every graph file of the run into the database; a bad line stops the run."""
    from n2g import stages
    from n2g.db.ingest import DEFAULT_BATCH_SIZE

    _stage(say, 3, f"ingest into {db_config.uri}")
    with times("ingest"):
        ingested = stages.ingest(
            db,
            graph_files,
            strict=False,
            dry_run=False,
            progress=progress,
            batch_size=DEFAULT_BATCH_SIZE,
        )
    for line in ingested.lines():
        say(line)
    if ingested.errors:
        raise N2GError(
            f"{len(ingested.errors)} bad line(s) in {config.graph_file}: {ingested.errors[0]}"
        )
    return ingested


def _similarity(
    search: Any,
    model: Any,
    config: RunConfig,
    times: StageTimes,
    progress: bool,
    say: Callable[[str], None],
) -> Any:
    """Stage 4: all-pairs similarity, groups and communities of the model's units, stored."""
    from n2g import stages

    _stage(say, 4, "search: all-pairs similarity, groups and communities")
    with times("search"):
        similarity = stages.similarity(
            search,
            [model.name],
            config.similarity,
            communities=config.communities,
            progress=progress,
        )
    say(stages.similarity_summary(similarity))
    return similarity
