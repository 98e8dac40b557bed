"""The pipeline's stages as typed functions: the one wiring of "load the model, attach an
SAE or transcoder, place the work, run the stage".

`n2g record`, `n2g build`, `n2g ingest`, `n2g similar`, `n2g report` and `n2g run` each
used to load the model, size it for the layers, attach a unit set and pick local or Ray
their own way; a fix to one (how deep to load, where the cache is, which spec the Ray
workers reload) then missed the others. Here each step is written once: the commands
parse their arguments, call these and print, and the main job (n2g.run.job) calls the
same functions in order. The CLI's start-up time is a feature (n2g.cli.lazy), so this
module imports nothing heavy at import time: every stage imports what it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from n2g.errors import N2GError

if TYPE_CHECKING:
    from n2g.builder.config import BuildConfig
    from n2g.builder.stage import BuildSummary, Shard
    from n2g.circuits.stage import FeedsSummary
    from n2g.cluster.dispatch import Placement
    from n2g.cluster.executor import ClusterConfig, Executor
    from n2g.db.connection import Database
    from n2g.db.ingest import IngestSummary
    from n2g.graph.model import NeuronGraph
    from n2g.models.base import NeuronModel
    from n2g.record.config import RecordConfig
    from n2g.record.corpus import Corpus, CorpusConfig
    from n2g.record.store import RecordsManifest
    from n2g.sae.spec import SAESpec
    from n2g.sae.units import SAEUnits
    from n2g.search import CommunityConfig, SimilarityConfig
    from n2g.search.api import NeuronSearch
    from n2g.search.grouping import SimilarityReport


@dataclass(frozen=True)
class Units:
    """What the record and build stages read: the model (or its view whose units are a
    dictionary's latents), the layers to explain, and where the work runs (`placement`:
    local or Ray, with the recipe by which workers load the same model)."""

    model: NeuronModel
    layers: list[int]
    placement: Placement
    latents: SAEUnits | None = None  # the SAE or transcoder, when the units are its latents

    @property
    def noun(self) -> str:
        """What the units are called in messages: neurons or latents."""
        return "neurons" if self.latents is None else "latents"


def open_model(
    spec: str,
    layers: Sequence[int] | None,
    *,
    device: str,
    dtype: str,
    cache_dir: Path | None = None,
    deeper: Sequence[int] = (),
    executor: Executor | None = None,
    cluster: ClusterConfig | None = None,
) -> Units:
    """Model `spec` loaded as deep as `layers` (and `deeper`: layers a unit set reads)
    need, every layer when `layers` is None, placed on `executor` (local when None); its
    units are the MLP neurons of `layers`."""
    from n2g.cluster.dispatch import Placement
    from n2g.cluster.executor import Executor
    from n2g.models import load_model

    n_layers = None if layers is None else max([*layers, *deeper]) + 1
    model = load_model(spec, n_layers=n_layers, device=device, cache_dir=cache_dir, dtype=dtype)
    placement = Placement(
        executor or Executor.local, cluster, spec=spec, n_layers=n_layers, cache_dir=cache_dir
    )
    chosen = list(layers) if layers is not None else list(range(model.n_layers))
    return Units(model, chosen, placement)


def add_unit_set(
    units: Units,
    spec: str | SAESpec,
    *,
    corpus: str | CorpusConfig | Corpus | None,
    progress: bool,
    cache_dir: Path | None = None,
    transcoder: bool | None = None,
) -> Units:
    """The latents of SAE or transcoder `spec` on `units`' model, in place of its neurons
    (trained once on `corpus` and cached, for an `L..` spec). `transcoder`: the kind the
    user gave it as (`--sae` False, `--transcoder` True), checked once it is loaded."""
    loaded = load_unit_set(
        units.model,
        spec,
        corpus=corpus,
        progress=progress,
        cache_dir=cache_dir,
        transcoder=transcoder,
    )
    return replace(
        units, model=units.model.with_units(loaded), layers=[loaded.layer], latents=loaded
    )


def load_unit_set(
    model: NeuronModel,
    spec: str | SAESpec,
    *,
    corpus: str | CorpusConfig | Corpus | None,
    progress: bool,
    cache_dir: Path | None = None,
    transcoder: bool | None = None,
) -> SAEUnits:
    """SAE or transcoder `spec` on `model` (add_unit_set's loading), its kind checked."""
    from n2g.sae.units import load_units

    loaded = load_units(spec, model, cache_dir=cache_dir, corpus=corpus, progress=progress)
    if transcoder is not None and loaded.transcoder != transcoder:
        what, flag = ("a transcoder", "--transcoder") if loaded.transcoder else ("an SAE", "--sae")
        raise N2GError(f"{spec} holds {what}: give it as {flag}")
    return loaded


def record(
    units: Units, corpus: Corpus, out: Path, config: RecordConfig, *, progress: bool
) -> RecordsManifest:
    """Stage 1: the units' top-k windows over `corpus`, recorded (or resumed) into `out`."""
    from n2g.cluster import dispatch

    return dispatch.record(
        units.model, corpus, units.layers, out, config, units.placement, progress=progress
    )


def build(
    units: Units,
    records: Path,
    out: Path,
    config: BuildConfig,
    *,
    device: str,
    progress: bool,
    neurons: Sequence[int] | None = None,
    shard: Shard | None = None,
) -> BuildSummary:
    """Stage 2: the graphs of `neurons` (unit indices; all when None) of `units`' layers
    from the records folder, built (or resumed) into graph file `out`."""
    from n2g.cluster import dispatch

    return dispatch.build(
        units.model,
        records,
        out,
        config,
        units.placement,
        layers=units.layers,
        neurons=neurons,
        shard=shard,
        device=device,
        progress=progress,
    )


def ingest(
    db: Database | None,
    files: Sequence[Path],
    *,
    strict: bool,
    dry_run: bool,
    progress: bool,
    batch_size: int,
) -> IngestSummary:
    """Stage 3: graph files into the database (its schema first); with `dry_run` only
    checked (`db` may be None). Bad lines are in the summary, never raised."""
    from n2g.db.ingest import ingest_files

    return ingest_files(
        db, files, strict=strict, dry_run=dry_run, progress=progress, batch_size=batch_size
    )


def similarity(
    search: NeuronSearch,
    models: Sequence[str],
    config: SimilarityConfig,
    *,
    communities: CommunityConfig | None,
    progress: bool,
) -> SimilarityReport:
    """Stage 4: all-pairs similarity, the paper's groups and (unless `communities` is
    None) the nested communities of `models`' units, stored in place of the old ones."""
    return search.compute_similarity(
        list(models), config, communities=communities, show_progress=progress
    )


def similarity_summary(report: SimilarityReport) -> str:
    """What the similarity stage found, in a few lines (`n2g similar`, `n2g run`)."""
    lines = [
        f"{report.neurons:,} neurons ({report.neurons_without_activating_tokens:,} without "
        f"activating tokens), threshold {report.threshold}: "
        f"{report.similar_pairs:,} SIMILAR_TO pairs, {report.subset_pairs:,} SUBSET_OF "
        f"pairs, {report.groups:,} groups (largest {report.largest_group}) "
        f"in {report.seconds:.1f} s"
    ]
    if report.community_floor is not None:
        lines.append(
            f"communities: {report.community_edges:,} pairs scoring ≥ {report.community_floor}"
        )
        lines += [
            f"  level {row.level} (resolution {row.resolution:g}): {row.groups:,} groups "
            f"holding {row.grouped_units:,} units, largest {row.largest:,}"
            for row in report.levels
        ]
    return "\n".join(lines)


@dataclass(frozen=True)
class FileReport:
    """The report on graph files: its Markdown and its numbers (`--json`'s form)."""

    markdown: str
    numbers: dict[str, Any] | None


def report(graphs: Sequence[NeuronGraph], command: str, out: Path | None) -> FileReport:
    """Stage 5 on graph files (`n2g report`): the neurons' quality table, latents beside
    their layer's neurons, how many neurons split into latents; with `out`, report.md,
    quality.png and units.png written there. `command`: the line the report names."""
    from n2g.files import write_text_atomic
    from n2g.report.splits import split_counts, split_markdown
    from n2g.report.tables import build_report, to_markdown, write_plot
    from n2g.report.units import compare_units, comparison_markdown, write_comparison_plot

    if not graphs:
        raise N2GError("no valid neuron graph in the given file(s)")
    neurons = [g for g in graphs if g.unit_set is None]
    units = compare_units(graphs)
    result = build_report(neurons, command) if neurons else None
    parts = [to_markdown(result), ""] if result is not None else []
    splits = split_counts(graphs) if units else []
    markdown = "\n".join(parts + comparison_markdown(units) + split_markdown(splits))
    markdown = markdown.rstrip("\n")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out / "report.md", markdown + "\n")
        if result is not None:
            write_plot(result, out / "quality.png")
        if units:
            write_comparison_plot(list(graphs), units, out / "units.png")
    numbers: dict[str, Any] = {
        "report": result.model_dump() if result is not None else None,
        "units": [row.model_dump() for row in units],
        "splits": [row.model_dump() for row in splits],
    }
    return FileReport(markdown, numbers if units else numbers["report"])


