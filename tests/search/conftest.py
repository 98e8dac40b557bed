"""One database loaded once for the search tests (they only read, or replace similarity)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_files
from n2g.graph.file import dump_graph_line
from n2g.graph.model import NeuronGraph
from n2g.testing.handmade import folded_graphs, handmade_graphs, random_graphs


@pytest.fixture(scope="session")
def search_graphs() -> list[NeuronGraph]:
    return handmade_graphs() + folded_graphs() + random_graphs("rand", 150, seed=7)


@pytest.fixture(scope="session")
def graph_file(tmp_path_factory, search_graphs) -> Path:
    """The graphs as a real graph file (JSON Lines)."""
    path = tmp_path_factory.mktemp("graphs") / "graphs.jsonl"
    path.write_text("".join(dump_graph_line(g) + "\n" for g in search_graphs), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def search_db(db_config, graph_file) -> Iterator[Database]:
    """The database holding exactly the search graphs (loaded through n2g-ingest's code)."""
    database = Database.connect(db_config)
    try:
        clear_database(database)
        ingest_files(database, [graph_file])
        yield database
    finally:
        database.close()
