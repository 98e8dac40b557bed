"""`n2g record` through Typer's CliRunner: success, resume/no-op, one-line errors."""

from __future__ import annotations

import resource
import shutil
import signal
import sysconfig
from pathlib import Path

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.errors import N2GError
from n2g.models.dtype import resolve_dtype
from n2g.record.store import load_layer, load_manifest
from n2g.selection import parse_layers

runner = CliRunner()
MODEL = "tiny-solu_ln-2l-s0"


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    shutil.copy(Path(sysconfig.get_paths()["stdlib"]) / "bisect.py", folder / "bisect.py")
    return folder


def _run(*args: str):
    return runner.invoke(app, ["record", *args])


def _args(out: Path, corpus: Path | str, *extra: str) -> list[str]:
    return [
        "--model", MODEL, "--layers", "0-1", "--corpus", str(corpus), "--window", "16",
        "--k", "4", "--max-tokens", "800", "--out", str(out), "--quiet", *extra,
    ]  # fmt: skip


def test_record_writes_records_then_rerun_is_noop(tmp_path, corpus_dir):
    out = tmp_path / "rec"
    result = _run(*_args(out, corpus_dir))
    assert result.exit_code == 0, result.output
    assert "recorded 800 tokens (50 windows)" in result.output
    manifest = load_manifest(out)
    assert (manifest.model, manifest.layers, manifest.k, manifest.window) == (MODEL, [0, 1], 4, 16)
    assert manifest.dtype == resolve_dtype("auto", "cpu")  # the default: native if possible
    assert load_layer(out, 1).tokens.shape == (64, 4, 16)
    again = _run(*_args(out, corpus_dir))
    assert again.exit_code == 0 and "recorded 800 tokens" in again.output


def test_layers_all_records_every_layer_then_builds_them(tmp_path, corpus_dir):
    out = tmp_path / "rec"
    result = _run(*_args(out, corpus_dir), "--layers", "all", "--dtype", "float32")
    assert result.exit_code == 0, result.output
    assert load_manifest(out).dtype == "float32"
    assert load_manifest(out).layers == [0, 1]  # the tiny model's two layers
    graphs = tmp_path / "graphs.jsonl"
    built = runner.invoke(
        app,
        ["build", "--records", str(out), "--out", str(graphs), "--layers", "ALL",
         "--neurons", "0:2", "--random-windows", "0", "--no-progress"],
    )  # fmt: skip
    assert built.exit_code == 0, built.output
    assert "wrote 4 graphs" in built.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "no-such-model"], "unknown model 'no-such-model'"),
        (["--layers", "0-5"], "cannot load 6 layers"),
        (["--layers", "two"], "bad --layers"),
        (["--corpus", "/no/such/corpus"], "not found"),
        (["--window", "1"], "bad setting window"),
        (["--dtype", "fp8"], "dtype must be one of"),
    ],
)
def test_bad_input_is_one_line(tmp_path, corpus_dir, args, message):
    result = _run(*_args(tmp_path / "rec", corpus_dir), *args)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], lines
    assert "Traceback" not in result.output


def test_empty_corpus_and_other_settings(tmp_path, corpus_dir):
    (tmp_path / "empty.txt").write_text("")
    result = _run(*_args(tmp_path / "a", tmp_path / "empty.txt"))
    assert result.exit_code != 0 and "empty" in result.output
    out = tmp_path / "rec"
    assert _run(*_args(out, corpus_dir)).exit_code == 0
    result = _run(*_args(out, corpus_dir, "--k", "5"))
    assert result.exit_code != 0 and "other settings" in result.output


def test_disk_full_write_fails_cleanly(tmp_path, corpus_dir):
    """A write over the file-size limit fails like a full disk (EFBIG): one line, no debris."""
    out = tmp_path / "rec"
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, old_limit[1]))
    try:
        result = _run(*_args(out, corpus_dir))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    assert result.exit_code != 0
    assert result.output.startswith("error: cannot write records")
    assert len(result.output.strip().splitlines()) == 1
    assert not (out / "manifest.json").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left
    ok = _run(*_args(out, corpus_dir))  # space back: the same command completes
    assert ok.exit_code == 0, ok.output


def test_parse_layers():
    assert parse_layers("0-3") == [0, 1, 2, 3]
    assert parse_layers("0,2") == [0, 2]
    assert parse_layers("1-2, 5") == [1, 2, 5]
    for bad in ("3-1", "", "-1", "a"):
        with pytest.raises(N2GError):
            parse_layers(bad)
