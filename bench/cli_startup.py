"""Wall time of each read-side command from a fresh process: this tree against a base commit.

    .venv/bin/python -m bench.cli_startup [--quick] [--json PATH] [--base REV] [--repeats N]

What a user waits for when typing a command in a cold shell: the interpreter's start, the
imports, the database connection and the query, until the process exits. Each command is
run as `python -m n2g ...` in a new process, with PYTHONPATH naming the tree it runs:

- n2g: this checkout's package;
- plain: the package as it was at `--base` (default: main before the second round of
  start-up work, issue 40), unpacked from git into a temporary folder and run by the
  same interpreter, with the same installed libraries, against the same server.

The commands: every read-side one (`reads=True` in n2g/cli/__init__.py;
tests/cli/test_lazy_commands.py fails when one is missing here). The data: the main job's
sample (tests/data/main-job-sample.jsonl.gz, real SmolLM2-135M graphs of layers 0-3)
ingested into a throwaway local server, with `similar` run once, so every command answers
what the README shows, plus hand-made latents for `split` and one FEEDS edge for `circuit`
(the main job computes neither). The two trees' runs are interleaved, command by command,
so drift on a shared machine hits both alike; each figure is the median of `--repeats`
runs. Beside the wall time, each run's CPU time (user + system, from the kernel's
accounting of the child): on a shared machine the wall time grows with the load while the
CPU time moves less. The headline figure is the slowest command's median wall time (the
promise is a bound on every read-side command); every command's pair is printed too. The
CPU is named in the result (`lscpu`'s model name) and the load average before the run:
timings depend on both.
"""

from __future__ import annotations

import gzip
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench._common import BenchResult, bench_arg_parser, report, throwaway_database
from n2g.db.connection import Database, DatabaseConfig
from n2g.db.ingest import ingest_files, ingest_graphs
from n2g.search import NeuronSearch, SimilarityConfig
from n2g.search.circuits import write_feeds
from n2g.testing.splits import split_graphs

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "main-job-sample.jsonl.gz"
MODEL = "smollm2-135m"
# main before the second round of start-up work (issue 40: export, report); 625b51e was
# main before the lazy command line.
BASE = "94425ad"
COMMANDS: dict[str, list[str]] = {
    "--help": ["--help"],
    "search": ["search", "/", "--context", " *", "-m", MODEL],
    "like": ["like", f"{MODEL}/1/964"],
    "like --text": ["like", "--text", "The capital of France is Paris.", "-m", MODEL],
    "show": ["show", f"{MODEL}/3/15"],
    "groups": ["groups", "-m", MODEL],
    "top": ["top", "--layer", "2"],
    "split": ["split", "split/1/0"],
    "circuit": ["circuit", f"{MODEL}/3/15"],
    "export": ["export", "units.parquet"],
    "report": ["report", "graphs.jsonl"],
    "plugins": ["plugins"],
}


