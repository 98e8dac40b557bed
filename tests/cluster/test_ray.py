"""`--executor ray` on a real local Ray cluster of two workers: the records equal a single
process's byte for byte, the graphs equal a local build's line for line, with one worker's
process killed mid-build, and after the driver itself is killed and run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.graph.file import iter_graph_file

pytest.importorskip("ray", reason="the Ray executor's tests need neuron2graph[ray]")
pytestmark = pytest.mark.slow

MODEL = "tiny-gelu-2l-s0"
RAY = ["--executor", "ray", "--workers", "2"]


def _record(out: Path, *extra: str) -> None:
    flags = ["record", "--model", MODEL, "--layers", "0-1", "--corpus", "stdlib"]
    flags += ["--window", "32", "--k", "5", "--batch-size", "8", "--max-tokens", "6400"]
    result = CliRunner().invoke(app, [*flags, "--out", str(out), "--quiet", *extra])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ray") / "local"
    _record(folder)
    return folder


def _build_args(records: Path, out: Path) -> list[str]:
    return [
        "build", "--no-progress", "--records", str(records), "--out", str(out),
        "--neurons", "0:24", "--neurons-per-batch", "2", "--random-windows", "4",
    ]  # fmt: skip


def _graphs(path: Path) -> dict[str, dict]:
    graphs = [g for _, g in iter_graph_file(path)]
    keys = [g.key for g in graphs]
    assert len(keys) == len(set(keys)), "a graph written twice"
    return {g.key: g.model_dump(exclude={"settings"}) for g in graphs}


@pytest.fixture(scope="module")
def local_graphs(records: Path, tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("ray-local") / "graphs.jsonl"
    result = CliRunner().invoke(app, _build_args(records, out))
    assert result.exit_code == 0, result.output
    graphs = _graphs(out)
    assert len(graphs) == 48
    return graphs


def test_records_on_two_workers_equal_a_single_process_byte_for_byte(records, tmp_path) -> None:
    _record(tmp_path / "ray", *RAY)
    names = sorted(p.name for p in records.iterdir())
    assert "layer_0.safetensors" in names
    assert names == sorted(p.name for p in (tmp_path / "ray").iterdir())
    for name in names:
        assert (tmp_path / "ray" / name).read_bytes() == (records / name).read_bytes(), name


def _worker_pids(kind: str) -> list[int]:
    """Processes whose title Ray set to its actor's class (`ray::BuildWorker...`)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(f"ray::{kind}".encode()):
                pids.append(int(entry.name))
    return pids


def test_a_worker_killed_mid_build_is_restarted_and_the_graphs_are_the_same(
    records, local_graphs, tmp_path
) -> None:
    out = tmp_path / "graphs.jsonl"
    killed: list[int] = []

    def kill_one_worker_once_graphs_arrive() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not killed:
            if out.is_file() and out.read_bytes().count(b"\n") >= 2:
                pids = _worker_pids("BuildWorker")
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])
            time.sleep(0.01)

    killer = threading.Thread(target=kill_one_worker_once_graphs_arrive)
    killer.start()
    result = CliRunner().invoke(app, [*_build_args(records, out), *RAY])
    killer.join()
    assert result.exit_code == 0, result.output
    assert killed, "no worker was killed: the test did not test a restart"
    assert _graphs(out) == local_graphs


def test_a_killed_driver_resumes_without_redoing_or_duplicating(
    records, local_graphs, tmp_path
) -> None:
    out = tmp_path / "graphs.jsonl"
    args = [*_build_args(records, out), *RAY]
    driver = subprocess.Popen([sys.executable, "-m", "n2g", *args], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and driver.poll() is None:
            if out.is_file() and out.read_bytes().count(b"\n") >= 4:
                break
            time.sleep(0.01)
    finally:
        driver.kill()
        driver.wait()
    _end_orphans_of_ray()
    written = out.read_bytes().count(b"\n")
    assert 0 < written < 48, "the driver should have been killed half-way"
    resumed = CliRunner().invoke(app, args)
    assert resumed.exit_code == 0, resumed.output
    assert f"({written} already there)" in resumed.output
    assert _graphs(out) == local_graphs


def _end_orphans_of_ray() -> None:
    """Ray's agents of a private instance outlive a SIGKILLed driver (as after `kill -9`
    of any Ray driver; `ray stop` ends them): end them, so they do not linger after the
    tests."""
    time.sleep(1)
    for pid in _worker_pids(""):
        try:
            parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            continue
        if parent == "1":
            os.kill(pid, signal.SIGKILL)
