"""Where a setting comes from, for `n2g record`, `n2g build` and `n2g run`: a flag given
wins over `--method`'s setting, the method's over the config's default, and the default
stands when neither names it.

Checked on `n2g.run.method.settle` (the one function that orders the three) and through
the real commands, whose `--print-settings` prints the settings they would run with and
stops before any model, corpus or database is touched. The hypothetical methods below
(the paper's method given more settings, by `monkeypatch`) show that a command passes no
default of its own over a method's setting: each setting it has a flag for is left to the
method unless the flag is given.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from n2g.builder.config import BuildConfig
from n2g.cli import app
from n2g.cli.stage_options import (
    BUILD_SETTINGS,
    RECORD_SETTINGS,
    RUN_BUILD_SETTINGS,
    RUN_RECORD_SETTINGS,
)
from n2g.record.config import RecordConfig
from n2g.run import method as methods
from n2g.run.config import RunConfig
from n2g.run.method import PAPER_BUILD, PAPER_RECORD, Method, settle

runner = CliRunner()

# A value for every setting the paper's method names, other than the paper's.
NOT_THE_PAPERS: dict[str, Any] = {
    "window": 64, "k": 7, "n_examples": 12, "extra_train_examples": 3,
    "sample_train_examples": 2, "train_fraction": 0.6, "pivots": "firing",
    "end_activation": "pruned", "prune_threshold": 0.4, "importance_threshold": 0.9,
    "augment_threshold": 0.4, "firing_threshold": 0.4, "n_substitutes": 2,
    "augment_pivot": False, "augment_context": False, "max_context": 8, "fold_tokens": True,
    "grades": "max", "bare_paths": "verify", "path_precision": 0.35,
    "bigram_paths": 0.45,
}  # fmt: skip
# Every setting a command has a flag for: the arguments that give it, and its value then
# (none of them a default of the commands).
FLAGS: dict[str, tuple[list[str], Any]] = {
    "window": (["--window", "64"], 64),
    "k": (["--k", "7"], 7),
    "max_tokens": (["--max-tokens", "0"], None),
    "batch_size": (["--batch-size", "5"], 5),
    "helper": (["--helper", "causal"], "causal"),
    "n_substitutes": (["--substitutes", "2"], 2),
    "importance_threshold": (["--importance-threshold", "0.9"], 0.9),
    "batch_rows": (["--batch-rows", "17"], 17),
    "neurons_per_batch": (["--neurons-per-batch", "9"], 9),
    "ood_corpus": (["--ood-corpus", "debian-handbook"], "debian-handbook"),
    "ood_windows": (["--ood-windows", "3"], 3),
    "random_windows": (["--random-windows", "0"], 0),
    "seed": (["--seed", "11"], 11),
    "pivots": (["--pivots", "argmax"], "argmax"),
    "fold_tokens": (["--fold-tokens"], True),
    "rerank_substitutes": (["--rerank"], True),
    "augmented_saliency": (["--augmented-saliency", "inherit"], "inherit"),
    "max_context": (["--max-context", "none"], None),
    "grades": (["--grades", "max"], "max"),
    "grade_tokens": (["--grade-tokens", "99"], 99),
    "bare_paths": (["--bare-paths", "verify"], "verify"),
    "path_precision": (["--path-precision", "0.35"], 0.35),
    "bigram_paths": (["--bigram-paths", "0.45"], 0.45),
    "augment_context": (["--pivot-only"], False),
    "extra_train_examples": (["--extra-train", "3"], 3),
    "sample_train_examples": (["--sample-train", "2"], 2),
    "samples": (["--samples", "5"], 5),
}
BUILD_ARGS = ["build", "--records", "no-such-records", "--out", "no-such.jsonl"]
# command: its arguments, its defaults, and where its record and build settings sit
COMMANDS: dict[str, tuple[list[str], BaseModel, list[str], list[str]]] = {
    "record": (["record"], RecordConfig(), list(RECORD_SETTINGS), []),
    "build": (BUILD_ARGS, BuildConfig(), [], list(BUILD_SETTINGS)),
    "run": (
        ["run"],
        RunConfig(),
        [s.field for s in RUN_RECORD_SETTINGS],
        [s.field for s in RUN_BUILD_SETTINGS],
    ),
}


def settings_of(*args: str) -> dict[str, Any]:
    """The settings the command would run with, as it prints them."""
    result = runner.invoke(app, [*args, "--print-settings"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def stage_settings(command: str, printed: dict[str, Any]) -> tuple[dict, dict]:
    """The record and the build settings among `command`'s (as printed, or dumped)."""
    if command == "run":
        return printed["record"], printed["build"]
    return (printed, {}) if command == "record" else ({}, printed)


