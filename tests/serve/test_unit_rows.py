"""Units read many at a time (queries/unit_views.cypher, what warming reads) are the very
views a request reads one at a time, neighbours and groups included (the real database
holding the serve graphs, similarity and groups)."""

from __future__ import annotations

from n2g.db.connection import Database
from n2g.serve.unit_rows import read_unit_rows
from n2g.serve.views import Views
from tests.serve.graphs import GRAPHS_BY_KEY as GRAPHS


def test_a_batch_reads_the_same_views_as_one_by_one(serve_db: Database) -> None:
    keys = sorted(GRAPHS)
    batched = Views(serve_db)
    batched.prefetch_units([*keys, "hand/1/99"])  # one key not stored: no row, no error
    alone = Views(serve_db)
    assert any(alone.unit(key).neighbours for key in keys)  # the comparison covers them
    assert any(alone.unit(key).groups for key in keys)
    for key in keys:
        kept = batched._units.fresh(key)
        assert kept is not None, key
        assert kept == alone.unit(key)


def test_keys_not_stored_give_no_rows(serve_db: Database) -> None:
    assert read_unit_rows(serve_db, ["hand/1/99", "nobody/0/0"]) == {}