def feeds(
    db: Database,
    model: NeuronModel,
    layers: Sequence[int],
    *,
    sources: Sequence[str],
    records: Path | None,
    k: int,
    check: int = 0,
    seed: int = 0,
    windows: int | None = None,
    crop: int | None = None,
    done: Callable[[str, int, int, int], None] | None = None,
    unit_sets: Sequence[tuple[str, bool]] = (),
    more_records: Sequence[Path] = (),
) -> FeedsSummary:
    """FEEDS edges of each source among `model`'s stored neurons of `layers` (each
    source's old edges replaced); with `check` N, N units a layer checked by ablation on
    `windows` test windows each and the effects stored on their edges. `crop`: tokens
    kept of each window (None: the defaults of n2g.circuits.stage). `done` sees (source,
    layer, units, edges) after each slice of targets. `unit_sets`: (spec, transcoder) of
    SAEs and transcoders whose stored latents take part too (n2g.circuits.latents), their
    records among `more_records` for the data source; the check stays with neurons."""
    from n2g.circuits.stage import (
        DEFAULT_CROP,
        DEFAULT_WINDOWS,
        check_by_ablation,
        compute_feeds,
        linked_units,
        load_inputs,
        sample_units,
    )

    if unit_sets:
        folders = [*([records] if records is not None else []), *more_records]
        return _feeds_with_latents(
            db,
            model,
            layers,
            sources,
            folders,
            k=k,
            crop=crop,
            done=done,
            unit_sets=unit_sets,
            check=check,
        )
    units = linked_units(db, model.name, layers)
    inputs = load_inputs(db, model.name, units, sources, records)
    crop = DEFAULT_CROP if crop is None else crop
    summary = compute_feeds(db, model, units, k, sources, inputs, crop=crop, done=done)
    if check:
        summary.check, summary.measured = check_by_ablation(
            db,
            model,
            units,
            sample_units(units, check, seed),
            sources,
            inputs,
            k=k,
            windows=DEFAULT_WINDOWS if windows is None else windows,
            crop=crop,
            seed=seed,
        )
    return summary