def test_the_tables_cover_every_setting_and_every_flag() -> None:
    assert set(NOT_THE_PAPERS) == set(PAPER_RECORD) | set(PAPER_BUILD)
    assert set(FLAGS) == set(RECORD_SETTINGS) | set(BUILD_SETTINGS)
    run = RunConfig()
    for field, (_, value) in FLAGS.items():  # each flag shows by differing from defaults
        for defaults in (RecordConfig(), BuildConfig(), run.record, run.build):
            if field in type(defaults).model_fields:
                assert getattr(defaults, field) != value, field


@pytest.mark.parametrize(
    ("defaults", "nested"),
    [
        (RecordConfig(), None),
        (BuildConfig(), None),
        (RunConfig(), "record"),
        (RunConfig(), "build"),
    ],
    ids=["record", "build", "run.record", "run.build"],
)
def test_settle_a_flag_over_the_method_over_the_default(defaults, nested) -> None:
    config = defaults if nested is None else getattr(defaults, nested)
    named = PAPER_RECORD if isinstance(config, RecordConfig) else PAPER_BUILD

    def part(settled: BaseModel) -> BaseModel:
        return settled if nested is None else getattr(settled, nested)

    def explicit(values: dict[str, Any]) -> dict[str, Any]:
        return values if nested is None else {nested: values}

    assert part(settle(defaults)) == config  # neither: the defaults
    assert part(settle(defaults, Method.N2G)) == config  # n2g: the defaults are its settings
    paper = part(settle(defaults, Method.PAPER))
    for field, value in named.items():  # the method over the default: each setting
        assert getattr(paper, field) == value, field
    others = {field: value for field, value in config.model_dump().items() if field not in named}
    assert {field: getattr(paper, field) for field in others} == others  # the rest stay
    flagged = part(settle(defaults, Method.PAPER, explicit({f: NOT_THE_PAPERS[f] for f in named})))
    for field in named:  # a flag over the method: each setting
        assert getattr(flagged, field) == NOT_THE_PAPERS[field], field


def test_settle_keeps_the_run_defaults_the_method_does_not_name() -> None:
    paper = settle(RunConfig(), Method.PAPER)
    assert paper.build.ood_corpus == RunConfig().build.ood_corpus == "stdlib"
    assert paper.layers == RunConfig().layers and paper.corpus == RunConfig().corpus


def test_settle_refuses_a_name_that_is_no_setting() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="no_such"):
        settle(BuildConfig(), Method.PAPER, {"no_such": 1})


@pytest.mark.parametrize("command", list(COMMANDS))
def test_the_paper_method_reaches_every_setting_it_names(command) -> None:
    args, _, record_fields, build_fields = COMMANDS[command]
    record, build = stage_settings(command, settings_of(*args, "--method", "paper"))
    if record_fields:
        assert {field: record[field] for field in PAPER_RECORD} == PAPER_RECORD
    if build_fields:
        assert {field: build[field] for field in PAPER_BUILD} == PAPER_BUILD


@pytest.mark.parametrize("command", list(COMMANDS))
def test_without_flags_or_method_the_defaults(command) -> None:
    args, defaults, _, _ = COMMANDS[command]
    assert settings_of(*args) == json.loads(defaults.model_dump_json())


def name_everything(monkeypatch, command: str, value_of) -> None:
    """Make the paper's method name every setting `command` has a flag for."""
    _, _, record_fields, build_fields = COMMANDS[command]
    for field in record_fields:
        monkeypatch.setitem(methods.PAPER_RECORD, field, value_of(field))
    for field in build_fields:
        monkeypatch.setitem(methods.PAPER_BUILD, field, value_of(field))


