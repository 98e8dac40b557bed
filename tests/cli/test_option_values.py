"""A bad option value exits 2 with a message that names the option, at once, no traceback."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.cli.ingest import app as ingest_app
from n2g.errors import N2GError
from n2g.selection import parse_layers

runner = CliRunner()


def test_parse_layers_forms() -> None:
    assert parse_layers("0-3") == [0, 1, 2, 3]
    assert parse_layers("2, 0") == [0, 2]
    assert parse_layers("1-2,5,2") == [1, 2, 5]


@pytest.mark.parametrize(
    "text", ["abc", "", " ", "1-", "-1", "3-1", "1,,2", "0-3-5", "0-99999999999", "10**9"]
)
def test_parse_layers_refuses_naming_the_option(text: str) -> None:
    started = time.monotonic()
    with pytest.raises(N2GError, match="--layers"):
        parse_layers(text)
    assert time.monotonic() - started < 1.0  # a huge range is refused, not enumerated


@pytest.mark.parametrize("command", ["run", "record"])
@pytest.mark.parametrize("value", ["abc", "5-2", "0-99999999999"])
def test_bad_layers_exit_2_naming_the_option(tmp_path, command: str, value: str) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, [command, "--layers", value, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--layers" in lines[0]
    assert not out.exists()  # nothing was started


@pytest.mark.parametrize("value", ["0", "-5", "abc"])
@pytest.mark.parametrize("prefix", [[], ["ingest"]])
def test_bad_batch_size_exits_2_naming_the_option(tmp_path, prefix, value: str) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text("", encoding="utf-8")
    target = app if prefix else ingest_app
    result = runner.invoke(target, [*prefix, str(path), "--batch-size", value])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--batch-size" in result.output


@pytest.mark.parametrize("value", ["lots", "0", "-2"])
def test_bad_max_context_of_run_is_one_line_and_starts_nothing(tmp_path, value: str) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "--max-context", value, "--out", str(out)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "max" in lines[0] and "context" in lines[0]
    assert not out.exists()


def test_output_cut_short_by_its_reader_is_no_error(capsys, tmp_path, monkeypatch) -> None:
    """`n2g db status | head -1`: once the reader closes the pipe, the next write raises
    BrokenPipeError; that ends the command quietly, not with `error: Broken pipe`."""
    import sys

    import typer

    from n2g.cli.common import one_line_errors

    @one_line_errors
    def status() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    with open(tmp_path / "stdout", "w") as out:  # a stand-in stdout with a file descriptor
        monkeypatch.setattr(sys, "stdout", out)
        with pytest.raises(typer.Exit) as info:
            status()
    assert info.value.exit_code == 0
    assert capsys.readouterr().err == ""
