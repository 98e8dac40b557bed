"""`n2g export`: units with their labels, scores, graphs and evidence to a file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from n2g.cli.common import echo, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_options, open_database
from n2g.cli.top_cmd import UnitLayerOption, UnitModelOption

if TYPE_CHECKING:
    from n2g.graph.model import NeuronGraph


@one_line_errors
@database_options
def export_command(
    out: Annotated[Path, typer.Argument(help="the file to write: FILE.parquet or FILE.jsonl")],
    graphs: Annotated[
        Path | None, typer.Option("--graphs", help="read a graph file, not the database")
    ] = None,
    model: UnitModelOption = None,
    layer: UnitLayerOption = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            "--labels", help="also write the labels by model, hook and index (JSON) to this file"
        ),
    ] = None,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Export units (label, scores, trie, evidence) for pandas or Hugging Face datasets.

    One row a unit; the file is written whole or not at all. Examples:

      n2g export units.parquet -m smollm2-135m --labels labels.json

      n2g export layer2.jsonl --graphs n2g-run/graphs.jsonl --layer 2
    """
    from n2g.export import export_format, write_batches, write_rows

    fmt = export_format(out)  # a wrong suffix fails before any reading
    if graphs is not None:
        n = write_rows(_from_file(graphs, model, layer), out, labels=labels)
    else:
        from n2g.export_stored import stored_batches
        from n2g.search import NeuronSearch, store

        with open_database(db_flags) as db:
            NeuronSearch(db).require_model(model)
            rows = db.read(store.query("export_keys"), {"model": model, "layer": layer})
            keys = [row["key"] for row in rows]
            n = write_batches(stored_batches(db, keys, fmt), out, labels=labels)
    echo(f"wrote {n:,} unit(s) to {out}" + (f", labels to {labels}" if labels else ""))


def _from_file(path: Path, model: str | None, layer: int | None) -> Iterator[NeuronGraph]:
    """The chosen graphs of a graph file; after its last line, BadLines if any line was
    bad (as `n2g ingest --strict`: raised inside the writer, it leaves no file, for a
    partial export would look complete). Each bad line is named, the good ones read on."""
    from n2g.graph.file import BadLines, GraphFileError, read_graph_files

    errors: list[GraphFileError] = []
    for graph in read_graph_files([path], errors=errors):
        if (model is None or graph.model == model) and (layer is None or graph.layer == layer):
            yield graph
    if errors:
        raise BadLines(errors, "nothing was written")


def register(app: typer.Typer) -> None:
    """Add `n2g export` to the app."""
    app.command("export")(export_command)