def check(command: str, printed: dict[str, Any], value_of) -> None:
    """Every setting `command` has a flag for holds `value_of(its name)`."""
    _, _, record_fields, build_fields = COMMANDS[command]
    record, build = stage_settings(command, printed)
    for fields, settings in ((record_fields, record), (build_fields, build)):
        assert {f: settings[f] for f in fields} == {f: value_of(f) for f in fields}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_flag_wins_over_the_method(command, monkeypatch) -> None:
    """A method naming every setting (with the defaults' values, which every flag below
    differs from) loses each to its flag."""
    args, defaults, record_fields, build_fields = COMMANDS[command]
    default_of = dict(
        zip(("record", "build"), stage_settings(command, defaults.model_dump()), strict=True)
    )
    name_everything(
        monkeypatch,
        command,
        lambda field: default_of["record" if field in record_fields else "build"][field],
    )
    flags = [arg for field in record_fields + build_fields for arg in FLAGS[field][0]]
    check(command, settings_of(*args, "--method", "paper", *flags), lambda f: FLAGS[f][1])


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_method_wins_over_every_default_the_command_has_a_flag_for(command, monkeypatch) -> None:
    """A method that named every setting of the command would get each of them: the
    command passes none of its defaults over a method's setting."""
    name_everything(monkeypatch, command, lambda field: FLAGS[field][1])
    check(command, settings_of(*COMMANDS[command][0], "--method", "paper"), lambda f: FLAGS[f][1])


@pytest.mark.parametrize("command", ["build", "run"])
def test_the_opposite_flags_win_over_a_method_that_turns_them_on(command, monkeypatch) -> None:
    monkeypatch.setitem(methods.PAPER_BUILD, "fold_tokens", True)
    monkeypatch.setitem(methods.PAPER_BUILD, "rerank_substitutes", True)
    args = COMMANDS[command][0]
    _, on = stage_settings(command, settings_of(*args, "--method", "paper"))
    assert (on["fold_tokens"], on["rerank_substitutes"]) == (True, True)
    _, off = stage_settings(
        command, settings_of(*args, "--method", "paper", "--exact-tokens", "--no-rerank")
    )
    assert (off["fold_tokens"], off["rerank_substitutes"]) == (False, False)


def test_run_settings_of_its_own_are_flags_too() -> None:
    printed = settings_of(
        "run", "--layers", "1,3", "--corpus", "stdlib", "--neurons-per-layer", "4",
        "--out", "elsewhere", "--device", "cuda", "--dtype", "float32", "--model", "gpt2",
        "--executor", "ray", "--workers", "2",
    )  # fmt: skip
    assert (printed["layers"], printed["corpus"], printed["neurons_per_layer"]) == (
        [1, 3],
        "stdlib",
        4,
    )
    assert (printed["out"], printed["device"], printed["dtype"]) == ("elsewhere", "cuda", "float32")
    assert (printed["model"], printed["executor"], printed["cluster"]["workers"]) == (
        "gpt2",
        "ray",
        2,
    )
    assert settings_of("run", "--layers", "all")["layers"] is None


@pytest.mark.parametrize("command", list(COMMANDS))
def test_the_help_names_each_methods_default_where_they_differ(command) -> None:
    args, defaults, record_fields, build_fields = COMMANDS[command]
    text = runner.invoke(app, [args[0], "--help"], terminal_width=200).output
    words = " ".join(text.replace("│", " ").split())
    ours = stage_settings(command, defaults.model_dump())
    papers = stage_settings(command, settle(defaults, Method.PAPER).model_dump())
    differ = 0
    for fields, mine, theirs in zip((record_fields, build_fields), ours, papers, strict=True):
        for field in (f for f in fields if mine[f] != theirs[f]):
            shown = "none" if theirs[field] is None else theirs[field]
            assert f"[default: the method's: n2g {mine[field]}, paper {shown}]" in words, field
            differ += 1
    assert differ >= 2  # window and k; pivots and max_context


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--grades", "median"], "bad setting grades"),
        (["--grade-tokens", "0"], "bad setting grade_tokens"),
        (["--grade-tokens", "many"], "bad setting grade_tokens"),
        (["--bare-paths", "sometimes"], "bad setting bare_paths"),
    ],
)
def test_a_bad_grades_setting_is_one_line(args, words) -> None:
    result = runner.invoke(app, [*BUILD_ARGS, *args, "--print-settings"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]