def _feeds_with_latents(
    db: Database,
    model: NeuronModel,
    layers: Sequence[int],
    sources: Sequence[str],
    records: Sequence[Path],
    *,
    k: int,
    crop: int | None,
    done: Callable[[str, int, int, int], None] | None,
    unit_sets: Sequence[tuple[str, bool]],
    check: int,
) -> FeedsSummary:
    """`feeds` with the stored latents of `unit_sets` beside the neurons of `layers`."""
    from n2g.circuits import latents
    from n2g.circuits.stage import DEFAULT_CROP, Inputs, compute_feeds, load_inputs, stored_units

    if check:
        raise N2GError(
            "the ablation check measures neuron edges only: leave out --sae/--transcoder"
        )
    sets = latents.stored_sets(db, model.name, unit_sets)
    units = stored_units(db, model.name, layers)
    by_set = latents.records_by_set(records, model.name)
    if "data" in sources:
        latents.check_records(sets, bool(units), by_set)

    def load(spec: str, transcoder: bool) -> SAEUnits:
        return load_unit_set(model, spec, corpus=None, progress=False, transcoder=transcoder)

    parts = latents.load_parts(model, sets, load)
    latents.check_upstream([*latents.neuron_parts(model, units), *parts])
    inputs = load_inputs(db, model.name, units, [s for s in sources if s != "data"], None)
    inputs = Inputs(by_set.get(None), inputs.tokens, by_set)
    crop = DEFAULT_CROP if crop is None else crop
    return compute_feeds(db, model, units, k, sources, inputs, crop=crop, done=done, latents=parts)
