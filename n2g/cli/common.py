"""What every CLI command shares: one-line errors, exit codes, interrupt handling."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from typer.core import TyperCommand, TyperGroup

try:  # Typer 0.2x carries its own copy of click: its usage errors are these classes
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
except ImportError:  # pragma: no cover - a Typer that uses click itself
    from click.exceptions import ClickException, NoArgsIsHelpError  # type: ignore[assignment]

from n2g.cli.library_messages import library_messages_through
from n2g.errors import N2GError, missing_extra, printable

F = TypeVar("F", bound=Callable)
MAX_ERRORS_SHOWN = 20  # bad lines of graph files named one by one; the rest are counted


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `error: message` (one line, control characters escaped: it may quote input)
    to stderr and return the Exit to raise."""
    typer.echo(f"error: {printable(message)}", err=True)
    return typer.Exit(code)


def echo(text: str, err: bool = False) -> None:
    """Print `text` to the terminal as inert text: every line passed through `printable`
    (a model name, token, file or field name in it may hold escape sequences); the line
    breaks themselves kept."""
    typer.echo("\n".join(printable(line) for line in text.split("\n")), err=err)


def _echo_err(text: str) -> None:
    echo(text, err=True)


def echo_json(text: str) -> None:
    """Print JSON text inert and still valid: a character `printable` would escape can only
    sit inside a JSON string there, so it is written as its JSON escape (`\\u001b`)."""
    if not text.replace("\n", "").isprintable():
        text = "".join(c if c.isprintable() or c == "\n" else json.dumps(c)[1:-1] for c in text)
    typer.echo(text)


def echo_bad_lines(errors: Sequence[Exception]) -> None:
    """Name bad lines of graph files on stderr, one line each (`bad line: FILE:LINE:
    reason`, the first MAX_ERRORS_SHOWN, then how many more): every command that reads
    graph files reports them so, then says in one line what it did about them."""
    for error in errors[:MAX_ERRORS_SHOWN]:
        echo(f"bad line: {error}", err=True)
    if len(errors) > MAX_ERRORS_SHOWN:
        echo(f"... and {len(errors) - MAX_ERRORS_SHOWN} more bad line(s)", err=True)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush on exit finds no closed
    pipe to complain about."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def one_line_errors(func: F) -> F:
    """Turn anticipated failures into one clear line and a non-zero exit, no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except N2GError as exc:
            # BadLines: a graph file read whole had bad lines, each named (imported here:
            # the graph models load numpy, which `n2g --help` does without)
            from n2g.graph.file import BadLines

            if isinstance(exc, BadLines):
                echo_bad_lines(exc.errors)
            raise fail(str(exc), exc.exit_code) from None
        except ValidationError as exc:  # a config object refused a setting
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "setting"
            raise fail(f"bad setting {where}: {first['msg']}") from None
        except ModuleNotFoundError as exc:  # an extra not installed: which one to install
            extra = missing_extra(exc)
            if extra is None:
                raise
            raise fail(str(extra), extra.exit_code) from None
        except KeyboardInterrupt:
            echo("interrupted: finished work is kept; run the same command to resume", err=True)
            raise typer.Exit(130) from None
        except BrokenPipeError:  # the reader stopped reading (`| head -1`): not an error
            _silence_stdout()
            raise typer.Exit(0) from None
        except OSError as exc:  # disk full, permission denied, ...
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            raise fail(f"{exc.strerror or exc}{where}") from None

    return wrapper  # type: ignore[return-value]


def _main_with_one_line_errors(main: Callable[..., Any], standalone: bool, **kwargs: Any) -> Any:
    """Run a click `main` so a usage mistake (a missing or unknown option, a value of the
    wrong type) is one `error:` line naming the help to read, not a boxed usage text."""
    if not standalone:
        with library_messages_through(_echo_err):
            return main(standalone_mode=False, **kwargs)
    try:
        with library_messages_through(_echo_err):  # a library's warning may quote input
            result = main(standalone_mode=False, **kwargs)
    except NoArgsIsHelpError as exc:  # a bare group: its help, as asked
        exc.show()
        sys.exit(exc.exit_code)
    except ClickException as exc:
        context = getattr(exc, "ctx", None)
        hint = f"; see `{context.command_path} --help`" if context is not None else ""
        message = exc.format_message().rstrip(".")
        typer.echo(f"error: {printable(message[:1].lower() + message[1:])}{hint}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        sys.exit(1)
    except ModuleNotFoundError as exc:  # importing a command of an extra not installed
        extra = missing_extra(exc)
        if extra is None:
            raise
        typer.echo(f"error: {printable(str(extra))}", err=True)
        sys.exit(extra.exit_code)
    sys.exit(result if type(result) is int else 0)


def no_flag_labels(command: Any) -> None:
    """Drop the `<bool>` type label Typer's help shows beside every on/off flag (and
    `--help`) of `command` and its subcommands: a flag takes no value to describe."""
    for param in command.params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    make_help = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = make_help(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        no_flag_labels(sub)


class OneLineErrorsGroup(TyperGroup):
    """A command group whose usage mistakes are one `error:` line (`typer.Typer(cls=...)`)
    and whose help shows no type label on flags."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        no_flag_labels(self)
        call = functools.partial(super().main, *args)
        return _main_with_one_line_errors(call, standalone_mode, **kwargs)


class OneLineErrorsCommand(TyperCommand):
    """A single-command app whose usage mistakes are one `error:` line."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        no_flag_labels(self)
        call = functools.partial(super().main, *args)
        return _main_with_one_line_errors(call, standalone_mode, **kwargs)
