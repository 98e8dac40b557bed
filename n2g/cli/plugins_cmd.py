"""`n2g plugins`: what each registry holds (n2g.plugins), built-in or installed, and from
which distribution; `--check` imports every installed plug-in, so a broken one is found
before a long job reaches it."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import BaseModel

from n2g.cli.common import echo, one_line_errors


class PluginRow(BaseModel):
    kind: str
    name: str
    source: str
    target: str


@one_line_errors
def plugins(
    check: Annotated[
        bool, typer.Option("--check", help="import every installed plug-in; exit 1 if one fails")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the rows as JSON")] = False,
) -> None:
    """List the models, corpora, substitute helpers and scoring methods n2g can use.

    Built-ins first, then the plug-ins installed distributions declare under the entry
    point groups neuron2graph.models, .corpora, .helpers and .scorers (docs/plugins.md).

    Example: n2g plugins --check
    """
    from n2g.cli.tables import print_rows
    from n2g.plugins import registries

    found = [plugin for registry in registries() for plugin in registry.listing(load=check)]
    rows = [PluginRow(kind=p.kind, name=p.name, source=p.source, target=p.target) for p in found]
    print_rows(rows, ("kind", "name", "source", "target"), as_json, "n2g plug-ins", "none")
    problems = [p.problem for p in found if p.problem]
    for problem in problems:
        echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `n2g plugins` to the app."""
    app.command("plugins")(plugins)
