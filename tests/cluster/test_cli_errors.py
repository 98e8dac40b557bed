"""`--executor ray` misused: one `error:` line each, before any model loads or file is
written (through CliRunner, as a user types them)."""

from __future__ import annotations

import socket
import sys

import pytest
from typer.testing import CliRunner

from n2g.cli import app


def _closed_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


def _one_error_line(args: list[str], tmp_path) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    assert not list(tmp_path.glob("out*")), "nothing may be written"
    return lines[0]


def _record(tmp_path, *extra: str) -> list[str]:
    return [
        "record", "--model", "tiny-gelu-2l-s0", "--layers", "0", "--corpus", "stdlib",
        "--max-tokens", "2048", "--out", str(tmp_path / "out"), "--quiet", *extra,
    ]  # fmt: skip


def test_no_ray_installed_says_how_to_get_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    line = _one_error_line(_record(tmp_path, "--executor", "ray"), tmp_path)
    assert "pip install 'neuron2graph[ray]'" in line


def test_an_address_where_nothing_listens_is_one_line_in_seconds(tmp_path) -> None:
    pytest.importorskip("ray")
    address = f"127.0.0.1:{_closed_port()}"
    line = _one_error_line(
        _record(tmp_path, "--executor", "ray", "--ray-address", address), tmp_path
    )
    assert f"no Ray cluster answers at {address}" in line


@pytest.mark.parametrize("address", ["nowhere", "host:port"])
def test_a_malformed_address_is_named(tmp_path, address) -> None:
    pytest.importorskip("ray")
    line = _one_error_line(
        _record(tmp_path, "--executor", "ray", "--ray-address", address), tmp_path
    )
    assert "--ray-address must look like HOST:PORT" in line


def test_zero_workers_is_refused(tmp_path) -> None:
    line = _one_error_line(_record(tmp_path, "--executor", "ray", "--workers", "0"), tmp_path)
    assert "--workers must be at least 1" in line


def test_shard_and_ray_are_one_split_too_many(tmp_path) -> None:
    pytest.importorskip("ray")
    records = tmp_path / "records"
    flags = [*_record(tmp_path)[:-3], "--window", "32", "--out", str(records), "--quiet"]
    recorded = CliRunner().invoke(app, flags)
    assert recorded.exit_code == 0, recorded.output
    args = ["build", "--records", str(records), "--out", str(tmp_path / "out.jsonl")]
    line = _one_error_line([*args, "--shard", "0/2", "--executor", "ray"], tmp_path)
    assert "--shard splits a build by hand" in line


def test_a_window_longer_than_the_model_reads_is_one_line(tmp_path) -> None:
    line = _one_error_line(_record(tmp_path, "--window", "256"), tmp_path)
    assert "--window 256 does not fit tiny-gelu-2l-s0" in line
