"""`n2g build` killed with SIGKILL half-way, then run again: the file equals a clean build's.

A fault case of the standing suite (docs/promises.md): no clean-up code runs on SIGKILL,
so what the first run left must already be whole lines of finished graphs (a torn last line
at most), and the second run must write exactly the missing ones, none twice.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.graph.file import iter_graph_file

pytestmark = pytest.mark.slow


def _args(records, out) -> list[str]:
    return ["build", "--no-progress", "--records", str(records), "--out", str(out)]


def test_sigkill_then_resume_equals_a_clean_build(records_dir, tmp_path) -> None:
    killed = tmp_path / "killed.jsonl"
    flags = [*_args(records_dir, killed), "--neurons-per-batch", "2"]
    process = subprocess.Popen([sys.executable, "-m", "n2g", *flags], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if killed.is_file() and killed.read_bytes().count(b"\n") >= 6:
                break
            time.sleep(0.02)
    finally:
        process.kill()
        process.wait()
    written = killed.read_bytes().count(b"\n") if killed.is_file() else 0
    assert 0 < written < 64, "the build should have been killed half-way"

    runner = CliRunner()
    resumed = runner.invoke(app, [*_args(records_dir, killed), "--neurons-per-batch", "2"])
    assert resumed.exit_code == 0, resumed.output
    clean = tmp_path / "clean.jsonl"
    built = runner.invoke(app, [*_args(records_dir, clean), "--neurons-per-batch", "2"])
    assert built.exit_code == 0, built.output

    def by_neuron(path):
        graphs = [g for _, g in iter_graph_file(path)]
        keys = [g.key for g in graphs]
        assert len(keys) == len(set(keys)) == 64  # every neuron, none twice
        return {g.key: g.model_dump(exclude={"settings"}) for g in graphs}

    assert by_neuron(killed) == by_neuron(clean)
