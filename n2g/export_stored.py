"""Units read from the store straight into Arrow: `n2g export` to Parquet without the
graph model's round trip.

Every unit's graph is stored whole on its node as its graph-file line (n2g.db.mapping),
checked by the graph model when it was loaded. Parsing those lines back into models and
dumping each as a row (n2g.export.unit_row) took most of an export's time, about 2 ms a
unit: the model checks every float and every trie edge again, then writes it all out as
Python objects for Arrow to read one by one. Arrow's JSON reader turns the same lines into
the rows' table in one pass of compiled code, given the rows' schema (n2g.export.row_schema
with the line's own names): `bench/export.py` measures both side by side.

The table is the one the model gives, column for column (tests/cli/test_export_stored.py):
the line holds every field that is set; a field left unset is null either way; the unit's
index is the line's `neuron`; its key and label come from its node, the label the one
search and the service show, written by the same function (n2g.graph.label) at loading.
A batch goes this way only when every unit in it has its line and its label and the line
is of the current format; any other batch (units loaded by an older ingest, whose lines
the model upgrades) goes through the model, as does JSON Lines (whose rows keep the
model's own key order and omissions).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator, Sequence
from typing import Any

from n2g.db.connection import Database
from n2g.export import ROWS_PER_GROUP, Format, RowBatch, row_schema, unit_row
from n2g.graph.model import FORMAT_VERSION
from n2g.search import store

# The row's columns that the line names otherwise (`neuron`) or does not hold.
FROM_THE_NODE = ("key", "index", "label")


def stored_batches(
    db: Database, keys: Sequence[str], fmt: Format, size: int = ROWS_PER_GROUP
) -> Iterator[RowBatch]:
    """The rows of the units of `keys`, in their order, `size` at a time: an Arrow table
    straight from the stored lines where it can be (Parquet), else rows via the model."""
    for start in range(0, len(keys), size):
        chunk = list(keys[start : start + size])
        stored = _in_order(db.read(store.query("unit_graphs"), {"keys": chunk}), chunk)
        table = lines_table(stored) if fmt == "parquet" else None
        if table is not None:
            yield table
            continue
        graphs = store.graphs_from_rows(db, stored)
        rows = [unit_row(graphs[key]) for key in chunk if key in graphs]
        if rows:
            yield rows


def _in_order(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    position = {key: i for i, key in enumerate(keys)}
    return sorted(rows, key=lambda row: position[row["key"]])


def lines_table(rows: Sequence[dict[str, Any]]) -> Any | None:
    """The rows' table (a pyarrow.Table of row_schema()) read from stored units' lines
    (`key`, `label`, `graph` of each), or None where the model must read them: no row, a
    unit without its line or label, a line of an older format or one Arrow cannot read."""
    import pyarrow as pa
    import pyarrow.json as pa_json

    if not rows or any(not row.get("graph") or row.get("label") is None for row in rows):
        return None
    data = "\n".join(row["graph"] for row in rows).encode()
    try:
        lines = pa_json.read_json(
            io.BytesIO(data),
            read_options=pa_json.ReadOptions(block_size=len(data) + 1),  # one block: any size
            parse_options=pa_json.ParseOptions(
                explicit_schema=line_schema(), unexpected_field_behavior="error"
            ),
        )
    except pa.ArrowException:
        return None
    if lines.num_rows != len(rows) or set(lines["format_version"].to_pylist()) != {FORMAT_VERSION}:
        return None
    columns = {
        "key": pa.array([row["key"] for row in rows], pa.string()),
        "index": lines["neuron"],
        "label": pa.array([row["label"] for row in rows], pa.string()),
        "evidence": _empty_where_null(lines["evidence"]),  # left out of a line when empty
    }
    schema = row_schema()
    return pa.table(
        [columns[name] if name in columns else lines[name] for name in schema.names], schema=schema
    )


def _empty_where_null(column: Any) -> Any:
    """A list column with its nulls as empty lists (the reader leaves a null's slot empty:
    its offsets are those of an empty list, so the lists without the null marks are it)."""
    if not column.null_count:
        return column
    import pyarrow as pa

    return pa.chunked_array(
        [pa.ListArray.from_arrays(chunk.offsets, chunk.values) for chunk in column.chunks],
        type=column.type,
    )


@functools.cache
def line_schema() -> Any:  # a pyarrow.Schema
    """The schema of a stored line: the row's, less what the node gives, with the line's
    own `neuron` and `format_version`."""
    import pyarrow as pa

    schema = row_schema()
    kept = [field for field in schema if field.name not in FROM_THE_NODE]
    return pa.schema(
        [*kept, pa.field("neuron", pa.int64()), pa.field("format_version", pa.int64())]
    )
