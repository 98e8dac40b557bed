"""`n2g-ingest GRAPH_FILES...` (also `n2g ingest`): load neuron graph files into the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from n2g.cli.common import OneLineErrorsCommand, echo, echo_bad_lines, fail, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_options, open_database
from n2g.db.ingest import DEFAULT_BATCH_SIZE, IngestSummary
from n2g.errors import printable

app = typer.Typer(
    name="n2g-ingest",
    help="Load N2G graph files (JSON Lines) into Neo4j or the local server.",
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _report(summary: IngestSummary, strict: bool) -> None:
    for path in summary.empty_files:
        name = printable(str(path))
        echo(f"warning: {name} holds no neuron graph (is it the right file?)", err=True)
    echo_bad_lines(summary.errors)
    for line in summary.lines():
        echo(line)
    if summary.errors:
        what = (
            "nothing was loaded (--strict)"
            if strict and not summary.dry_run
            else (
                "the other lines were checked" if summary.dry_run else "the other lines were loaded"
            )
        )
        raise fail(f"{len(summary.errors)} bad line(s); {what}", code=1)
    if not summary.neurons_read:
        raise fail("no neuron graph in the given file(s); nothing was loaded", code=1)


@one_line_errors
@database_options
def ingest_command(
    graph_files: Annotated[
        list[Path],
        typer.Argument(help="graph files (.jsonl), one neuron graph a line", show_default=False),
    ],
    strict: Annotated[
        bool, typer.Option("--strict", help="load nothing if any line is bad")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="validate only; touch no database")
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="neurons per transaction")
    ] = DEFAULT_BATCH_SIZE,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Load graph files: batched, idempotent (unchanged neurons are skipped), a rebuilt
    neuron replaced whole, each neuron all-or-nothing. Bad lines are reported as FILE:LINE
    and the rest load (exit status 1); with --strict nothing loads. Example:

      n2g-ingest n2g-run/graphs.jsonl --dry-run
    """
    from n2g import stages

    options = {"strict": strict, "dry_run": dry_run, "progress": not quiet}
    if dry_run:
        summary = stages.ingest(None, graph_files, **options, batch_size=batch_size)
    else:
        with open_database(db_flags) as db:
            summary = stages.ingest(db, graph_files, **options, batch_size=batch_size)
    _report(summary, strict)


app.command(name="n2g-ingest", cls=OneLineErrorsCommand)(ingest_command)


def main() -> None:
    """Console-script entry point of `n2g-ingest`."""
    app()


if __name__ == "__main__":
    main()
