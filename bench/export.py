"""Units per second of `n2g export` to Parquet from the database: stored lines straight to
Arrow (n2g.export_stored) against the graph model's round trip.

    .venv/bin/python -m bench.export [--quick] [--copies N] [--repeats N] [--json PATH]

The units: the main job's sample (tests/data/main-job-sample.jsonl.gz, 219 real SmolLM2
graphs with their evidence), copied `--copies` times under other indexes (a copy is the
same graph as another unit of its layer), ingested into a throwaway local server. Both
ways read the same keys from the same server, 500 units a batch, and write a Parquet file:

- n2g: `stored_batches` (each batch's lines read by Arrow's JSON reader, key and label
  from the node);
- plain: each line parsed and checked by the graph model (`store.read_graphs`), dumped as
  a row (`unit_row`), and the rows handed to Arrow (what `n2g export` did before).

They run interleaved, `--repeats` times each after one warm-up; each figure is the median
units/s in the process, without the interpreter's start or the imports (the whole command,
from a cold shell, is `bench/cli_startup.py`'s). The two files' tables are checked equal.
"""

from __future__ import annotations

import gzip
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench._common import BenchResult, bench_arg_parser, report, throwaway_database
from bench.cli_startup import MODEL, SAMPLE
from n2g.db.connection import Database
from n2g.db.ingest import ingest_graphs
from n2g.export import row_schema, unit_row, write_batches
from n2g.export_stored import stored_batches
from n2g.graph.file import parse_graph_line
from n2g.graph.model import NeuronGraph
from n2g.search import store


def copied_sample(copies: int) -> list[NeuronGraph]:
    """The sample, and `copies - 1` more of it under indexes past each layer's largest."""
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
        sample = [parse_graph_line(line) for line in lines if line.strip()]
    width = max(g.neuron for g in sample) + 1
    return [
        g.model_copy(update={"neuron": g.neuron + copy * width})
        for copy in range(copies)
        for g in sample
    ]


def plain_export(db: Database, keys: list[str], out: Path) -> int:
    """The model's round trip: every line parsed and checked, dumped as a row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = row_schema()
    with pq.ParquetWriter(out, schema) as writer:
        for start in range(0, len(keys), 500):
            graphs = store.read_graphs(db, keys[start : start + 500])
            rows = [unit_row(graphs[key]) for key in keys[start : start + 500]]
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
    return len(keys)


def rates(ways: dict[str, Callable[[], int]], repeats: int) -> dict[str, float]:
    """Median units/s of each way, interleaved, after one warm-up run of each."""
    for way in ways.values():
        way()
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    units = 0
    for _ in range(repeats):
        for name, way in ways.items():
            start = time.perf_counter()
            units = way()
            seconds[name].append(time.perf_counter() - start)
    return {name: units / statistics.median(times) for name, times in seconds.items()}


def main() -> None:
    parser = bench_arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10, help="copies of the 219-unit sample")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    copies, repeats = (1, 2) if args.quick else (args.copies, args.repeats)
    import pyarrow.parquet as pq

    graphs = copied_sample(copies)
    with (
        tempfile.TemporaryDirectory(prefix="n2g-bench-export-") as tmp,
        throwaway_database("n2g-bench-export-db-") as db,
    ):
        ingest_graphs(db, graphs)
        keys = sorted(g.key for g in graphs)
        fast_out, plain_out = Path(tmp) / "n2g.parquet", Path(tmp) / "plain.parquet"
        found = rates(
            {
                "n2g": lambda: write_batches(stored_batches(db, keys, "parquet"), fast_out),
                "plain": lambda: plain_export(db, keys, plain_out),
            },
            repeats,
        )
        same = pq.read_table(fast_out).equals(pq.read_table(plain_out))
    if not same:
        raise SystemExit("the two exports differ")
    print(
        f"  {len(keys):,} units of {MODEL}: "
        f"n2g {found['n2g']:,.0f}/s, plain {found['plain']:,.0f}/s"
    )
    result = BenchResult(
        name="export to Parquet from the database",
        unit="units/s",
        figure=found["n2g"],
        plain_figure=found["plain"],
        quick=args.quick,
        extra={"units": len(keys), "repeats": repeats, "tables_equal": same},
    )
    report(result, args)


if __name__ == "__main__":
    main()
