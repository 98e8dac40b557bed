"""`n2g run` (the main job end to end) and `n2g report` (the quality table of graph files)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from n2g.cli.common import echo, echo_bad_lines, echo_json, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_config, database_options
from n2g.cli.options import NOTHING, Explicit, settings_options
from n2g.cli.stage_options import (
    BUILD_PANEL,
    LOCAL,
    RECORD_PANEL,
    RUN,
    RUN_BUILD_SETTINGS,
    RUN_RECORD_SETTINGS,
    RUN_SETTINGS,
    ExecutorFlags,
    MethodOption,
    PrintSettingsOption,
    executor_options,
    print_settings,
)
from n2g.errors import N2GError
from n2g.run.method import Method, settle


@one_line_errors
@database_options
@executor_options
@settings_options("build", RUN.build, RUN_BUILD_SETTINGS, BUILD_PANEL)
@settings_options("record", RUN.record, RUN_RECORD_SETTINGS, RECORD_PANEL)
@settings_options("given", RUN, RUN_SETTINGS)
def run(
    given: Explicit = NOTHING,
    method: MethodOption = Method.N2G,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bars")] = False,
    show_settings: PrintSettingsOption = False,
    record: Explicit = NOTHING,
    build: Explicit = NOTHING,
    executor_flags: ExecutorFlags = LOCAL,
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

    config = settle(
        RUN,
        method,
        {
            **given,
            "record": record,
            "build": build,
            "executor": executor_flags.executor,
            "cluster": executor_flags.cluster,
        },
    )
    if show_settings:
        print_settings(config)
        return
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
    graph_files: Annotated[
        list[Path], typer.Argument(help="graph files (JSON Lines) to report on")
    ],
    out: Annotated[Path | None, typer.Option(help="folder for report.md and quality.png")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the numbers as JSON")] = False,
) -> None:
    """The per-layer P/R/F1 table (N2G and each baseline; in and out of distribution).

    SAE and transcoder latents in the files get their own section: their scores beside
    those of their layer's neurons (the per-layer table is of neurons only).

    Example: n2g report n2g-run/graphs.jsonl --out n2g-run/report

      n2g report n2g-run/graphs.jsonl n2g-run/graphs-sae-L3-mlp-8x.jsonl
    """
    from n2g.files import write_text_atomic
    from n2g.graph.file import GraphFileError, read_graph_files
    from n2g.report.splits import split_counts, split_markdown
    from n2g.report.tables import build_report, to_markdown, write_plot
    from n2g.report.units import compare_units, comparison_markdown, write_comparison_plot

    errors: list[GraphFileError] = []
    graphs = list(read_graph_files(graph_files, errors=errors))
    if errors:
        echo_bad_lines(errors)
        echo(f"{len(errors)} bad line(s) skipped; the report is of the other lines", err=True)
    if not graphs:
        raise N2GError("no valid neuron graph in the given file(s)")
    neurons = [g for g in graphs if g.unit_set is None]
    units = compare_units(graphs)
    command = shlex.join(["n2g", "report", *(str(path) for path in graph_files)])
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
            write_comparison_plot(graphs, units, out / "units.png")
    if as_json:
        numbers = {
            "report": result.model_dump() if result is not None else None,
            "units": [row.model_dump() for row in units],
            "splits": [row.model_dump() for row in splits],
        }
        echo_json(json.dumps(numbers if units else numbers["report"], indent=2))
    else:
        echo(markdown)


def register(app: typer.Typer) -> None:
    """Add `n2g run` and `n2g report` to the app."""
    app.command("run")(run)
    app.command("report")(report)
