"""Wall time of each read-side command from a fresh process: this tree against a base commit.

    .venv/bin/python -m bench.cli_startup [--quick] [--json PATH] [--base REV] [--repeats N]

What a user waits for when typing a command in a cold shell: the interpreter's start, the
imports, the database connection and the query, until the process exits. Each command is
run as `python -m n2g ...` in a new process, with PYTHONPATH naming the tree it runs:

- n2g: this checkout's package;
- plain: the package as it was at `--base` (default: the last commit before the command
  line's imports were made lazy), unpacked from git into a temporary folder and run by the
  same interpreter, with the same installed libraries, against the same server.

The data: the main job's sample (tests/data/main-job-sample.jsonl.gz, real SmolLM2-135M
graphs of layers 0-3) ingested into a throwaway local server, with `similar` run once, so
every command answers what the README shows. The two trees' runs are interleaved, command
by command, so drift on a shared machine hits both alike; each figure is the median of
`--repeats` runs. The headline figure is the slowest command's median (the promise is a
bound on every read-side command); every command's pair is printed too. The CPU is named
in the result (`lscpu`'s model name): timings depend on it.
"""

from __future__ import annotations

import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench._common import BenchResult, bench_arg_parser, report, throwaway_database
from n2g.db.ingest import ingest_files
from n2g.search import NeuronSearch, SimilarityConfig

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "main-job-sample.jsonl.gz"
MODEL = "smollm2-135m"
# main just before the lazy command line was merged in (its code, everything else equal).
BASE = "625b51e"
COMMANDS: dict[str, list[str]] = {
    "--help": ["--help"],
    "search": ["search", "/", "--context", " *", "-m", MODEL],
    "like": ["like", f"{MODEL}/1/964"],
    "like --text": ["like", "--text", "The capital of France is Paris.", "-m", MODEL],
    "show": ["show", f"{MODEL}/3/15"],
    "groups": ["groups", "-m", MODEL],
    "top": ["top", "--layer", "2"],
    "export": ["export", "units.parquet"],
    "report": ["report", "graphs.jsonl"],
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


def run_once(tree: Path, argv: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    """Wall seconds of `python -m n2g ARGV` with `tree` first on the path; it must answer."""
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
    if proc.returncode != 0:
        raise SystemExit(f"n2g {' '.join(argv)} failed in {tree}:\n{proc.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = bench_arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--base", default=BASE, help="the commit to compare with")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    commands = dict(list(COMMANDS.items())[:3]) if args.quick else COMMANDS
    work = Path(tempfile.mkdtemp(prefix="n2g-bench-cli-"))
    try:
        base_tree = unpack_base(args.base, work)
        data = work / "data"
        data.mkdir()
        with gzip.open(SAMPLE, "rb") as sample, (data / "graphs.jsonl").open("wb") as out:
            shutil.copyfileobj(sample, out)
        with throwaway_database("n2g-bench-cli-db-") as db:
            ingest_files(db, [data / "graphs.jsonl"], progress=False)
            NeuronSearch(db).compute_similarity(
                [MODEL], SimilarityConfig(threshold=0.9), show_progress=False
            )
            config = db.config
            env = {k: v for k, v in os.environ.items() if not k.startswith("N2G_")}
            # Bytecode compiled once and read after, as an installed package has it (pip
            # compiles on install), kept in the run's folder, whatever the shell says
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
            env.update(N2G_URI=config.uri, N2G_USER=config.user, N2G_PASSWORD=config.password)
            if config.database:
                env["N2G_DATABASE"] = config.database
            trees = {"n2g": ROOT, "plain": base_tree}
            for tree in trees.values():  # bytecode compiled, the page cache warm
                for argv in commands.values():
                    run_once(tree, argv, env, data)
            times = {c: {"n2g": [], "plain": []} for c in commands}
            for _ in range(repeats):
                for name, argv in commands.items():
                    for side, tree in trees.items():
                        times[name][side].append(run_once(tree, argv, env, data))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {c: {s: statistics.median(t) for s, t in sides.items()} for c, sides in times.items()}
    for name, pair in medians.items():
        n2g, plain = pair["n2g"], pair["plain"]
        print(f"  {name:<12} n2g {n2g:6.2f} s   plain {plain:6.2f} s   {plain / n2g:5.1f}x")
    slowest = max(medians, key=lambda c: medians[c]["n2g"])
    report(
        BenchResult(
            name="cli startup (slowest read-side command, wall)",
            unit="s",
            figure=medians[slowest]["n2g"],
            plain_figure=max(pair["plain"] for pair in medians.values()),
            higher_is_better=False,
            quick=args.quick,
            extra={
                "slowest": slowest,
                "base": args.base,
                "cpu": cpu_model(),
                "repeats": repeats,
                "commands": {
                    name: {
                        "argv": commands[name],
                        "n2g_s": round(pair["n2g"], 3),
                        "plain_s": round(pair["plain"], 3),
                        "ratio": round(pair["plain"] / pair["n2g"], 2),
                    }
                    for name, pair in medians.items()
                },
            },
        ),
        args,
    )


if __name__ == "__main__":
    main()
