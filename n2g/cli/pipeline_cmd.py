"""`n2g run` (the main job end to end) and `n2g report` (the quality table of graph files)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import typer

from n2g.builder.config import BuildConfig
from n2g.cli.build_cmd import (
    AugmentedSaliencyOption,
    ExactTokensOption,
    FoldTokensOption,
    MaxContextOption,
    NoRerankOption,
    RerankOption,
)
from n2g.cli.common import echo, echo_json, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_config, database_options
from n2g.cli.defaults import (
    SAE_HELP,
    TRANSCODER_HELP,
    DtypeOption,
    ExecutorOption,
    RayAddressOption,
    WorkersOption,
    cluster_of,
    either,
    given,
    help_of,
)
from n2g.cluster.executor import Executor
from n2g.errors import N2GError
from n2g.record.config import RecordConfig
from n2g.run.config import RunConfig
from n2g.run.method import PAPER_RECORD, Method, build_settings, record_settings
from n2g.selection import format_layers, max_context_override, parse_layer_choice

RUN = RunConfig()  # the main job's defaults, shown as the options' defaults


@one_line_errors
@database_options
def run(
    model: str = typer.Option(RUN.model, help=help_of(RUN, "model")),
    layers: str = typer.Option(
        format_layers(RUN.layers or []), help="layers to explain, e.g. 0-3, 0,2 or all"
    ),
    neurons_per_layer: int | None = typer.Option(
        RUN.neurons_per_layer, help=help_of(RUN, "neurons_per_layer"), show_default=False
    ),
    corpus: str = typer.Option(
        RUN.corpus, help="stdlib | python-docs | debian-handbook | PATH | FILE.jsonl"
    ),
    ood_corpus: str = typer.Option(
        RUN.build.ood_corpus or "none",
        help="a different corpus for the out-of-distribution check ('none' to skip)",
    ),
    max_tokens: int = typer.Option(
        RUN.record.max_tokens, help="corpus tokens to scan for top examples"
    ),
    method: Method = typer.Option(
        Method.N2G, help="n2g (this project's defaults) | paper (the paper's settings exactly)"
    ),
    window: int = typer.Option(
        None,
        help=f"tokens per window \\[default: the method's: n2g {RUN.record.window}, "
        f"paper {PAPER_RECORD['window']}]",
        show_default=False,
    ),
    k: int = typer.Option(None, help="top examples kept per neuron \\[default: the method's]"),
    helper: str = typer.Option(RUN.build.helper, help="augmentation: none | causal | mlm[:NAME]"),
    neurons_per_batch: int = typer.Option(
        RUN.build.neurons_per_batch, help=help_of(RUN.build, "neurons_per_batch")
    ),
    fold_tokens: bool = FoldTokensOption,
    exact_tokens: bool = ExactTokensOption,
    rerank: bool = RerankOption,
    no_rerank: bool = NoRerankOption,
    augmented_saliency: str = AugmentedSaliencyOption,
    max_context: str = MaxContextOption,
    sae: str = typer.Option(
        None, "--sae", help=SAE_HELP + "; its latents are compared with the layer's neurons"
    ),
    transcoder: str = typer.Option(None, "--transcoder", help=TRANSCODER_HELP),
    out: Path = typer.Option(RUN.out, help=help_of(RUN, "out")),
    device: str = typer.Option(RUN.device, help=help_of(RUN, "device")),
    dtype: str = DtypeOption,
    quiet: bool = typer.Option(False, "--quiet", help="no progress bars"),
    executor: Executor = ExecutorOption,
    ray_address: str = RayAddressOption,
    workers: int = WorkersOption,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Record, build, ingest, search and report: text to searchable neuron graphs.

    Interrupt it at any stage and run the same command again: it finishes what is left.

    Examples: n2g run --layers 0-1 --neurons-per-layer 16 --max-tokens 65536

      n2g run --layers all --neurons-per-layer 64   (a sample of every layer of the model)

      n2g run --method paper --out paper-run   (the paper's settings, for comparison)

      n2g run --sae L3-mlp-8x   (also an SAE's latents: trained once, compared with layer 3)

      n2g run --executor ray --ray-address auto   (record and build on a Ray cluster)

      n2g run --sae L3-mlp-8x --transcoder L3-tc-8x   (and a transcoder's: all three compared)
    """
    from n2g.run.job import run_pipeline

    config = RunConfig(
        model=model,
        layers=parse_layer_choice(layers),
        neurons_per_layer=neurons_per_layer,
        corpus=corpus,
        record=RecordConfig.model_validate(
            {
                **record_settings(method, RUN.record).model_dump(),
                "max_tokens": max_tokens,
                **given(window=window, k=k),
            }
        ),
        build=BuildConfig.model_validate(
            {
                **build_settings(method, RUN.build).model_dump(),
                "helper": helper,
                "neurons_per_batch": neurons_per_batch,
                "ood_corpus": None if ood_corpus.lower() == "none" else ood_corpus,
                **given(
                    fold_tokens=either(
                        fold_tokens, exact_tokens, "--fold-tokens", "--exact-tokens"
                    ),
                    rerank_substitutes=either(rerank, no_rerank, "--rerank", "--no-rerank"),
                    augmented_saliency=augmented_saliency,
                ),
                **max_context_override(max_context),
            }
        ),
        sae=sae,
        transcoder=transcoder,
        out=out,
        device=device,
        dtype=dtype,
        executor=executor,
        cluster=cluster_of(ray_address, workers),
    )
    db_config = database_config(db_flags)
    run_pipeline(config, db_config, progress=not quiet, say=echo)
    echo(f"\ndone: report in {config.report_dir}/report.md")
    echo(f"browse the graphs and their evidence: {browse_command(db_flags)}")


