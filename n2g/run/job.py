"""`n2g run`: the main job, from text to searchable neuron graphs, resumable at every stage.

Stages (each skips what is already done, so an interrupted run is finished by running the
same command again):

1. record  — top-k activating windows of every neuron of the chosen layers (n2g.record)
2. build   — N2G graphs for a seeded sample of neurons per layer, evaluated (n2g.builder)
3. ingest  — graph file into the database; unchanged neurons are skipped (n2g.db.ingest)
4. search  — all-pairs similarity and neuron groups, materialised (n2g.search)
5. report  — quality table (Markdown + PNG), one neuron's SVG, a few real searches
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from n2g.db.connection import Database, DatabaseConfig
from n2g.errors import N2GError
from n2g.models import OFFLINE_MODEL

STAGES = ("record", "build", "ingest", "search", "report")


class RunConfig(BaseModel):
    """Everything the main job needs; the defaults are the offline slice of SmolLM2."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(OFFLINE_MODEL, min_length=1)
    layers: list[int] = Field(default_factory=lambda: [0, 1, 2, 3], min_length=1)
    neurons_per_layer: int = Field(64, ge=1, description="seeded sample of neurons per layer")
    neuron_seed: int = 0
    corpus: str = Field("python-docs", description="corpus the top-k examples come from")
    ood_corpus: str | None = Field("stdlib", description="different corpus for the OOD check")
    ood_windows: int = Field(64, ge=1)
    max_tokens: int = Field(262_144, ge=1, description="tokens of the corpus to scan")
    window: int = Field(64, ge=4)
    k: int = Field(20, ge=2)
    helper: str = Field("causal", description="augmentation helper: none | causal | mlm[:NAME]")
    n_substitutes: int = Field(5, ge=0)
    neurons_per_batch: int = Field(32, ge=1, description="neurons built together")
    similarity_threshold: float = Field(0.9, ge=0.0, le=1.0)
    out: Path = Path("n2g-run")
    device: str = "cpu"

    @field_validator("layers")
    @classmethod
    def _layers(cls, layers: list[int]) -> list[int]:
        if min(layers) < 0:
            raise ValueError("layers must be >= 0")
        return sorted(set(layers))

    @property
    def records_dir(self) -> Path:
        return self.out / "records"

    @property
    def graph_file(self) -> Path:
        return self.out / "graphs.jsonl"

    @property
    def report_dir(self) -> Path:
        return self.out / "report"


def sample_neurons(d_mlp: int, n: int, seed: int) -> list[int]:
    """A seeded sample of `n` neuron indices (all of them when n >= d_mlp), sorted."""
    if n >= d_mlp:
        return list(range(d_mlp))
    return sorted(random.Random(seed).sample(range(d_mlp), n))


def _stage(say: Callable[[str], None], number: int, title: str) -> None:
    say(f"\n[{number}/{len(STAGES)}] {title}")


def run_pipeline(
    config: RunConfig,
    db_config: DatabaseConfig,
    *,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> dict:
    """Run every stage; return the summary (also written to `<out>/summary.json`)."""
    from n2g.builder.batch import ood_provider
    from n2g.builder.stage import BuildConfig, build_graphs
    from n2g.builder.substitutes import make_helper
    from n2g.models import load_model
    from n2g.record.corpus import open_corpus
    from n2g.record.recorder import RecordConfig, record_activations

    config.out.mkdir(parents=True, exist_ok=True)
    # Connect first: a database that is down should fail before minutes of model work.
    with Database.connect(db_config) as db:
        _stage(
            say,
            1,
            f"record: top-{config.k} windows of {config.model} layers "
            f"{config.layers} over {config.corpus}",
        )
        corpus = open_corpus(config.corpus)
        ood_corpus = open_corpus(config.ood_corpus) if config.ood_corpus else None
        model = load_model(config.model, n_layers=max(config.layers) + 1, device=config.device)
        record_config = RecordConfig(
            model=config.model,
            layers=config.layers,
            corpus=config.corpus,
            window=config.window,
            k=config.k,
            max_tokens=config.max_tokens,
            out=config.records_dir,
        )
        manifest = record_activations(model, corpus, record_config, progress=progress)
        say(f"recorded {manifest.n_tokens:,} tokens -> {config.records_dir}")

        neurons = sample_neurons(model.d_mlp, config.neurons_per_layer, config.neuron_seed)
        _stage(
            say,
            2,
            f"build: {len(neurons)} neurons x {len(config.layers)} layers, helper {config.helper}",
        )
        build_config = BuildConfig(
            helper=config.helper,
            n_substitutes=config.n_substitutes,
            n_examples=config.k,
            neurons_per_batch=config.neurons_per_batch,
        )
        helper = make_helper(build_config.helper, model, config.device)
        ood = None
        if ood_corpus is not None:
            ood = ood_provider(
                model, ood_corpus, config.ood_windows, config.window, build_config.seed
            )
        built = build_graphs(
            model,
            config.records_dir,
            build_config,
            config.graph_file,
            progress,
            layers=config.layers,
            neurons=neurons,
            helper=helper,
            ood=ood,
        )
        say(
            f"{built.n_written} graphs built, {built.n_skipped} already there "
            f"-> {config.graph_file}"
        )

        from n2g.db.ingest import ingest_files
        from n2g.db.schema import apply_schema

        _stage(say, 3, f"ingest into {db_config.uri}")
        apply_schema(db)
        ingested = ingest_files(db, [config.graph_file], progress=progress)
        for line in ingested.lines():
            say(line)
        if ingested.errors:
            raise N2GError(
                f"{len(ingested.errors)} bad line(s) in {config.graph_file}: {ingested.errors[0]}"
            )

        from n2g.search.api import NeuronSearch
        from n2g.search.similarity import SimilarityConfig

        _stage(say, 4, "search: all-pairs similarity and neuron groups")
        search = NeuronSearch(db)
        similarity = search.compute_similarity(
            [model.name],
            SimilarityConfig(threshold=config.similarity_threshold),
            show_progress=progress,
        )
        say(
            f"{similarity.similar_pairs} similar pairs, {similarity.subset_pairs} subset pairs, "
            f"{similarity.groups} groups (largest {similarity.largest_group})"
        )

        _stage(say, 5, f"report -> {config.report_dir}")
        from n2g.run.showcase import write_run_report

        summary = write_run_report(config, search, similarity, say)
    summary["stages"] = {
        "record": {"tokens": manifest.n_tokens, "windows": manifest.n_windows},
        "build": built.model_dump(),
        "ingest": {
            "neurons_written": ingested.neurons_written,
            "neurons_unchanged": ingested.neurons_unchanged,
            "nodes": ingested.nodes_created,
            "relationships": ingested.relationships_created,
        },
        "search": similarity.model_dump(),
    }
    (config.out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary
