"""The one-import Python API (n2g.api) against the real test server, as a user calls it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import n2g
import n2g.api
from n2g.testing.handmade import handmade_graphs


def test_import_n2g_is_light_and_every_name_resolves() -> None:
    code = (
        "import sys, n2g\n"
        "assert [m for m in sys.modules if m.startswith('n2g')] == ['n2g'], sys.modules\n"
        "for name in n2g.__all__: getattr(n2g, name)\n"
        "from n2g import connect, build_graph, read_graphs, write_graphs, Store\n"
        "heavy = {'torch', 'transformers', 'transformer_lens'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = n2g.nothing  # type: ignore[attr-defined]


def test_graph_files_round_trip_and_bad_lines(tmp_path: Path) -> None:
    graphs = handmade_graphs()
    path = tmp_path / "graphs.jsonl"
    assert n2g.write_graphs(path, graphs) == len(graphs)
    assert list(n2g.read_graphs(path)) == graphs
    with path.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    errors: list[n2g.GraphFileError] = []
    assert list(n2g.read_graphs(str(path), errors=errors)) == graphs
    assert len(errors) == 1 and f":{len(graphs) + 1}" in str(errors[0])
    with pytest.raises(n2g.GraphFileError):
        list(n2g.read_graphs(path))
    with pytest.raises(n2g.N2GError, match="graph file not found"):
        list(n2g.read_graphs(tmp_path / "none.jsonl"))


def test_connect_by_flags_search_similar_and_groups(db, db_config) -> None:
    flags = {"user": db_config.user, "password": db_config.password}
    with n2g.connect(db_config.uri, database=db_config.database, **flags) as store:
        assert store.config.uri == db_config.uri
        summary = store.ingest(handmade_graphs())
        assert summary.neurons_written == len(handmade_graphs())
        keys = [h.key for h in store.token_search(" everyone", " except", model="hand")]
        assert keys == ["hand/0/0"]
        assert "hand/0/0" in [h.key for h in store.like("other/0/0", min_score=0.5)]
        report = store.similar(["hand", "other"])
        assert report.similar_pairs >= 1
        assert store.pairs("hand") == store.similar_pairs("hand")
        assert store.groups(model="hand+other") == store.groups(model="hand+other", level=0)
        assert store.neuron_graph("hand/0/0") == handmade_graphs()[0]


def test_connect_from_variables_and_config(db, db_config, monkeypatch) -> None:
    monkeypatch.setenv("N2G_URI", db_config.uri)
    monkeypatch.setenv("N2G_USER", db_config.user)
    monkeypatch.setenv("N2G_PASSWORD", db_config.password)
    if db_config.database:
        monkeypatch.setenv("N2G_DATABASE", db_config.database)
    with n2g.connect() as store:
        assert store.models() == {}
    with n2g.connect(config=db_config) as store:
        assert store.models() == {}


def test_bad_address_is_one_line_error() -> None:
    with pytest.raises(n2g.N2GError, match="bad database URI 'http://x'"):
        n2g.connect("http://x")
