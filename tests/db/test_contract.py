"""The storage contract: schema, ingest, idempotence, replacement, bad input, odd tokens.

Runs against the session's local ArcadeDB server, and (opt-in, `-m neo4j`) against a real
Neo4j at N2G_TEST_NEO4J_URI (N2G_TEST_NEO4J_USER, N2G_TEST_NEO4J_PASSWORD,
N2G_TEST_NEO4J_DATABASE), so both servers are held to the same behaviour.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from n2g.db.connection import Database, DatabaseConfig
from n2g.db.ingest import clear_database, database_counts, ingest_files, ingest_graphs
from n2g.db.schema import apply_schema, schema_statements
from n2g.graph.file import dump_graph_line
from n2g.resources import read_cypher


@pytest.fixture(params=["local", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request, db_config) -> Iterator[Database]:
    """An empty database with the schema: the session's server, or a real Neo4j."""
    if request.param == "local":
        config = db_config
    else:
        uri = os.environ.get("N2G_TEST_NEO4J_URI")
        if not uri:
            pytest.skip("set N2G_TEST_NEO4J_URI to run the contract suite against Neo4j")
        config = DatabaseConfig(
            uri=uri,
            user=os.environ.get("N2G_TEST_NEO4J_USER", "neo4j"),
            password=os.environ.get("N2G_TEST_NEO4J_PASSWORD", ""),
            database=os.environ.get("N2G_TEST_NEO4J_DATABASE") or None,
        )
    database = Database.connect(config)
    try:
        apply_schema(database)
        clear_database(database)
        yield database
    finally:
        database.close()


def write_lines(path, lines: list[str]):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_schema_is_idempotent_and_enforces_unique_keys(store):
    assert apply_schema(store) == len(schema_statements())
    assert apply_schema(store) == len(schema_statements())  # IF NOT EXISTS: no error
    store.execute("CREATE (:Neuron {key: $key})", {"key": "m/0/0"})
    with pytest.raises(Exception, match="(?i)key|constraint|unique|duplicat"):
        store.execute("CREATE (:Neuron {key: $key})", {"key": "m/0/0"})


def test_ingest_stores_the_property_graph(store, graph_factory):
    graph = graph_factory(7, ["dog", "cat"], ["the", "big"], layer=1)
    summary = ingest_graphs(store, [graph])
    counts = database_counts(store)
    assert summary.neurons_written == 1
    assert counts["neurons"] == 1 and counts["models"] == 1 and counts["has_neuron"] == 1
    assert counts["activating"] == 2 and counts["context"] == 4
    assert counts["ignore"] == 2 and counts["end_nodes"] == 2
    assert counts["trie_root"] == 2 and counts["next"] == len(graph.edges)
    assert counts["tokens"] == 4 and counts["activates_on"] == 2 and counts["has_context"] == 2
    assert summary.nodes_created == 1 + len(graph.nodes)
    total_rels = sum(
        counts[k] for k in ("has_neuron", "trie_root", "next", "activates_on", "has_context")
    )
    assert summary.relationships_created == total_rels
    neuron = store.read(
        "MATCH (n:Neuron {key: $key}) RETURN properties(n) AS p", {"key": "tiny/1/7"}
    )[0]["p"]
    assert (neuron["model"], neuron["layer"], neuron["index"]) == ("tiny", 1, 7)
    assert neuron["a_max"] == 2.5 and neuron["f1"] == 0.8 and neuron["precision"] == 0.7
    assert neuron["token_lookup_f1"] == 0.5 and neuron["n_test_firing"] == 3
    assert neuron["n_nodes"] == len(graph.nodes) and "ngram_f1" not in neuron
    assert neuron["n_activating_tokens"] == 2 and neuron["n_context_tokens"] == 2
    # The paper's order: activating token, then the context backwards, then the end.
    paths = store.read(
        "MATCH (:Neuron {key: $key})-[:TRIE_ROOT]->(a:Activating)-[:NEXT]->(c1:Context)"
        "-[:NEXT]->(c2:Context)-[:NEXT]->(:Ignore)-[:NEXT]->(e:End) "
        "RETURN a.token AS a, c1.token AS c1, c2.token AS c2, e.activation AS e ORDER BY a",
        {"key": "tiny/1/7"},
    )
    assert paths == [
        {"a": "cat", "c1": "the", "c2": "big", "e": 0.9},
        {"a": "dog", "c1": "the", "c2": "big", "e": 0.9},
    ]
    keys = store.read("MATCH (t:End) RETURN t.key AS k ORDER BY k")
    assert [r["k"] for r in keys] == ["tiny/1/7#4", "tiny/1/7#9"]


def test_loading_twice_gives_the_same_counts(store, graph_factory, tmp_path):
    graphs = [graph_factory(i, ["a", f"t{i}"], ["x", "y"]) for i in range(30)]
    path = write_lines(tmp_path / "g.jsonl", [dump_graph_line(g) for g in graphs])
    first = ingest_files(store, [path], progress=False, batch_size=7)
    counts = database_counts(store)
    second = ingest_files(store, [path], progress=False, batch_size=7)
    assert database_counts(store) == counts
    assert first.neurons_written == 30 and second.neurons_written == 0
    assert second.neurons_unchanged == 30


