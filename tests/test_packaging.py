"""The package as users install it: the core (the read side) without torch, the extras
for the rest, one version, the licence and type hints shipped.

The slow tests build the sdist and the wheel (the wheel from the sdist, so the sdist is
whole), install the wheel alone into a fresh venv (the core's dependencies from the
configured index, no extra), and run `n2g-ingest`, `n2g search`, `n2g export` and
`n2g serve` there against the test server; a command of an extra that is not installed
ends in one `error:` line naming it. The fast ones check, in this environment, that
importing the read side never imports torch or the other build libraries.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import n2g
from n2g.db import server
from n2g.errors import EXTRAS
from n2g.graph.file import dump_graph_line
from n2g.testing.handmade import handmade_graphs

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
BUILD_LIBRARIES = ("torch", "transformers", "transformer_lens", "sae_lens", "safetensors", "gguf")
READ_SIDE = ("graph", "db", "search", "scoring", "report", "serve", "cli")
READ_MODULES = (
    "n2g.export",
    "n2g.export_stored",
    "n2g.files",
    "n2g.paths",
    "n2g.resources",
    "n2g.errors",
    "n2g.plugins",
)


def test_ci_on_a_public_forge_runs_the_ci_script() -> None:
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s+run: bash \.ci/run$", workflow, re.M)
    assert "python:3.11-bookworm" in workflow  # the README's machine: Debian 12, Python 3.11


def test_the_version_is_written_once() -> None:
    assert "version" not in PYPROJECT["project"]
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    dynamic = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "n2g.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", n2g.__version__)


def test_the_core_needs_no_build_library_and_the_extras_bring_them() -> None:
    core = " ".join(PYPROJECT["project"]["dependencies"]).lower().replace("-", "_")
    extras = PYPROJECT["project"]["optional-dependencies"]
    for library in BUILD_LIBRARIES:
        assert library not in core
    assert "arcadedb" not in core and "ray" not in core.split()
    assert {"build", "local-db", "ray", "dev"} <= set(extras)
    assert not any("==" in r for r in extras["build"])  # torch as a range: setup.sh pins it
    for extra, (_, modules) in EXTRAS.items():  # the one-line errors name real extras
        assert extra in extras and modules
    assert (ROOT / "LICENSE").is_file() and "MIT License" in (ROOT / "LICENSE").read_text()
    assert (ROOT / "n2g" / "py.typed").is_file()


def test_importing_the_read_side_imports_no_build_library() -> None:
    """Every module of the read side's packages, and every command module, in a fresh
    interpreter: none of them imports torch, transformers, transformer_lens or SAELens."""
    probe = (
        "import importlib, pkgutil, sys\n"
        "import n2g\n"
        f"names = list({READ_MODULES!r})\n"
        f"for package in {READ_SIDE!r}:\n"
        "    module = importlib.import_module('n2g.' + package)\n"
        "    prefix = module.__name__ + '.'\n"
        "    names += [m.name for m in pkgutil.walk_packages(module.__path__, prefix)]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        f"print('HEAVY', sorted(loaded & set({BUILD_LIBRARIES!r})))\n"
        "print('COUNT', len(names))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout's package
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout, result.stdout
    assert int(result.stdout.split("COUNT")[1]) > 50


# ---- the built package, installed alone (slow) ---------------------------------------


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a process of the fresh venv: nothing of this checkout's path or
    database settings."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("N2G_")}
    env.update(extra)
    return env


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: int = 600):
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=timeout
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The sdist and the wheel built from it, by `python -m build` in a venv of its own."""
    work = tmp_path_factory.mktemp("dist")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "n2g", source / "n2g", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    env = _clean_env()
    tools = work / "tools"
    assert _run([sys.executable, "-m", "venv", str(tools)], work, env).returncode == 0
    installed = _run([str(tools / "bin/python"), "-m", "pip", "install", "-q", "build"], work, env)
    assert installed.returncode == 0, installed.stderr[-3000:]
    out = work / "out"
    built = _run(
        [str(tools / "bin/python"), "-m", "build", "--outdir", str(out), str(source)], work, env
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def core(dist, tmp_path_factory) -> Path:
    """A fresh venv holding the wheel and the core's dependencies only: its bin folder."""
    venv = tmp_path_factory.mktemp("core") / "venv"
    env = _clean_env()
    assert _run([sys.executable, "-m", "venv", str(venv)], venv.parent, env).returncode == 0
    [wheel] = dist.glob("*.whl")
    installed = _run(
        [str(venv / "bin/python"), "-m", "pip", "install", "-q", str(wheel)], venv.parent, env
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    return venv / "bin"


@pytest.mark.slow
def test_the_sdist_and_the_wheel_carry_the_package(dist) -> None:
    [wheel] = dist.glob(f"neuron2graph-{n2g.__version__}-py3-none-any.whl")
    [sdist] = dist.glob(f"neuron2graph-{n2g.__version__}.tar.gz")
    names = zipfile.ZipFile(wheel).namelist()
    assert "n2g/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert any(n.startswith("n2g/_data/queries/") and n.endswith(".cypher") for n in names)
    assert any(n.startswith("n2g/serve/templates/") for n in names)
    [metadata_name] = [n for n in names if n.endswith(".dist-info/METADATA")]
    metadata = zipfile.ZipFile(wheel).read(metadata_name).decode()
    assert f"Version: {n2g.__version__}" in metadata
    assert "License-Expression: MIT" in metadata and "Classifier: Typing :: Typed" in metadata
    assert "Project-URL: " in metadata
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist: ")]
    for line in requires:
        if re.match(r"Requires-Dist: (torch|transformer|sae-lens)", line):
            assert 'extra == "build"' in line, line
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    top = f"neuron2graph-{n2g.__version__}"
    for name in ("LICENSE", "pyproject.toml", "README.md", "n2g/py.typed"):
        assert f"{top}/{name}" in members, name


@pytest.mark.slow
def test_the_core_alone_serves_the_read_side(core, db_config, tmp_path) -> None:
    """No build library is installed; ingest, search, export and serve answer from the
    test server."""
    env = _clean_env(
        N2G_URI=db_config.uri,
        N2G_USER=db_config.user,
        N2G_PASSWORD=db_config.password,
        N2G_CACHE_DIR=str(tmp_path / "cache"),
        N2G_DATA_DIR=str(tmp_path / "data"),
    )
    if db_config.database:
        env["N2G_DATABASE"] = db_config.database
    missing = _run(
        [str(core / "python"), "-c", f"import importlib.util as u; print([m for m in "
         f"{(*BUILD_LIBRARIES, 'arcadedb_embedded', 'ray')!r} if u.find_spec(m)])"],
        tmp_path, env,
    )  # fmt: skip
    assert missing.stdout.strip() == "[]", missing.stdout + missing.stderr
    graphs = tmp_path / "graphs.jsonl"
    graphs.write_text("".join(dump_graph_line(g) + "\n" for g in handmade_graphs()))

    ingested = _run([str(core / "n2g-ingest"), str(graphs)], tmp_path, env)
    assert ingested.returncode == 0, ingested.stderr
    found = _run([str(core / "n2g"), "search", " everyone", "-m", "hand", "--json"], tmp_path, env)
    assert found.returncode == 0, found.stderr
    assert "hand/0/0" in {hit["key"] for hit in json.loads(found.stdout)}
    # (-m hand: the shared test server may hold other tests' units too)
    exported = _run([str(core / "n2g"), "export", "units.parquet", "-m", "hand"], tmp_path, env)
    assert exported.returncode == 0, exported.stderr
    rows = _run(
        [str(core / "python"), "-c",
         "import pyarrow.parquet as pq; print(pq.read_table('units.parquet').num_rows)"],
        tmp_path, env,
    )  # fmt: skip
    assert int(rows.stdout) == sum(g.model == "hand" for g in handmade_graphs()), rows.stderr

    port = server.free_port()
    serving = subprocess.Popen(
        [str(core / "n2g"), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        answer = _fetch_when_up(f"http://127.0.0.1:{port}/api/search?token=%20everyone&model=hand")
        assert "hand/0/0" in answer
    finally:
        serving.terminate()
        output = serving.communicate(timeout=30)[0]
    assert "Traceback" not in output, output


def _fetch_when_up(url: str, seconds: float = 60.0) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _error_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and lines, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return lines[-1]


@pytest.fixture
def core_env(tmp_path) -> Iterator[dict[str, str]]:
    yield _clean_env(N2G_CACHE_DIR=str(tmp_path / "cache"), N2G_DATA_DIR=str(tmp_path / "data"))


@pytest.mark.slow
def test_commands_of_a_missing_extra_name_it_in_one_line(core, core_env, tmp_path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("hello world\n" * 10)
    recorded = _run(
        [str(core / "n2g"), "record", "--model", "tiny-gelu-1l-s0", "--corpus", str(corpus),
         "--out", str(tmp_path / "records")],
        tmp_path, core_env,
    )  # fmt: skip
    assert _error_line(recorded).endswith("pip install 'neuron2graph[build]'")
    built = _run(
        [str(core / "n2g"), "build", "--records", str(tmp_path / "records"), "--out", "g.jsonl"],
        tmp_path,
        core_env,
    )
    assert _error_line(built).endswith("pip install 'neuron2graph[build]'")
    ports = ["--bolt-port", str(server.free_port()), "--http-port", str(server.free_port())]
    started = _run([str(core / "n2g"), "db", "up", *ports], tmp_path, core_env)
    assert "pip install 'neuron2graph[local-db]'" in _error_line(started)
    helped = _run([str(core / "n2g"), "record", "--help"], tmp_path, core_env)
    assert helped.returncode == 0 and "--corpus" in helped.stdout, helped.stderr
