"""Bolt messages stay under ArcadeDB's 16 MiB limit, measured in encoded bytes.

ArcadeDB refuses a Bolt message over 16 MiB ("BOLT message too large") and then answers
nothing on that connection while still answering handshakes, so neither the driver nor the
watchdog ends the wait. These tests load graphs whose evidence is emoji (4 UTF-8 bytes a
character, where a count of characters sees a quarter of the size) through the real
`n2g ingest`, in a subprocess with a time limit, so a hang fails the test instead of hanging
the suite. Sizes are of the graph's row as the driver's own PackStream packer encodes it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from neo4j._codec.packstream._common import PackableBuffer  # the driver's own encoder
from neo4j._codec.packstream.v1 import Packer

from n2g.db.ingest import database_counts
from n2g.db.mapping import neuron_row
from n2g.db.properties import packed_size
from n2g.graph.file import dump_graph_line
from n2g.graph.model import EvidenceExample, NeuronGraph
from n2g.testing.synthetic import synthetic_graphs

MB = 1_000_000
TOKENS_PER_EXAMPLE = 200
HANG_LIMIT_S = 300  # far above a working load (seconds); only a hang reaches it


def _packed(value: object) -> int:
    """Bytes the driver's PackStream encoder writes for `value`."""
    buffer = PackableBuffer()
    Packer(buffer).pack(value)
    return len(buffer.data)


def _emoji_example(rank: int) -> EvidenceExample:
    emoji = "🧠🔥🦀😀🌍"
    tokens = [emoji[(rank + i) % 5] * 40 + f" {i}" for i in range(TOKENS_PER_EXAMPLE)]
    return EvidenceExample(
        split="train",
        rank=rank,
        start=0,
        tokens=tokens,
        activations=[0.5] * TOKENS_PER_EXAMPLE,
        predicted=[0.25] * TOKENS_PER_EXAMPLE,
    )


def _emoji_graph(base: NeuronGraph, encoded_bytes: int) -> NeuronGraph:
    """`base` with emoji evidence, its row about `encoded_bytes` as the driver encodes it."""

    def with_examples(n: int) -> NeuronGraph:
        return base.model_copy(update={"evidence": [_emoji_example(r) for r in range(n)]})

    one, two = (_packed(neuron_row(with_examples(n)).row) for n in (1, 2))
    n = max(1, round((encoded_bytes - one) / (two - one)) + 1)
    return with_examples(n)


def _ingest(path: Path, db_config) -> subprocess.CompletedProcess[str]:
    """`n2g ingest path` in a subprocess; fails the test if it does not end in time."""
    env = {**os.environ, "N2G_PASSWORD": db_config.password, "N2G_USER": db_config.user}
    command = [sys.executable, "-m", "n2g", "ingest", str(path), "--uri", db_config.uri]
    command += ["--quiet", *(["--database", db_config.database] if db_config.database else [])]
    try:
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=HANG_LIMIT_S
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"n2g ingest still waiting after {HANG_LIMIT_S} s: a message was refused")


def _file(tmp_path: Path, graphs: list[NeuronGraph]) -> Path:
    path = tmp_path / "graphs.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for graph in graphs:
            handle.write(dump_graph_line(graph) + "\n")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("size_mb", [17, 21])
def test_an_emoji_graph_past_16_mib_is_a_bad_line_and_the_others_load(
    db, db_config, tmp_path, size_mb
):
    """Sent, a 17 MB message left the ingest waiting for ever; a 21 MB one ended it with an
    error about the garbage the server read after refusing it."""
    small = list(synthetic_graphs(3, seed=11))
    huge = _emoji_graph(small[1], size_mb * MB)
    assert _packed(neuron_row(huge).row) > 2**24
    assert len(neuron_row(huge).row["props"]["graph"]) < 2**22  # characters: a quarter
    path = _file(tmp_path, [small[0], huge, small[2]])
    result = _ingest(path, db_config)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}:2: " in result.stderr and "MiB in one database message" in result.stderr
    assert "1 bad line(s); the other lines were loaded" in result.stderr
    assert "Traceback" not in result.stderr
    assert database_counts(db)["neurons"] == 2


