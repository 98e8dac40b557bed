"""Load neuron graphs into the database (`n2g-ingest`).

- Batched: a transaction writes many neurons with `UNWIND $rows` statements (ingest/*.cypher).
- Atomic per neuron: all of a neuron's writes share one transaction, so no reader ever
  sees a neuron half-loaded, and a killed ingest leaves whole neurons only.
- Idempotent and resumable: each neuron stores the hash of the graph it came from. An
  unchanged graph is skipped; a changed one is replaced whole (its old trie, token edges and
  similarity edges are deleted first, so nothing stale is left). Its FEEDS edges from the
  model ('weights', 'data', with their measured effects) are put back; those computed
  from the old graph ('evidence') are dropped and counted (n2g.db.kept_feeds). Re-running
  after a crash skips what was loaded and finishes the rest: the final counts equal a
  clean load.
- Every value reaches Cypher as a parameter; no query text is ever built from data.
- Every message is measured (`packed_size`: UTF-8 bytes, not characters) before it is sent:
  ArcadeDB refuses a Bolt message over 16 MiB and then answers garbage or nothing at all,
  which the watchdog cannot tell from a long write (handshakes still answer). A batch is
  written before a graph that would take it past the bound, a list parameter is split into
  messages that fit, and a graph that fits no message is a bad line while the rest load.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from neo4j import ManagedTransaction
from neo4j import exceptions as neo4j_errors

from n2g.db import messages
from n2g.db.connection import Database
from n2g.db.kept_feeds import restore_feeds, saved_feeds
from n2g.db.mapping import NeuronRow, PropertyTypeError, neuron_row
from n2g.db.schema import apply_schema
from n2g.errors import N2GError
from n2g.graph.file import GraphFileError, iter_graph_file
from n2g.graph.model import NeuronGraph
from n2g.progress import add_run_task, make_progress
from n2g.resources import read_cypher

DEFAULT_BATCH_SIZE = 500  # neurons per transaction (~30k nodes + relationships)
# A batch is written once its rows reach BATCH_BYTES (each message is bounded on its own by
# n2g.db.messages).
BATCH_BYTES = 4 * 2**20


@dataclass
class IngestSummary:
    """What an ingest did (or, with dry_run, would do)."""

    files: int = 0
    neurons_read: int = 0
    neurons_written: int = 0
    neurons_replaced: int = 0
    neurons_unchanged: int = 0
    nodes_created: int = 0
    relationships_created: int = 0
    feeds_kept: int = 0  # FEEDS edges of replaced neurons put back
    feeds_dropped: int = 0  # FEEDS edges computed from a replaced graph ('evidence')
    seconds: float = 0.0
    dry_run: bool = False
    errors: list[GraphFileError] = field(default_factory=list)
    # Files without a single graph line, good or bad (empty, or blank lines only): most
    # likely the wrong file, so the CLI warns about each.
    empty_files: list[Path] = field(default_factory=list)

    @property
    def items_per_second(self) -> float:
        """Nodes + relationships written per second."""
        items = self.nodes_created + self.relationships_created
        return items / self.seconds if self.seconds > 0 else 0.0

    def count(self, done: _Written, batch: int) -> None:
        """Add what one batch of `batch` neurons wrote (the rest were unchanged)."""
        self.neurons_written += done.written
        self.neurons_replaced += done.replaced
        self.neurons_unchanged += batch - done.written
        self.nodes_created += done.nodes
        self.relationships_created += done.relationships
        self.feeds_kept += done.feeds_kept
        self.feeds_dropped += done.feeds_dropped

    def lines(self) -> list[str]:
        """The human-readable summary printed at the end of an ingest."""
        verb = "would write" if self.dry_run else "wrote"
        out = [
            f"{self.files} file(s), {self.neurons_read:,} neuron graph(s) read, "
            f"{len(self.errors)} bad line(s)",
            f"{verb} {self.neurons_written:,} neuron(s) ({self.neurons_replaced:,} replaced), "
            f"{self.neurons_unchanged:,} unchanged (skipped)",
            f"{self.nodes_created:,} nodes + {self.relationships_created:,} relationships "
            f"in {self.seconds:.1f} s ({self.items_per_second:,.0f}/s)",
        ]
        if self.feeds_kept or self.feeds_dropped:
            out.append(
                f"kept {self.feeds_kept:,} FEEDS edge(s) of replaced neurons; dropped "
                f"{self.feeds_dropped:,} evidence edge(s) computed from their old graphs "
                "(recompute: n2g feeds --source evidence)"
            )
        return out


@dataclass
class _Pending:
    hash: str
    neuron: NeuronRow
    size: int  # the bytes its row takes in a Bolt message

    @property
    def key(self) -> str:
        return self.neuron.key


def _pending(graph: NeuronGraph) -> _Pending:
    """The graph's write; PropertyTypeError when it cannot be stored (a value Neo4j refuses,
    or a graph too large for one database message)."""
    row = neuron_row(graph)
    try:
        size = row.encoded_bytes
    except PropertyTypeError as exc:
        raise PropertyTypeError(f"neuron {graph.key}: {exc}") from None
    room = messages.room(read_cypher("ingest", "create_neurons"), "rows")
    if size > room:
        message = size + messages.MAX_MESSAGE_BYTES - room
        raise PropertyTypeError(
            f"neuron {graph.key} needs {message / 2**20:.1f} MiB in one database message, "
            f"more than the {messages.MAX_MESSAGE_BYTES / 2**20:.0f} MiB a message may take"
        )
    return _Pending(hash=row.row["props"]["graph_hash"], neuron=row, size=size)


def _run(
    tx: ManagedTransaction,
    stem: str,
    name: str,
    items: Sequence[Any],
    sizes: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """Run ingest/{stem}.cypher with list parameter `name` = `items`, in messages that fit."""
    return messages.run_in_messages(tx, read_cypher("ingest", stem), name, items, sizes)


@dataclass
class _Written:
    written: int = 0
    replaced: int = 0
    nodes: int = 0
    relationships: int = 0
    feeds_kept: int = 0
    feeds_dropped: int = 0


def _write_batch(tx: ManagedTransaction, batch: Sequence[_Pending]) -> _Written:
    """One transaction: skip unchanged neurons, replace changed ones (their model's FEEDS
    edges put back), create new ones."""
    stored = {
        row["key"]: row["graph_hash"]
        for row in _run(tx, "neuron_hashes", "keys", [p.key for p in batch])
    }
    todo = [p for p in batch if stored.get(p.key) != p.hash]
    replaced = [p.key for p in todo if p.key in stored]
    feeds: list[dict[str, Any]] = []
    dropped = 0
    if replaced:
        feeds, dropped = saved_feeds(tx, replaced)
        old_tokens = {row["text"] for row in _run(tx, "neuron_tokens", "keys", replaced)}
        _run(tx, "delete_neurons", "keys", replaced)
        _run(tx, "delete_orphan_tokens", "texts", sorted(old_tokens))
    if not todo:
        return _Written()
    neurons = [p.neuron for p in todo]
    _run(tx, "merge_models", "names", sorted({n.model for n in neurons}))
    _run(tx, "merge_tokens", "texts", sorted(set().union(*(n.tokens for n in neurons))))
    _run(tx, "create_neurons", "rows", [n.row for n in neurons], [p.size for p in todo])
    kept = restore_feeds(tx, feeds)
    return _Written(
        len(todo),
        len(replaced),
        sum(n.n_nodes for n in neurons),
        sum(n.n_relationships for n in neurons),
        kept,
        dropped + len(feeds) - kept,
    )


RACE_ATTEMPTS = 8  # tries of a batch that lost a race with another writer


def _lost_a_race(exc: N2GError) -> bool:
    """Did the write fail because another writer created the same key first (a model or
    token two ingests merge at once, the same neuron loaded twice)? Unique-key races end
    in a constraint error on ArcadeDB and Neo4j alike; transient errors are races too."""
    cause = exc.__cause__
    if isinstance(cause, neo4j_errors.TransientError):
        return True
    if not isinstance(cause, neo4j_errors.Neo4jError):
        return False
    code = cause.code or ""
    return "ConstraintValidationFailed" in code or "Duplicated key" in str(cause.message or "")


def _write_racing(db: Database, work: Sequence[_Pending]) -> _Written:
    """`_write_batch` in one transaction, run again after a short random wait when it lost
    a race with a concurrent writer: every batch is idempotent (it re-reads the stored
    hashes and merges models and tokens), so the retry writes what the winner did not."""
    attempt = 0
    while True:
        try:
            return db.write(lambda tx: _write_batch(tx, work))
        except N2GError as exc:
            if not _lost_a_race(exc):
                raise
            attempt += 1
            if attempt == RACE_ATTEMPTS:
                raise N2GError(
                    "another writer kept changing the same neurons, models or tokens: "
                    "run the ingest again (what is loaded stays loaded)"
                ) from None
        time.sleep(random.uniform(0.05, 0.2) * 2**attempt)


def _batches(pendings: Iterable[_Pending], batch_size: int) -> Iterator[list[_Pending]]:
    """The writes in batches of at most `batch_size` lines and BATCH_BYTES, each batch's
    create statement fitting one message; a key twice in a batch is written once (the later
    line wins, as on reload)."""
    batch: list[_Pending] = []
    size = 0
    room = messages.room(read_cypher("ingest", "create_neurons"), "rows")
    for pending in pendings:
        if batch and size + pending.size > room:  # its create would not fit with this one
            yield list({p.key: p for p in batch}.values())
            batch, size = [], 0
        batch.append(pending)
        size += pending.size
        if len(batch) >= batch_size or size >= BATCH_BYTES:
            yield list({p.key: p for p in batch}.values())
            batch, size = [], 0
    if batch:
        yield list({p.key: p for p in batch}.values())


def _load(
    db: Database | None,
    pendings: Iterable[_Pending],
    summary: IngestSummary,
    batch_size: int,
    progress: bool,
    total: Callable[[], int | None],
) -> None:
    """Every load's one shape: the schema, a bar over `total()` neurons when `progress`,
    each batch written (db None, a dry run: counted as a clean load would create it) and
    added to the summary, with the time taken."""
    start = time.perf_counter()
    if db is not None:
        apply_schema(db)
    with _progress(progress, total=total() if progress else None) as on_batch:
        for work in _batches(pendings, batch_size):
            if db is None:
                nodes = sum(p.neuron.n_nodes for p in work)
                done = _Written(len(work), 0, nodes, sum(p.neuron.n_relationships for p in work))
            else:
                done = _write_racing(db, work)
            summary.count(done, len(work))
            if on_batch is not None:
                on_batch(len(work), done.nodes + done.relationships)
    summary.seconds += time.perf_counter() - start


def ingest_graphs(
    db: Database,
    graphs: Iterable[NeuronGraph],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
) -> IngestSummary:
    """Load neuron graphs (already validated models) into `db`; see the module docstring.

    Raises N2GError when a graph holds a value the database cannot store.
    """
    if batch_size < 1:
        raise N2GError("batch size must be at least 1")
    summary = IngestSummary()

    def pendings() -> Iterator[_Pending]:
        for graph in graphs:
            summary.neurons_read += 1
            try:
                yield _pending(graph)
            except PropertyTypeError as exc:
                raise N2GError(f"neuron {graph.key}: {exc}") from None

    total = len(graphs) if isinstance(graphs, Sized) else None  # a list: a bar with an ETA
    _load(db, pendings(), summary, batch_size, progress, lambda: total)
    return summary


def _valid_lines(paths: Sequence[Path], summary: IngestSummary) -> Iterator[_Pending]:
    """Parse and check every line; bad ones go to summary.errors (file:line), the rest flow
    on; files without any graph line go to summary.empty_files."""
    for path in paths:
        lines_before = summary.neurons_read + len(summary.errors)
        for number, graph in iter_graph_file(path, errors=summary.errors):
            summary.neurons_read += 1
            try:
                yield _pending(graph)
            except PropertyTypeError as exc:
                summary.errors.append(GraphFileError(path, number, str(exc)))
        if summary.neurons_read + len(summary.errors) == lines_before:
            summary.empty_files.append(path)


def _count_lines(paths: Sequence[Path]) -> int:
    total = 0
    for path in paths:
        with open(path, "rb") as handle:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return total


class _progress:
    """A bar counting neurons, with nodes+relationships/s in its description."""

    def __init__(self, enabled: bool, total: int | None) -> None:
        self.enabled, self.total = enabled, total

    def __enter__(self) -> Callable[[int, int], None] | None:
        if not self.enabled:
            return None
        self._bar = make_progress("neurons")
        self._bar.__enter__()
        self._task = add_run_task(self._bar, "ingest", total=self.total)
        return self._advance

    def _advance(self, neurons: int, items: int) -> None:
        # the nodes and relationships written are in the summary lines; the bar keeps to
        # 80 columns with the count, rate, elapsed time and ETA
        self._bar.update(self._task, advance=neurons)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.enabled:
            if exc_type is None and self.total is not None:  # bad lines count as read too
                self._bar.update(self._task, completed=self.total)
            self._bar.__exit__(exc_type, exc, traceback)


def ingest_files(
    db: Database | None,
    paths: Sequence[Path | str],
    *,
    strict: bool = False,
    dry_run: bool = False,
    progress: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> IngestSummary:
    """Load graph files (JSON Lines) into `db`.

    Bad lines are listed in `summary.errors` as file:line and the rest load; with
    `strict`, any bad line means nothing loads. Files holding no graph line at all are
    listed in `summary.empty_files`. With `dry_run` the files are only
    validated (db may be None) and the summary counts what a clean load would create.
    """
    if batch_size < 1:
        raise N2GError("batch size must be at least 1")
    files = [Path(p) for p in paths]
    for path in files:
        if not path.is_file():
            raise N2GError(f"graph file not found: {path}")
    if db is None and not dry_run:
        raise N2GError("no database to load into")
    summary = IngestSummary(files=len(files), dry_run=dry_run)
    start = time.perf_counter()
    if strict and not dry_run:
        checked = IngestSummary()
        for _ in _valid_lines(files, checked):
            pass  # validate everything before writing anything
        if checked.errors:
            summary.neurons_read, summary.errors = checked.neurons_read, checked.errors
            summary.empty_files = checked.empty_files
            summary.seconds = time.perf_counter() - start
            return summary
    summary.seconds = time.perf_counter() - start  # the strict check's, if any
    target = None if dry_run else db
    lines = _valid_lines(files, summary)
    _load(target, lines, summary, batch_size, progress, lambda: _count_lines(files))
    return summary


def database_counts(db: Database) -> dict[str, int]:
    """Nodes per label and relationships per type (ingest/counts.cypher)."""
    return {k: int(v) for k, v in db.read(read_cypher("ingest", "counts"))[0].items()}


def clear_database(db: Database, batch: int = 10_000) -> int:
    """Delete every node and relationship in batches (the schema stays); return nodes deleted."""
    query = read_cypher("ingest", "clear_batch")
    total = 0
    while deleted := int(db.execute(query, {"limit": batch})[0]["deleted"]):
        total += deleted
    return total
