"""What every CLI command shares: one-line errors, exit codes, interrupt handling."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from pydantic import ValidationError

from n2g.errors import N2GError, printable

F = TypeVar("F", bound=Callable)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `error: message` (one line, control characters escaped: it may quote input)
    to stderr and return the Exit to raise."""
    typer.echo(f"error: {printable(message)}", err=True)
    return typer.Exit(code)


def one_line_errors(func: F) -> F:
    """Turn anticipated failures into one clear line and a non-zero exit, no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except N2GError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except ValidationError as exc:  # a config object refused a setting
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "setting"
            raise fail(f"bad setting {where}: {first['msg']}") from None
        except KeyboardInterrupt:
            typer.echo(
                "interrupted: finished work is kept; run the same command to resume", err=True
            )
            raise typer.Exit(130) from None
        except OSError as exc:  # disk full, permission denied, ...
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            raise fail(f"{exc.strerror or exc}{where}") from None

    return wrapper  # type: ignore[return-value]


MAX_LAYER = 1023  # far beyond any real model's depth; a range is refused before it is listed


def parse_layer_choice(text: str) -> list[int] | None:
    """`parse_layers`, or None for "all": every layer of the model (or of the records)."""
    return None if text.strip().lower() == "all" else parse_layers(text)


def parse_layers(text: str) -> list[int]:
    """'0-3' -> [0, 1, 2, 3]; '0,2' -> [0, 2]; '1-2,5' -> [1, 2, 5]. N2GError names --layers."""
    bounds: list[tuple[int, int]] = []
    try:
        for part in text.split(","):
            low, dash, high = part.strip().partition("-")
            bounds.append((int(low), int(high) if dash else int(low)))
    except ValueError:
        raise N2GError(f"bad --layers {text!r}: use e.g. '0-3' or '0,2'") from None
    if any(low > high for low, high in bounds):
        raise N2GError(f"bad --layers {text!r}: a range goes up, e.g. '0-3'")
    if any(low < 0 or high > MAX_LAYER for low, high in bounds):
        raise N2GError(f"bad --layers {text!r}: layers are numbers from 0 to {MAX_LAYER}")
    return sorted({layer for low, high in bounds for layer in range(low, high + 1)})
