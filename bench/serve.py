"""The service under load: `n2g serve` beside today's and a plain FastAPI app, 50 clients.

    .venv/bin/python -m bench.serve                  # 46,080 units (loading takes a while)
    .venv/bin/python -m bench.serve --quick          # 2,000 units, 5 s a scenario
    .venv/bin/python -m bench.serve --quick --keep /tmp/n2g-serve-bench   # reruns skip loading

Loads N synthetic SmolLM2-sized units, each with 30 evidence snippets
(n2g/testing/synthetic.py), into a fresh local ArcadeDB server, computes similarity and
groups, then starts the HTTP servers as real processes on 127.0.0.1, with the same number of
uvicorn workers and the same --cache-mb (loading and starting: bench/_serve_setup.py):

- n2g's: `python -m n2g serve --warm` (cached read layer, pages and JSON API; n2g/serve);
  the scenarios start once its log says every unit is kept, and with it the searches of
  the most frequent activating tokens (n2g/serve/warm_searches.py; the time that took is
  reported: `warm_s`);
- today's: the same command of n2g as it was at git revision `--today` (TODAY_REVISION,
  before answers were kept while the store is unchanged and sent before routing; taken
  with `git archive`), so the change is measured against the code it replaced;
- the plain approach (bench/_plain_server.py, started as `--plain-server`): a minimal
  FastAPI app answering the same requests the obvious way, with no cache, through the CLI's
  generic API: a unit is `NeuronSearch.neuron_graph(key)` (its whole trie by a
  variable-length path query, and its evidence) plus `NeuronSearch.like(key)`, as JSON or
  as an HTML string (`html.escape`); a search is `NeuronSearch.token_search(token=...)`.

A load generator in this process (bench/_http_load.py: asyncio raw sockets, keep-alive
HTTP/1.1: a client costs little CPU) keeps `--clients` connections busy, closed loop (each
client sends its next request when its answer has arrived), for `--seconds` per scenario
and server, and records every request's latency. Scenarios, each run against both servers, in turn:

- `unit page` (/units/KEY), `unit api` (/api/units/KEY): keys drawn from a Zipf-like
  popularity over all N units (rank r visited ∝ 1/(r+1), a seeded shuffle deciding the
  ranks): a few units are visited often, as when people browse; the long tail still brings
  many first visits. This is the headline figure.
- `search` (/api/search?token=T): T the activating token of a unit drawn uniformly, so
  tokens come as often as units fire on them.
- `cold` variants of the three: each request asks for a unit (a token) that no earlier
  request to that server asked for, on any route, so no answer of n2g's can come from its
  cache (the cold runs come first; the warm-up before them asks for other units). The
  database's own page cache is warm in both cases (one database serves both servers).

Every answer must be 200 (anything else stops the run with the failing request). Figures:
n2g's p95 latency (ms), the plain app's p95 beside it (today's where the plain app is not
run); today's and the plain app's p50, p95, p99, requests/s and the cold figures are in the
extras (`today_`, `plain_`). Goals (issue 40): p95 < 50 ms for the unit page and the unit
API, < 100 ms for search. `--servers` and `--scenarios` run a part.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bench._common import BenchResult, bench_arg_parser, report
from bench._http_load import HOST, Measured, run_load
from bench._plain_server import run_plain_server
from bench._serve_results import bench_results, table
from bench._serve_setup import (
    EVIDENCE,
    BenchError,
    HttpServer,
    Loaded,
    _serve_help,
    checkout_of,
    load_database,
    start_http_server,
    wait_for_line,
)

WHOLE_MODEL = 46_080
QUICK_UNITS = 2_000
ZIPF_EXPONENT = 1.0
TODAY_REVISION = "e9665a5"  # n2g serve before the store watch, the fast path and --warm
SERVERS = ("n2g", "today", "plain")
WARM_TIMEOUT_S = 3_600.0
WARM_LINE = "warm: "


# --------------------------------------------------------------------------------------
# Scenarios.
# --------------------------------------------------------------------------------------

SCENARIOS = ("unit page", "unit api", "search")


def unit_path(kind: str, key: str) -> str:
    prefix = "/units/" if kind == "unit page" else "/api/units/"
    return prefix + quote(key, safe="/")


def search_path(token: str) -> str:
    return "/api/search?token=" + quote(token, safe="")


@dataclass
class Plan:
    """Which requests each scenario sends: the same popular sequence to both servers; for
    the cold runs, disjoint pools (a unit or token no earlier request to it asked for)."""

    popular: dict[str, list[str]]
    cold: dict[tuple[str, str], list[str]]
    warmup: list[str]


def make_plan(
    loaded: Loaded, n_requests: int, seed: int, servers: tuple[str, ...] = SERVERS
) -> Plan:
    import numpy as np

    rng = random.Random(seed)
    keys = list(loaded.keys)
    ranked = keys[:]
    rng.shuffle(ranked)  # popularity rank: a seeded shuffle
    weights = 1.0 / np.arange(1, len(ranked) + 1) ** ZIPF_EXPONENT
    draws = np.random.default_rng(seed).choice(
        len(ranked), size=n_requests, p=weights / weights.sum()
    )
    popular = {kind: [unit_path(kind, ranked[i]) for i in draws] for kind in SCENARIOS[:2]}
    with_tokens = [k for k in keys if loaded.activating[k]]
    popular["search"] = []
    for _ in range(n_requests):
        tokens = loaded.activating[rng.choice(with_tokens)]
        popular["search"].append(search_path(rng.choice(tokens)))

    # Cold pools: a few units kept for the warm-up, the rest split two ways a server.
    order = keys[:]
    rng.shuffle(order)
    n_warm = min(200, max(10, len(order) // 40))
    warm_keys, rest = order[:n_warm], order[n_warm:]
    n_pools = 2 * len(servers)
    share = len(rest) // n_pools
    pools = [rest[i * share : (i + 1) * share] for i in range(n_pools)]
    tokens = sorted({t for k in keys for t in loaded.activating[k]})
    rng.shuffle(tokens)
    part = len(tokens) // len(servers)
    cold: dict[tuple[str, str], list[str]] = {}
    for i, server in enumerate(servers):
        cold[(server, "unit page")] = [unit_path("unit page", k) for k in pools[2 * i]]
        cold[(server, "unit api")] = [unit_path("unit api", k) for k in pools[2 * i + 1]]
        cold[(server, "search")] = [search_path(t) for t in tokens[i * part : (i + 1) * part]]
    warmup = [unit_path("unit api", k) for k in warm_keys]
    return Plan(popular=popular, cold=cold, warmup=warmup)


def _check(measured: Measured, server: str, scenario: str) -> None:
    if measured.failures:
        statuses = ", ".join(
            f"{s or 'no answer'}: {n}" for s, n in sorted(measured.statuses.items())
        )
        raise BenchError(
            f"{server} {scenario}: {measured.failures} of {measured.requests} requests "
            f"failed ({statuses}); first: {measured.first_error}"
        )
    if not measured.requests:
        raise BenchError(f"{server} {scenario}: no request completed")


# --------------------------------------------------------------------------------------
# The run.
# --------------------------------------------------------------------------------------


def _n2g_command(cwd: Path | None, port: int, flags: list[str], warm: bool) -> list[str]:
    help_text = _serve_help(cwd)  # before minutes of loading: is there an `n2g serve`?
    if "--port" not in help_text:
        raise BenchError(f"there is no `n2g serve` in {cwd or 'this checkout'}")
    command = [sys.executable, "-m", "n2g", "serve", "--host", HOST, "--port", str(port)]
    for flag in ("--workers", "--cache-mb"):
        value = next((v for f, v in zip(flags, flags[1:], strict=False) if f == flag), None)
        if value is not None and flag in help_text:
            command += [flag, value]
        elif flag == "--workers" and value != "1":
            raise BenchError(f"`n2g serve` in {cwd or 'this checkout'} has no {flag}")
    if warm:
        if "--warm" not in help_text:
            raise BenchError("`n2g serve` has no --warm")
        command.append("--warm")
    return command


def run(args: argparse.Namespace) -> list[BenchResult]:
    from n2g.db import server as db_server
    from n2g.db.connection import Database

    n_units = args.units or (QUICK_UNITS if args.quick else WHOLE_MODEL)
    seconds = args.seconds or (5.0 if args.quick else 20.0)
    keep = args.keep is not None
    names = tuple(n for n in SERVERS if n in args.servers.split(","))
    if "n2g" not in names:  # every figure is n2g's beside another server's
        raise SystemExit(f"--servers {args.servers}: give n2g and what to compare it with")
    home = Path(args.keep) if keep else Path(tempfile.mkdtemp(prefix="n2g-bench-serve-"))
    scratch = Path(tempfile.mkdtemp(prefix="n2g-bench-today-"))
    today = checkout_of(args.today, scratch) if "today" in names else None
    flags = ["--workers", str(args.workers), "--cache-mb", str(args.cache_mb)]
    commands = {"n2g": lambda port: _n2g_command(None, port, flags, warm=True)}
    commands["today"] = lambda port: _n2g_command(today, port, flags, warm=False)
    for name in names:  # fail before minutes of loading
        commands.get(name, lambda port: [])(0)
    servers: dict[str, HttpServer] = {}
    db_pid: int | None = None
    settings = None
    warm_s: float | None = None
    try:
        home.mkdir(parents=True, exist_ok=True)
        settings = db_server.LocalServerSettings(
            home=home / "server",
            bolt_port=db_server.free_port(),
            http_port=db_server.free_port(),
            heap=args.heap,
        )
        status = db_server.start(settings)
        db_pid = status.pid
        config = db_server.server_config(settings)
        with Database.connect(config) as db:
            loaded = load_database(db, home, settings, n_units, keep)
        plan = make_plan(loaded, max(20_000, int(3_000 * seconds)), args.seed, names)

        env = {**os.environ, "N2G_PASSWORD": config.password}
        env.pop("N2G_URI", None)
        db_flags = ["--uri", config.uri, "--user", config.user]
        if config.database:
            db_flags += ["--database", config.database]
        for name in names:
            port = db_server.free_port()
            if name == "plain":
                command = [sys.executable, "-m", "bench.serve", "--plain-server"]
                command += ["--port", str(port), "--workers", str(args.workers)]
                server_env = {**env, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
            else:
                command, server_env = commands[name](port), env
            started = time.perf_counter()
            servers[name] = start_http_server(
                name,
                command + db_flags,
                port,
                server_env,
                home / f"{name}-serve.log",
                cwd=today if name == "today" else None,
            )
            if name == "n2g":  # every unit kept before the clock starts
                line = wait_for_line(servers[name], WARM_LINE, WARM_TIMEOUT_S)
                if "every unit" not in line:
                    raise BenchError(f"n2g did not keep every unit: {line.strip()}")
                warm_s = round(time.perf_counter() - started, 1)
                print(f"  n2g: {line.strip()} ({warm_s:.0f} s after start)", file=sys.stderr)
        return measure(args, servers, plan, loaded, seconds, warm_s)
    finally:
        for http in servers.values():
            http.stop()
        if db_pid is not None and settings is not None:
            db_server.stop_process(db_pid)
            with contextlib.suppress(FileNotFoundError):
                settings.pid_file.unlink()
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)


def measure(
    args: argparse.Namespace,
    servers: dict[str, HttpServer],
    plan: Plan,
    loaded: Loaded,
    seconds: float,
    warm_s: float | None,
) -> list[BenchResult]:
    """Warm both servers up, then run every scenario against each, cold ones first."""
    clients = args.clients
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    for name, http in servers.items():  # connections, driver pools, first imports
        m = run_load(http.port, plan.warmup, clients=clients, seconds=2.0, cycle=True)
        _check(m, name, "warm-up")

    scenarios = [s for s in SCENARIOS if s in args.scenarios.split(",")]
    results: dict[tuple[str, str, str], Measured] = {}
    order = [("cold", s) for s in scenarios] + [("popular", s) for s in scenarios]
    names = list(servers)
    for i, (mode, scenario) in enumerate(order):
        turn = names[i % len(names) :] + names[: i % len(names)]  # none always first
        for name in turn:
            if mode == "cold":
                paths, cycle = plan.cold[(name, scenario)], False
            else:
                paths, cycle = plan.popular[scenario], True
            m = run_load(servers[name].port, paths, clients=clients, seconds=seconds, cycle=cycle)
            _check(m, name, f"{mode} {scenario}")
            results[(name, mode, scenario)] = m
            print(
                f"  {name:5} {mode:7} {scenario:9}  p50 {m.percentile(0.5):7.1f} ms  "
                f"p95 {m.percentile(0.95):7.1f} ms  {m.rps:7.1f} req/s  ({m.requests:,} requests"
                f"{'' if cycle or len(paths) > m.requests else ', pool used up'}) "
                f"load {os.getloadavg()[0]:.1f}",
                file=sys.stderr,
                flush=True,
            )
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    setup = {
        "units": loaded.units,
        "evidence_per_unit": EVIDENCE,
        "clients": clients,
        "seconds_per_scenario": seconds,
        "workers": args.workers,
        "cache_mb": args.cache_mb,
        "today_revision": args.today if "today" in servers else None,
        "warm_s": warm_s,
        "ingest_s": loaded.ingest_s,
        "similarity_s": loaded.similarity_s,
        "database_mb": round(loaded.db_bytes / 2**20, 1),
        "loaded_by_earlier_run": loaded.reused,
        "load_avg_1m_before": None if load_before is None else round(load_before, 2),
        "load_avg_1m_after": None if load_after is None else round(load_after, 2),
    }
    return bench_results(args, results, scenarios, names, setup)


def main() -> int:
    parser = bench_arg_parser("p50/p95 latency and requests/s of n2g serve vs a plain FastAPI app")
    parser.add_argument("--units", type=int, default=None, help="units to load (46,080)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--seconds", type=float, default=None, help="per scenario (20; quick 5)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers, every server")
    parser.add_argument("--cache-mb", type=int, default=2048, help="n2g's and today's (2048)")
    parser.add_argument("--servers", default=",".join(SERVERS), help="which servers, of these")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="which scenarios")
    parser.add_argument("--today", default=TODAY_REVISION, help="git revision of today's n2g")
    parser.add_argument("--heap", default="4g", help="the database server's Java heap")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the loaded database in DIR and reuse it on the next run",
    )
    # The plain server's own mode (started by the benchmark, not by people).
    parser.add_argument("--plain-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--uri", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--user", default="root", help=argparse.SUPPRESS)
    parser.add_argument("--database", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_server:
        run_plain_server(args)
        return 0

    from n2g.errors import N2GError

    # stopped by SIGTERM (a background run ignores Ctrl-C): still stop the servers it started
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(143))
    try:
        results = run(args)
    except (BenchError, N2GError, OSError, ValueError) as exc:
        print(f"bench/serve: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench/serve: interrupted", file=sys.stderr)
        return 130
    quiet = argparse.Namespace(json=None)
    for result in results:
        report(result, quiet)
    print()
    print(table(results))
    print()
    for result in results:
        e = result.extra
        scenario = result.name.split(": ", 1)[1].split(" p95")[0]
        print(
            f"goal p95 < {e['goal_p95_ms']:.0f} ms, {scenario}: "
            f"{'met' if e['goal_met'] else 'NOT met'} ({result.figure:.1f} ms); "
            f"cold: {'met' if e['goal_met_cold'] else 'not met'} ({e['cold_p95_ms']:.1f} ms)"
        )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.json.with_name(f".{args.json.name}.tmp")
        tmp.write_text(json.dumps([r.as_dict() for r in results], indent=2) + "\n")
        os.replace(tmp, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
