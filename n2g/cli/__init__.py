"""The `n2g` command line (Typer). Each command group lives in its own module."""

from __future__ import annotations

import typer

from n2g.cli import (
    build_cmd,
    db_cmd,
    export_cmd,
    groups_cmd,
    pipeline_cmd,
    record_cmd,
    search_cmd,
    serve_cmd,
    show_cmd,
    split_cmd,
    token_names,
    top_cmd,
)
from n2g.cli.common import OneLineErrorsGroup

token_names.install()  # old graph files' byte tokens renamed from their ids on reading

app = typer.Typer(
    name="n2g",
    help="Neuron to Graph: explain every MLP neuron of a language model as a searchable graph.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=OneLineErrorsGroup,
)

for module in (
    record_cmd,
    build_cmd,
    db_cmd,
    search_cmd,
    groups_cmd,
    show_cmd,
    split_cmd,
    top_cmd,
    export_cmd,
    pipeline_cmd,
    serve_cmd,
):
    module.register(app)


def main() -> None:
    """Console-script entry point of `n2g`."""
    app()
