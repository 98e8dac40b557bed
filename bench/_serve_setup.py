"""Setup for bench/serve.py: the database loaded with synthetic units, the servers started.

`load_database` empties the database, writes N synthetic SmolLM2-sized units
(n2g/testing/synthetic.py), each with 30 evidence snippets, ingests them and computes
similarity; with `--keep` it reuses the units an earlier run loaded (a marker file in the
folder records what).
`start_http_server` starts a server under test as a real process in its own session and
waits until it answers; `HttpServer.stop` ends it and its uvicorn workers.

    loaded = load_database(db, home, settings, n_units, keep=False)
    http = start_http_server("n2g", command, port, env, home / "n2g-serve.log")
    ...
    http.stop()

Separate from the driver so that it reads as scenarios, measurements and results, apart from
processes, ports and loading; `BenchError` lives here because setup raises it first (the
driver re-exports it).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench._http_load import HOST

if TYPE_CHECKING:  # the database's modules load only when the benchmark runs
    from n2g.db.connection import Database
    from n2g.db.server import LocalServerSettings

MODEL = "synthetic-smollm2"
EVIDENCE = 30
READY_TIMEOUT_S = 120.0
KEEP_MARKER = "loaded.json"


class BenchError(RuntimeError):
    """A setup step or a scenario failed: one line says what."""


# --------------------------------------------------------------------------------------
# Servers under test: real processes on free ports.
# --------------------------------------------------------------------------------------


@dataclass
class HttpServer:
    name: str
    process: subprocess.Popen
    port: int
    log: Path
    log_start: int = 0  # the log's size before this server wrote to it

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)  # its own session: it and its workers
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def start_http_server(
    name: str,
    command: list[str],
    port: int,
    env: dict[str, str],
    log: Path,
    cwd: Path | None = None,
) -> HttpServer:
    """Start `command` (in `cwd`); wait until GET /api/models answers 200."""
    log_start = log.stat().st_size if log.exists() else 0
    with open(log, "ab") as handle:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    server = HttpServer(name, process, port, log, log_start)
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(
                f"the {name} server exited with code {process.returncode}: {server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/api/models", timeout=10) as answer:
                if answer.status == 200:
                    return server
                last = f"HTTP {answer.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:200]!r}"
            if 400 <= exc.code < 500:  # up, and refusing: waiting will not help
                server.stop()
                raise BenchError(f"the {name} server answers /api/models with {last}") from None
        except (OSError, urllib.error.URLError) as exc:
            last = str(exc)
        time.sleep(0.3)
    server.stop()
    raise BenchError(
        f"the {name} server did not answer /api/models within {READY_TIMEOUT_S:.0f} s "
        f"({last}; log: {server.log_tail()})"
    )


def wait_for_line(server: HttpServer, text: str, timeout_s: float) -> str:
    """Wait until the server writes a line containing `text` into its log (after what
    the log held when it started: logs are appended to); that line."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"the {server.name} server exited: {server.log_tail()}")
        with contextlib.suppress(OSError):
            written = server.log.read_bytes()[server.log_start :]
            for line in written.decode("utf-8", errors="replace").splitlines():
                if text in line:
                    return line
        time.sleep(1.0)
    raise BenchError(f"the {server.name} server did not log {text!r} within {timeout_s:.0f} s")


def _serve_help(cwd: Path | None = None) -> str:
    """`n2g serve --help` (of the n2g in `cwd`), or '' when there is no such command."""
    proc = subprocess.run(
        [sys.executable, "-m", "n2g", "serve", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
        cwd=cwd,
    )
    return proc.stdout if proc.returncode == 0 else ""


def checkout_of(revision: str, into: Path) -> Path:
    """The `n2g` package as it was at git `revision`, extracted under `into` (the folder
    to run `python -m n2g` in: the current directory comes first on its path)."""
    root = Path(__file__).resolve().parent.parent
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", revision, "n2g"],
        capture_output=True,
        check=False,
        timeout=120,
    )
    if archive.returncode != 0:
        error = archive.stderr.decode(errors="replace").strip()
        raise BenchError(f"cannot take n2g at {revision!r} from git: {error}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True, timeout=120)
    return into


# --------------------------------------------------------------------------------------
# Setup: database server, synthetic units, ingest, similarity.
# --------------------------------------------------------------------------------------


def _du(path: Path) -> int:
    """Bytes the folder takes on disk (allocated blocks, as `du` counts them)."""
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file())


@dataclass
class Loaded:
    units: int
    ingest_s: float | None
    write_s: float | None
    similarity_s: float | None
    db_bytes: int
    reused: bool
    keys: list[str]
    activating: dict[str, list[str]]


def load_database(
    db: Database, home: Path, settings: LocalServerSettings, n_units: int, keep: bool
) -> Loaded:
    """The units in the database: loaded now, or (with --keep) by an earlier run."""
    from n2g.db.ingest import clear_database, ingest_files
    from n2g.search import NeuronSearch
    from n2g.testing.synthetic import synthetic_graphs, write_graph_file

    marker = home / KEEP_MARKER
    wanted = {"units": n_units, "model": MODEL, "evidence": EVIDENCE}
    previous: dict[str, Any] = {}
    if keep and marker.is_file():
        with contextlib.suppress(ValueError):
            previous = json.loads(marker.read_text())
    reused = all(previous.get(k) == v for k, v in wanted.items())
    if reused:
        print(f"reusing the {n_units:,} units loaded in {home}", file=sys.stderr, flush=True)
        timings = previous
    else:
        marker.unlink(missing_ok=True)
        graph_file = home / "graphs.jsonl"
        started = time.perf_counter()
        write_graph_file(graph_file, synthetic_graphs(n_units, model=MODEL, evidence=EVIDENCE))
        write_s = time.perf_counter() - started
        print(f"wrote {n_units:,} synthetic units in {write_s:.0f} s", file=sys.stderr, flush=True)
        clear_database(db)
        summary = ingest_files(db, [graph_file], progress=True)
        graph_file.unlink()
        if summary.errors:
            raise BenchError(
                f"ingest reported {len(summary.errors)} bad lines: {summary.errors[0]}"
            )
        print(f"ingested in {summary.seconds:.0f} s", file=sys.stderr, flush=True)
        started = time.perf_counter()
        NeuronSearch(db).compute_similarity([MODEL])
        similarity_s = time.perf_counter() - started
        timings = {
            **wanted,
            "ingest_s": round(summary.seconds, 1),
            "write_s": round(write_s, 1),
            "similarity_s": round(similarity_s, 1),
        }
        if keep:
            marker.write_text(json.dumps(timings) + "\n")
    sets = NeuronSearch(db).token_sets([MODEL])
    if len(sets) != n_units:
        raise BenchError(f"the database holds {len(sets):,} units of {MODEL}, not {n_units:,}")
    return Loaded(
        units=n_units,
        ingest_s=timings.get("ingest_s"),
        write_s=timings.get("write_s"),
        similarity_s=timings.get("similarity_s"),
        db_bytes=_du(settings.home / "databases"),
        reused=reused,
        keys=sorted(s.key for s in sets),
        activating={s.key: sorted(s.activating) for s in sets},
    )
