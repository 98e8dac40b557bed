"""`n2g show`: one unit's graph, from the database or a graph file.

Its paths as a table, then what the unit does (the output tokens its write direction
promotes and suppresses, where the graph has them); `--json` prints the graph-file line,
`--svg` also draws it. Every token reaches the terminal as plain text (n2g.cli.tables).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from n2g.cli.common import echo_json, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_options, open_database
from n2g.cli.search_cmd import KEY_HELP, JsonOption
from n2g.cli.tables import print_output_tokens, print_paths
from n2g.errors import N2GError
from n2g.graph.file import dump_graph_line, read_graph_files
from n2g.graph.model import NeuronGraph
from n2g.search import NeuronSearch


@one_line_errors
@database_options
def show_command(
    neuron: Annotated[str, typer.Argument(help=KEY_HELP)],
    graphs: Annotated[
        Path | None, typer.Option("--graphs", help="read this graph file, not the database")
    ] = None,
    svg: Annotated[
        Path | None, typer.Option("--svg", help="also write the graph as an SVG file")
    ] = None,
    as_json: JsonOption = False,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Show one neuron's graph: its paths as a table, or --json (a graph-file line).

    Examples:

      n2g show smollm2-135m/3/15 --svg neuron.svg

      n2g show smollm2-135m/3/286 --graphs n2g-run/graphs.jsonl --json
    """
    if graphs is not None:
        graph = _graph_from_file(graphs, neuron)
    else:
        with open_database(db_flags) as db:
            graph = NeuronSearch(db).neuron_graph(neuron)
    if svg is not None:
        _write_svg(graph, svg)
    if as_json:
        echo_json(dump_graph_line(graph))
        return
    print_paths(graph)
    print_output_tokens(graph)


def register(app: typer.Typer) -> None:
    """Add `n2g show` to the `n2g` app."""
    app.command("show")(show_command)


def _graph_from_file(path: Path, key: str) -> NeuronGraph:
    """The graph of `key` in a graph file: a lookup, so the first bad line before it ends
    the command with that line (GraphFileError, one line by one_line_errors)."""
    for graph in read_graph_files([path]):
        if graph.key == key:
            return graph
    raise N2GError(f"no neuron {key!r} in {path}")


def _write_svg(graph: NeuronGraph, path: Path) -> None:
    try:
        from n2g.graph.render import to_svg  # the builder's renderer
    except ImportError:
        raise N2GError("SVG rendering is not available in this install") from None
    from n2g.files import write_text_atomic

    write_text_atomic(path, to_svg(graph))  # whole or not at all, never through a symlink
