"""`n2g report`: the quality table of graph files (their own command module: reading files
needs neither the database driver nor the run's settings, which `n2g run` imports)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated

import typer

from n2g.cli.common import echo, echo_bad_lines, echo_json, one_line_errors
from n2g.errors import N2GError


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
    """Add `n2g report` to the app."""
    app.command("report")(report)
