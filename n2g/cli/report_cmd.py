"""`n2g report`: the quality table of graph files (their own command module: reading files
needs neither the database driver nor the run's settings, which `n2g run` imports)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated

import typer

from n2g.cli.common import echo, echo_bad_lines, echo_json, one_line_errors


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
    from n2g import stages
    from n2g.graph.file import GraphFileError, read_graph_files

    errors: list[GraphFileError] = []
    graphs = list(read_graph_files(graph_files, errors=errors))
    if errors:
        echo_bad_lines(errors)
        echo(f"{len(errors)} bad line(s) skipped; the report is of the other lines", err=True)
    command = shlex.join(["n2g", "report", *(str(path) for path in graph_files)])
    made = stages.report(graphs, command, out)
    if as_json:
        echo_json(json.dumps(made.numbers, indent=2))
    else:
        echo(made.markdown)


def register(app: typer.Typer) -> None:
    """Add `n2g report` to the app."""
    app.command("report")(report)