@pytest.mark.slow
def test_small_emoji_graphs_then_a_14_mb_one_all_load(db, db_config, tmp_path):
    """30 graphs of 250 KB and one of 14 MB: together past 16 MiB, so the batch must be
    sent before the large graph joins it."""
    bases = list(synthetic_graphs(31, seed=12))
    graphs = [_emoji_graph(g, 250_000) for g in bases[:30]]
    graphs.append(_emoji_graph(bases[30], 14 * MB))
    total = sum(_packed(neuron_row(g).row) for g in graphs)
    assert total > 2**24 and _packed(neuron_row(graphs[-1]).row) > 13 * MB
    result = _ingest(_file(tmp_path, graphs), db_config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "wrote 31 neuron(s)" in result.stdout
    assert database_counts(db)["neurons"] == 31
    examples = sum(len(g.evidence) for g in graphs)
    assert database_counts(db)["examples"] == examples


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -16,
        -17,
        127,
        128,
        -129,
        2**15,
        -(2**31) - 1,
        2**40,
        1.5,
        "",
        "a" * 15,
        "a" * 16,
        "é" * 200,
        "🧠" * 64,
        "🧠" * 16_384,
        "x" * 70_000,
        list(range(15)),
        list(range(16)),
        ["🦀"] * 300,
        [0.25] * 70_000,
        {"k" * 20: ["v"], "🔥": {"nested": [1, 2.0, "three"]}},
        {str(i): i for i in range(300)},
    ],
)
def test_packed_size_is_exactly_what_the_driver_writes(value):
    assert packed_size(value) == _packed(value)


def test_a_row_of_emoji_evidence_is_measured_exactly():
    graph = _emoji_graph(next(synthetic_graphs(1, seed=13)), 300_000)
    row = neuron_row(graph)
    assert row.encoded_bytes == _packed(row.row)


def test_list_parameters_are_split_into_messages_that_fit():
    """Every statement's list goes out in runs under the byte bound and the server's entry
    bound; a value that fits no message is refused before anything is sent."""
    from n2g.db.messages import chunks as _chunks
    from n2g.db.properties import MAX_ELEMENTS
    from n2g.errors import N2GError

    texts = ["🧠" * n for n in range(1, 200)]
    sizes = [packed_size(t) for t in texts]
    runs = list(_chunks(texts, sizes, 1_000))
    assert [t for run in runs for t in run] == texts
    assert all(_packed(run) - 3 <= 1_000 for run in runs) and len(runs) > 10
    many = list(_chunks(range(MAX_ELEMENTS + 5), [1] * (MAX_ELEMENTS + 5), 2**30))
    assert [len(run) for run in many] == [MAX_ELEMENTS, 5]
    with pytest.raises(N2GError, match="cannot go in one database message"):
        list(_chunks(["a", "x" * 2_000], [2, 2_003], 1_000))


def test_group_writes_past_16_mib_are_split_and_stored(db):
    """Groups whose member lists together pass 16 MiB in one batch (they used to go out as
    one statement: the server refused it and the write hung). Run in a thread so that a
    hang fails the test instead of the suite."""
    import threading

    from n2g.search.groups import NeuronGroupRow
    from n2g.search.store import write_similarity

    members = [f"m/0/{i}-" + "x" * 200 for i in range(30_000)]  # ~6.2 MiB a group
    groups = [
        NeuronGroupRow(
            key=f"m:group:{g}",
            model="m",
            size=len(members),
            layers=[0],
            threshold=0.9,
            members=members,
        )
        for g in range(3)
    ]
    assert _packed([g.as_row() for g in groups]) > 16 * 2**20
    failure: list[BaseException] = []

    def write() -> None:
        try:
            write_similarity(db, ["m"], "m", [], groups)
        except BaseException as exc:  # reported below
            failure.append(exc)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    writer.join(timeout=240)
    assert not writer.is_alive(), "the group write hung"
    assert not failure, failure
    stored = db.read("MATCH (g:Group) RETURN g.key AS key, g.size AS size ORDER BY key")
    assert stored == [{"key": f"m:group:{g}", "size": 30_000} for g in range(3)]
