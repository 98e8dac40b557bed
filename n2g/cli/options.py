"""Options made from config fields, and the one decorator that adds a group of options.

Why: a setting's flag, help and default were written by hand in each command that took it,
in three styles, and drifted (one command's default over another's, a method's setting
overwritten by today's default). Now the config field is the one source:

- `field_option(defaults, setting)` makes the typer option of a config field: its flag
  (`--field-name` unless the `Setting` names another), its help (the field's description),
  and the default it shows (the config's, or "the method's: n2g X, paper Y" where a
  `--method` gives the field another value). A command that reads the value itself
  gives the parameter the config's default; one that settles it gives None, so that a
  flag not given is told apart from one given.
- `settings_options(target, defaults, settings)` adds such options (default None) to a
  command in place of its parameter `target`, and hands it the flags given, parsed, as
  one mapping: `n2g.run.method.settle` then orders flag > method > default, once for all
  commands.
- `option_group(target, options, gather)` is the mechanism under both this and the
  database flags (`n2g.cli.db_options`): every option is declared `Annotated[T, Option]`,
  and a group several commands share is named once in each signature.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import MappingProxyType, UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import typer
from pydantic import BaseModel
from rich.markup import escape

from n2g.errors import N2GError

R = TypeVar("R")

Explicit = Mapping[str, Any]  # the settings given on the command line, by field name
NOTHING: Explicit = MappingProxyType({})


@dataclass(frozen=True)
class Setting:
    """How one config field reads as a command-line flag (all but `field` optional)."""

    field: str
    flags: tuple[str, ...] = ()  # default: --field-name
    off: str = ""  # a bool's opposite flag: hidden, named in the help (`either` reads both)
    off_help: str = ""  # what the opposite flag does
    none: str = ""  # how None is written on the command line ("none", "0", "all")
    parse: Callable[[Any], Any] | None = None  # the flag's value to the field's
    kind: type | None = None  # the flag's value type, where not the field's own
    show: Callable[[Any], str] | None = None  # how a default value reads in the help
    help: str = ""  # said instead of the field's description
    note: str = ""  # said after it

    @property
    def names(self) -> tuple[str, ...]:
        return self.flags or ("--" + self.field.replace("_", "-"),)


def either(on: bool | None, off: bool, on_name: str, off_name: str) -> bool | None:
    """A flag and its opposite read as one setting: True, False, or None when neither is
    given (the method's setting stands)."""
    if on and off:
        raise N2GError(f"give {on_name} or {off_name}, not both")
    return False if off else on


def none_as(word: str) -> Callable[[str], str | None]:
    """A text flag's parser: `word` (any case) means None, anything else itself."""
    return lambda text: None if text.strip().lower() == word else text


def flag_kind(config: type[BaseModel], setting: Setting) -> Any:
    """The type typer reads the flag as: the field's, None taken off; text for a choice
    (the config names the choices when it refuses one) and for any other type."""
    if setting.kind is not None:
        return setting.kind
    kind = config.model_fields[setting.field].annotation
    if get_origin(kind) in (Union, UnionType):
        rest = [arg for arg in get_args(kind) if arg is not type(None)]
        kind = rest[0] if len(rest) == 1 else str
    if isinstance(kind, type) and (issubclass(kind, Enum) or kind in (bool, int, float, Path)):
        return kind
    return str


def _word(value: Any, setting: Setting) -> str | None:
    """A setting's value as the help shows it (None: no default to show)."""
    if setting.show is not None and value is not None:
        return setting.show(value)
    if value is None:
        return setting.none or None
    if isinstance(value, bool) and setting.off:
        return setting.names[0] if value else setting.off
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def shown_default(defaults: BaseModel, setting: Setting) -> str | None:
    """The default the help names: the config's, or each method's where they differ."""
    # here, not at the top: the database flags' commands (search, show, ...) import this
    # module for `option_group` alone, and the methods' configs cost their start
    from n2g.run.method import Method, method_values

    by_method = {
        method: _word(getattr(config, setting.field), setting)
        for method, config in method_values(defaults).items()
    }
    if len(set(by_method.values())) > 1:
        return "the method's: " + ", ".join(f"{m} {word}" for m, word in by_method.items())
    return by_method[Method.N2G]


def field_option(defaults: BaseModel, setting: Setting | str, panel: str | None = None) -> Any:
    """The typer option of a config field, for `Annotated[T, field_option(...)]`."""
    setting = Setting(setting) if isinstance(setting, str) else setting
    text = setting.help or type(defaults).model_fields[setting.field].description or ""
    if setting.none:
        text = text.replace("None", setting.none)
    text += setting.note + (f"; {setting.off}: {setting.off_help}" if setting.off else "")
    shown = shown_default(defaults, setting)
    return typer.Option(
        *setting.names,
        help=escape(text) + (f" \\[default: {escape(shown)}]" if shown else ""),
        show_default=False,
        rich_help_panel=panel,
    )


def option_group(
    target: str,
    options: Mapping[str, tuple[Any, Any]],
    gather: Callable[[dict[str, Any]], Any],
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """A decorator putting `options` (parameter name: (Annotated type, default)) in the
    place of the command's parameter `target`; a call hands the command `gather(values)`
    there, the values of those options by name.

    Typer reads the returned function's signature, so the options show in the help where
    `target` stands in the command's.
    """

    def decorate(command: Callable[..., R]) -> Callable[..., R]:
        signature = inspect.signature(command, eval_str=True)
        clash = set(options) & set(signature.parameters)
        if target not in signature.parameters or clash:
            raise TypeError(
                f"{command.__name__}: an option group needs a parameter {target!r} and no "
                f"parameter named as one of its options (clash: {sorted(clash)})"
            )
        parameters: list[inspect.Parameter] = []
        for parameter in signature.parameters.values():
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                raise TypeError(f"{command.__name__}: an option group cannot take **kwargs")
            if parameter.name != target:
                parameters.append(parameter)
                continue
            parameters += [
                parameter.replace(name=name, annotation=annotation, default=default)
                for name, (annotation, default) in options.items()
            ]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> R:
            values = {name: kwargs.pop(name, default) for name, (_, default) in options.items()}
            return command(*args, **kwargs, **{target: gather(values)})

        wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {
            **{p.name: p.annotation for p in parameters if p.annotation is not p.empty},
            "return": signature.return_annotation,
        }
        return wrapper

    return decorate


def settings_options(
    target: str, defaults: BaseModel, settings: Sequence[Setting], panel: str | None = None
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """A decorator adding a flag for each of `settings` (fields of `defaults`' config) in
    the place of the command's parameter `target`, which receives the flags given (parsed,
    by field name) for `settle`."""
    config = type(defaults)
    options: dict[str, tuple[Any, Any]] = {}
    for setting in settings:
        option = field_option(defaults, setting, panel)
        options[f"{target}__{setting.field}"] = (
            Annotated[flag_kind(config, setting), option],
            None,
        )
        if setting.off:
            off = typer.Option(setting.off, hidden=True, rich_help_panel=panel)
            options[f"{target}__{setting.field}__off"] = (Annotated[bool, off], False)

    def gather(values: dict[str, Any]) -> Explicit:
        given: dict[str, Any] = {}
        for setting in settings:
            value = values[f"{target}__{setting.field}"]
            if setting.off:
                off = values[f"{target}__{setting.field}__off"]
                value = either(value, off, setting.names[0], setting.off)
            if value is not None:
                given[setting.field] = value if setting.parse is None else setting.parse(value)
        return MappingProxyType(given)

    return option_group(target, options, gather)