def test_a_rebuilt_neuron_is_replaced_whole(store, graph_factory):
    ingest_graphs(
        store,
        [graph_factory(1, ["old", "gone"], ["c1", "c2", "c3"]), graph_factory(2, ["old"], ["c1"])],
    )
    summary = ingest_graphs(store, [graph_factory(1, ["new"], ["c1"])])
    assert summary.neurons_replaced == 1
    replaced = database_counts(store)
    clear_database(store)
    ingest_graphs(store, [graph_factory(1, ["new"], ["c1"]), graph_factory(2, ["old"], ["c1"])])
    assert replaced == database_counts(store)  # no stale trie nodes, edges or tokens
    tokens = store.read(
        "MATCH (:Neuron {key: $key})-[:ACTIVATES_ON]->(t) RETURN t.text AS t", {"key": "tiny/0/1"}
    )
    assert tokens == [{"t": "new"}]
    sizes = store.read(
        "MATCH (n:Neuron {key: $key}) RETURN n.n_activating_tokens AS a, n.n_context_tokens AS c",
        {"key": "tiny/0/1"},
    )
    assert sizes == [{"a": 1, "c": 1}]  # the set sizes describe the new graph


def test_last_graph_of_a_neuron_wins(store, graph_factory, tmp_path):
    path = write_lines(
        tmp_path / "g.jsonl",
        [
            dump_graph_line(graph_factory(1, ["first"], [])),
            dump_graph_line(graph_factory(1, ["second"], [])),
        ],
    )
    ingest_files(store, [path], progress=False)
    rows = store.read("MATCH (a:Activating) RETURN a.token AS t")
    assert rows == [{"t": "second"}]


ODD_TOKENS = [
    '"',
    "'",
    "\\",
    "a\"b'c\\d",
    "é漢字🙂",
    "\n",
    "two\nlines",
    "\t",
    " ",
    "",
    "MATCH (n) DETACH DELETE n",
    "$rows",
    "$texts",
    "$keys",
    "$names",
    "$t",
    "}{",
    "`x`",
    "//",
    "';--",
    "\\u0041",
]


def test_odd_tokens_are_stored_and_found_exactly(store, graph_factory):
    ingest_graphs(
        store, [graph_factory(i, [tok], [tok, "ctx"]) for i, tok in enumerate(ODD_TOKENS)]
    )
    for i, token in enumerate(ODD_TOKENS):
        found = store.read(
            "MATCH (n:Neuron)-[:ACTIVATES_ON]->(:Token {text: $text}) RETURN n.index AS i",
            {"text": token},
        )
        assert found == [{"i": i}], repr(token)
        stored = store.read(
            "MATCH (a:Activating {neuron: $key}) RETURN a.token AS t", {"key": f"tiny/0/{i}"}
        )
        assert stored == [{"t": token}], repr(token)
    assert database_counts(store)["tokens"] == len(ODD_TOKENS) + 1


def test_bad_lines_are_reported_and_the_rest_load(store, graph_factory, tmp_path):
    good = [dump_graph_line(graph_factory(i, ["a"], ["b"])) for i in range(3)]
    huge_id = (
        good[0].replace('"token_id":0', f'"token_id":{2**70}').replace('"neuron":0', '"neuron":9')
    )
    wrong_type = good[1].replace('"layer":0', '"layer":"zero"')
    nested = good[2].replace('"token":"a"', '"token":[["a"]]')
    path = write_lines(
        tmp_path / "g.jsonl", [good[0], "{not json", wrong_type, good[1], nested, huge_id, good[2]]
    )
    summary = ingest_files(store, [path], progress=False)
    assert [(e.path, e.line_number) for e in summary.errors] == [
        (str(path), 2),
        (str(path), 3),
        (str(path), 5),
        (str(path), 6),
    ]
    assert "64 bits" in summary.errors[3].reason
    assert database_counts(store)["neurons"] == 3


def test_strict_loads_nothing_when_a_line_is_bad(store, graph_factory, tmp_path):
    path = write_lines(
        tmp_path / "g.jsonl", [dump_graph_line(graph_factory(1, ["a"], [])), "[1, 2]"]
    )
    summary = ingest_files(store, [path], strict=True, progress=False)
    assert len(summary.errors) == 1 and summary.neurons_written == 0
    assert database_counts(store)["neurons"] == 0


def test_dry_run_validates_only(store, graph_factory, tmp_path):
    path = write_lines(tmp_path / "g.jsonl", [dump_graph_line(graph_factory(1, ["a"], ["b"]))])
    summary = ingest_files(None, [path], dry_run=True, progress=False)
    assert summary.neurons_written == 1 and summary.nodes_created > 0
    assert database_counts(store)["neurons"] == 0


def test_counts_query_matches_a_plain_count(store, graph_factory):
    ingest_graphs(store, [graph_factory(i, ["a", "b"], ["c"]) for i in range(5)])
    plain = store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    counts = database_counts(store)
    labels = ("models", "neurons", "activating", "context", "ignore", "end_nodes", "tokens")
    assert plain == sum(counts[k] for k in labels)
    assert read_cypher("ingest", "counts").startswith("RETURN")
