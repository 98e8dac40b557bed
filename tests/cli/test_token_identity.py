"""Distinct token ids never share a stored text: the whole SmolLM2 vocabulary in a store.

Before, 314 of SmolLM2's ids decoded to text holding '�' and shared a handful of
`(:Token {text})` nodes. Here every id is an activating token of one graph (real offline
tokenizer, real server, the CLI through CliRunner): the store holds 49,152 token texts,
each linked to the one trie node of its id, and `n2g search` finds a token by its
readable text and by its id.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.graph.model import NeuronGraph, NodeKind, TrieNode
from n2g.models import OFFLINE_MODEL, load_tokenizer

pytestmark = pytest.mark.slow
runner = CliRunner()
CHUNK = 4096  # token ids a graph


def _vocabulary_graphs(texts: list[str]) -> list[NeuronGraph]:
    """Graph g activates on ids g*CHUNK.. (g+1)*CHUNK - 1, each on its own path."""
    graphs = []
    for g, start in enumerate(range(0, len(texts), CHUNK)):
        nodes, edges = [], []
        for token_id in range(start, min(start + CHUNK, len(texts))):
            root = len(nodes)
            nodes.append(
                TrieNode(
                    id=root,
                    kind=NodeKind.ACTIVATING,
                    depth=0,
                    token=texts[token_id],
                    token_id=token_id,
                    activation=0.9,
                )
            )
            nodes.append(TrieNode(id=root + 1, kind=NodeKind.END, depth=1, activation=0.9))
            edges.append((root, root + 1))
        graphs.append(
            NeuronGraph(model=OFFLINE_MODEL, layer=0, neuron=g, a_max=1.0, nodes=nodes, edges=edges)
        )
    return graphs


@pytest.fixture(scope="module")
def vocabulary(db_config) -> tuple[list[str], list[str]]:
    """The texts of every id, loaded into the store; and the database flags."""
    texts = load_tokenizer(OFFLINE_MODEL).token_strings(range(49_152))
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, _vocabulary_graphs(texts))
    args = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    return texts, args + (["--database", db_config.database] if db_config.database else [])


def test_every_id_has_its_own_stored_text(db_config, vocabulary) -> None:
    texts, _ = vocabulary
    with Database.connect(db_config) as db:
        rows = db.read(
            "MATCH (n:Neuron)-[:TRIE_ROOT]->(a:Activating) "
            "MATCH (n)-[:ACTIVATES_ON]->(t:Token) WHERE t.text = a.token "
            "RETURN t.text AS text, collect(a.token_id) AS ids"
        )
        tokens = db.read("MATCH (t:Token) RETURN count(t) AS n")[0]["n"]
    assert tokens == len(rows) == 49_152
    assert {row["text"]: row["ids"] for row in rows} == {t: [i] for i, t in enumerate(texts)}


def _search(*args: str) -> list[str]:
    result = runner.invoke(app, ["search", *args, "--json", "--level", "0"])
    assert result.exit_code == 0, result.output
    return [row["key"] for row in json.loads(result.stdout)]


def test_search_by_readable_text_and_by_id(vocabulary) -> None:
    texts, args = vocabulary
    bytes_only = [i for i, text in enumerate(texts) if "<0x" in text]
    assert len(bytes_only) == 313  # the ids that decoded to '�' alone
    for token_id in [*bytes_only[::10], 13993, 5549, 0, 49_151]:
        key = f"{OFFLINE_MODEL}/0/{token_id // CHUNK}"
        assert _search(texts[token_id], *args) == [key], texts[token_id]
        assert _search("--token-id", str(token_id), "-m", OFFLINE_MODEL, *args) == [key]
    assert _search("<0xE2><0x84>", *args) == [f"{OFFLINE_MODEL}/0/3"]  # id 13993
    assert _search("\ufffd", *args) != _search(" <0xC3>", *args)


def test_token_id_errors_are_one_line(vocabulary) -> None:
    _, args = vocabulary
    for extra, message in [
        (["--token-id", "5"], "a token id needs a model"),
        (["x", "--token-id", "5", "-m", OFFLINE_MODEL], "not both"),
        (["--token-id", "49152", "-m", OFFLINE_MODEL], "outside the tokenizer's 0..49,151"),
    ]:
        result = runner.invoke(app, ["search", *extra, *args])
        assert result.exit_code != 0 and message in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1


def test_the_service_searches_by_token_id(db_config, vocabulary) -> None:
    """/api/search?token_id=ID&model=M finds what the text finds; bad ids are a 422 line."""
    from fastapi.testclient import TestClient

    from n2g.serve import create_app

    texts, _ = vocabulary
    with (
        Database.connect(db_config) as db,
        TestClient(create_app(db), base_url="http://127.0.0.1") as client,
    ):
        for token_id in (5549, 13993, 117):
            by_id = client.get(
                "/api/search", params={"token_id": token_id, "model": OFFLINE_MODEL, "level": 0}
            )
            by_text = client.get("/api/search", params={"token": texts[token_id], "level": 0})
            assert by_id.status_code == 200, by_id.text
            assert by_id.json()["hits"] == by_text.json()["hits"] != []
        for params, message in [
            ({"token_id": 5}, "a token id needs a model"),
            ({"token_id": 5, "token": "x", "model": OFFLINE_MODEL}, "not both"),
            ({"token_id": 49_152, "model": OFFLINE_MODEL}, "outside the tokenizer's"),
            ({"token_id": -1, "model": OFFLINE_MODEL}, "token_id"),
        ]:
            answer = client.get("/api/search", params=params)
            assert answer.status_code == 422 and message in answer.json()["error"], answer.text