def cpu_model() -> str:
    """lscpu's model name (the figures depend on the CPU), else the platform's word."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        out = ""
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    import platform

    return platform.processor() or platform.machine()


def unpack_base(rev: str, into: Path) -> Path:
    """The package `n2g/` as it was at `rev`, unpacked into `into` (git archive)."""
    archive = into / "base.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", rev, "n2g"], cwd=ROOT, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    archive.unlink()
    return into / "tree"


def run_once(
    tree: Path, argv: Sequence[str], env: dict[str, str], cwd: Path
) -> tuple[float, float]:
    """Wall and CPU seconds of `python -m n2g ARGV` with `tree` first on the path; it must
    answer."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "n2g", *argv],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"n2g {' '.join(argv)} failed in {tree}:\n{proc.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu


def fill(db: Database, graphs: Path) -> None:
    """The store every command reads: the sample, its similarity, latents, one edge."""
    ingest_files(db, [graphs], progress=False)
    NeuronSearch(db).compute_similarity(
        [MODEL], SimilarityConfig(threshold=0.9), show_progress=False
    )
    ingest_graphs(db, split_graphs())
    edge = {"source": f"{MODEL}/1/964", "target": f"{MODEL}/3/15", "rank": 0}
    write_feeds(db, MODEL, [{**edge, "weight": 0.5, "virtual_weight": 0.5}])


Times = dict[str, dict[str, list[tuple[float, float]]]]  # command -> tree -> (wall, cpu)


def measure(
    commands: dict[str, list[str]], trees: dict[str, Path], env: dict[str, str], cwd: Path,
    repeats: int,
) -> Times:  # fmt: skip
    """Every command on every tree, interleaved, `repeats` times after one warm-up run."""
    for tree in trees.values():  # bytecode compiled, the page cache warm
        for argv in commands.values():
            run_once(tree, argv, env, cwd)
    times: Times = {c: {side: [] for side in trees} for c in commands}
    for _ in range(repeats):
        for name, argv in commands.items():
            for side, tree in trees.items():
                times[name][side].append(run_once(tree, argv, env, cwd))
    return times


def main() -> None:
    parser = bench_arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--base", default=BASE, help="the commit to compare with")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    commands = dict(list(COMMANDS.items())[:3]) if args.quick else COMMANDS
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="n2g-bench-cli-"))
    try:
        trees = {"n2g": ROOT, "plain": unpack_base(args.base, work)}
        data = work / "data"
        data.mkdir()
        with gzip.open(SAMPLE, "rb") as sample, (data / "graphs.jsonl").open("wb") as out:
            shutil.copyfileobj(sample, out)
        with throwaway_database("n2g-bench-cli-db-") as db:
            fill(db, data / "graphs.jsonl")
            times = measure(commands, trees, command_env(db.config, work), data, repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summarise(times, commands, args, load_before)


def command_env(config: DatabaseConfig, work: Path) -> dict[str, str]:
    """The commands' environment: the throwaway server by N2G_* and no other n2g setting;
    bytecode compiled once and read after, as an installed package has it (pip compiles on
    install), kept in the run's folder whatever the shell says."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("N2G_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env.update(N2G_URI=config.uri, N2G_USER=config.user, N2G_PASSWORD=config.password)
    if config.database:
        env["N2G_DATABASE"] = config.database
    return env


def summarise(times: Times, commands: dict[str, list[str]], args: Any, load_before: float) -> None:
    """Print each command's medians (wall, CPU) on both trees and report the slowest."""
    wall = {c: {s: statistics.median(t[0] for t in ts) for s, ts in sides.items()}
            for c, sides in times.items()}  # fmt: skip
    cpu = {c: {s: statistics.median(t[1] for t in ts) for s, ts in sides.items()}
           for c, sides in times.items()}  # fmt: skip
    for name, pair in wall.items():
        n2g, plain = pair["n2g"], pair["plain"]
        print(
            f"  {name:<12} n2g {n2g:5.2f} s (cpu {cpu[name]['n2g']:4.2f})   "
            f"plain {plain:5.2f} s (cpu {cpu[name]['plain']:4.2f})   {plain / n2g:4.1f}x"
        )
    slowest = max(wall, key=lambda c: wall[c]["n2g"])
    extra = {
        "slowest": slowest,
        "base": args.base,
        "cpu": cpu_model(),
        "repeats": 1 if args.quick else args.repeats,
        "load_avg_1m_before": round(load_before, 2),
        "commands": {
            name: {
                "argv": commands[name],
                "n2g_s": round(pair["n2g"], 3),
                "plain_s": round(pair["plain"], 3),
                "n2g_cpu_s": round(cpu[name]["n2g"], 3),
                "plain_cpu_s": round(cpu[name]["plain"], 3),
                "ratio": round(pair["plain"] / pair["n2g"], 2),
            }
            for name, pair in wall.items()
        },
    }
    result = BenchResult(
        name="cli startup (slowest read-side command, wall)",
        unit="s",
        figure=wall[slowest]["n2g"],
        plain_figure=max(pair["plain"] for pair in wall.values()),
        higher_is_better=False,
        quick=args.quick,
        extra=extra,
    )
    report(result, args)


if __name__ == "__main__":
    main()
