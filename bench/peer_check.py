"""What proving the peer costs: queries through the local server with and without the check.

    .venv/bin/python -m bench.peer_check [--quick] [--json PATH]

Every connection to the local server proves, before the password is sent, that the
process answering is our server (n2g.db.identity: /proc/net/tcp and the server's open
sockets). The driver asks for the credentials on every new connection and whenever it
hands out a pooled one, so both are measured, side by side on one throwaway server:

- new connections: connect, `RETURN 1`, close, one after another (the worst case);
- pooled queries: `RETURN 1` on one open Database (what every command and page does).

The plain approach is the same server and driver with plain credentials (no check).
"""

from __future__ import annotations

import time

from bench._common import BenchResult, bench_arg_parser, report, throwaway_database
from n2g.db.connection import Database, DatabaseConfig


def _rate(work, seconds: float) -> float:
    """Calls of `work` a second, over about `seconds`."""
    done = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        work()
        done += 1
    return done / elapsed


def _connections(config: DatabaseConfig, seconds: float) -> float:
    def once() -> None:
        Database.connect(config).close()

    return _rate(once, seconds)


def _pooled(config: DatabaseConfig, seconds: float) -> float:
    with Database.connect(config) as db:
        return _rate(lambda: db.read("RETURN 1 AS ok"), seconds)


def main() -> None:
    args = bench_arg_parser(__doc__.splitlines()[0]).parse_args()
    seconds = 1.0 if args.quick else 5.0
    with throwaway_database("n2g-bench-peer-") as db:
        guarded = db.config
        assert guarded.local_server is not None
        plain = guarded.model_copy(update={"local_server": None})
        figures = {}
        for name, measure in (("connections", _connections), ("pooled", _pooled)):
            # Interleaved, twice each, so drift on a shared machine hits both alike.
            runs = [(measure(guarded, seconds), measure(plain, seconds)) for _ in range(2)]
            figures[name] = (max(r[0] for r in runs), max(r[1] for r in runs))
    connections, pooled = figures["connections"], figures["pooled"]
    report(
        BenchResult(
            name="peer_check (pooled queries/s, checked vs unchecked)",
            unit="queries/s",
            figure=pooled[0],
            plain_figure=pooled[1],
            quick=args.quick,
            extra={
                "new connections/s, checked": round(connections[0], 1),
                "new connections/s, unchecked": round(connections[1], 1),
                "new connections ratio": round(connections[0] / connections[1], 3),
            },
        ),
        args,
    )


if __name__ == "__main__":
    main()
