"""The option mechanism (n2g.cli.options): an option's help and default come from its
config field, and an option group takes the place of one parameter of a command."""

from __future__ import annotations

from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from n2g.builder.config import BuildConfig
from n2g.cli.common import OneLineErrorsCommand, one_line_errors
from n2g.cli.options import NOTHING, Explicit, Setting, field_option, option_group
from n2g.cli.stage_options import BUILD_SETTINGS
from n2g.record.config import RecordConfig
from n2g.run.config import RunConfig

runner = CliRunner()


def help_of(defaults, setting) -> str:
    return field_option(defaults, setting).help


def test_help_is_the_fields_description_and_its_default() -> None:
    assert help_of(RecordConfig(), "batch_size") == "windows per forward pass \\[default: 32]"
    changed = RecordConfig(batch_size=7)  # the default shown is the one of these defaults
    assert help_of(changed, "batch_size").endswith("\\[default: 7]")


def test_a_setting_the_methods_differ_on_says_each_ones() -> None:
    assert help_of(RecordConfig(), "window").endswith(
        "\\[default: the method's: n2g 256, paper 1024]"
    )
    assert help_of(BuildConfig(), "n_substitutes").endswith("\\[default: 5]")  # they agree


def test_none_reads_as_the_command_lines_word() -> None:
    build, run = BuildConfig(), RunConfig()
    ood = BUILD_SETTINGS["ood_corpus"]
    assert help_of(build, ood).endswith("(none: skip) \\[default: none]")
    assert help_of(run.build, ood).endswith("\\[default: stdlib]")  # the main job's default
    fold = BUILD_SETTINGS["fold_tokens"]
    assert "; --exact-tokens: match token ids \\[default: --exact-tokens]" in help_of(build, fold)
    assert "None" not in help_of(build, BUILD_SETTINGS["max_context"])


def test_markup_in_a_description_is_shown_as_text() -> None:
    assert "'neuron2graph\\[ray]'" in help_of(RunConfig(), "executor")


def test_an_option_group_takes_its_parameters_place() -> None:
    group = option_group(
        "pair",
        {
            "left": (Annotated[int, typer.Option("--left")], 1),
            "right": (Annotated[int, typer.Option("--right")], 2),
        },
        lambda values: (values["left"], values["right"]),
    )

    @one_line_errors
    @group
    def command(name: Annotated[str, typer.Option("--name")] = "x", pair: tuple = (0, 0)) -> None:
        typer.echo(f"{name} {pair}")

    app = typer.Typer()
    app.command(cls=OneLineErrorsCommand)(command)
    assert runner.invoke(app, ["--right", "5"]).output == "x (1, 5)\n"
    assert "--left" in runner.invoke(app, ["--help"]).output


def test_an_option_group_refuses_a_command_without_its_parameter_or_with_a_clash() -> None:
    group = option_group("settings", {"window": (Annotated[int, typer.Option()], None)}, dict)

    def without(other: Explicit = NOTHING) -> None: ...

    def clashing(window: int = 0, settings: Explicit = NOTHING) -> None: ...

    for command in (without, clashing):
        with pytest.raises(TypeError, match="option group"):
            group(command)


def test_a_setting_names_its_flag() -> None:
    assert Setting("max_tokens").names == ("--max-tokens",)
    assert Setting("n_substitutes", flags=("--substitutes",)).names == ("--substitutes",)