def browse_command(db_flags: DatabaseFlags) -> str:
    """The `n2g serve` line that browses what a run stored: the database the run was
    given by flag (never its password: `n2g serve` reads N2G_PASSWORD as the run did)."""
    program = sys.argv[0] if Path(sys.argv[0]).name == "n2g" else "n2g"  # as the user typed it
    words = [shlex.quote(program), "serve"]
    for flag, value in (("--uri", db_flags.uri), ("--user", db_flags.user)):
        if value:
            words.append(f"{flag} {shlex.quote(value)}")
    if db_flags.database:
        words.append(f"--database {shlex.quote(db_flags.database)}")
    return " ".join(words) + "   (then open http://127.0.0.1:8000/)"


@one_line_errors
def report(
    graph_files: list[Path] = typer.Argument(..., help="graph files (JSON Lines) to report on"),
    out: Path = typer.Option(None, help="folder for report.md and quality.png"),
    as_json: bool = typer.Option(False, "--json", help="print the numbers as JSON"),
) -> None:
    """The per-layer P/R/F1 table (N2G and each baseline; in and out of distribution).

    SAE and transcoder latents in the files get their own section: their scores beside
    those of their layer's neurons (the per-layer table is of neurons only).

    Example: n2g report n2g-run/graphs.jsonl --out n2g-run/report

      n2g report n2g-run/graphs.jsonl n2g-run/graphs-sae-L3-mlp-8x.jsonl
    """
    from n2g.graph.file import GraphFileError, iter_graph_file
    from n2g.graph.model import NeuronGraph
    from n2g.report.tables import build_report, to_markdown, write_plot
    from n2g.report.units import compare_units, comparison_markdown, write_comparison_plot

    graphs: list[NeuronGraph] = []
    errors: list[GraphFileError] = []
    for path in graph_files:
        if not path.is_file():
            raise N2GError(f"graph file not found: {path}")
        graphs += [g for _, g in iter_graph_file(path, errors=errors)]
    for error in errors:
        echo(f"skipped bad line {error}", err=True)
    if not graphs:
        raise N2GError("no valid neuron graph in the given file(s)")
    neurons = [g for g in graphs if g.unit_set is None]
    units = compare_units(graphs)
    result = build_report(neurons) if neurons else None
    parts = [to_markdown(result), ""] if result is not None else []
    markdown = "\n".join(parts + comparison_markdown(units)).rstrip("\n")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.md").write_text(markdown + "\n", encoding="utf-8")
        if result is not None:
            write_plot(result, out / "quality.png")
        if units:
            write_comparison_plot(graphs, units, out / "units.png")
    if as_json:
        numbers = {
            "report": result.model_dump() if result is not None else None,
            "units": [row.model_dump() for row in units],
        }
        echo_json(json.dumps(numbers if units else numbers["report"], indent=2))
    else:
        echo(markdown)


def register(app: typer.Typer) -> None:
    """Add `n2g run` and `n2g report` to the app."""
    app.command("run")(run)
    app.command("report")(report)
