"""CLI commands (filled by their issue)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `n2g` app."""
