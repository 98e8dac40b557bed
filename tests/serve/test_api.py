"""The JSON API against a real database: every endpoint's answer, its errors, its limits."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from neo4j import GraphDatabase

from n2g.db.connection import Database, DatabaseConfig
from n2g.graph.model import NeuronGraph
from n2g.search import store
from n2g.serve import create_app
from n2g.serve.errors import INTERNAL_ERROR
from tests.serve.graphs import (
    DOTTED_KEY,
    EVERYONE_KEY,
    GROUP_MEMBERS,
    HOSTILE_KEY,
    HOSTILE_TOKENS,
    NO_EVIDENCE_KEY,
    SAE,
    SAE_KEY,
    SCRIPT,
    SLASHED_KEY,
    TRANSCODER,
    TRANSCODER_KEY,
)
from tests.serve.graphs import GRAPHS_BY_KEY as GRAPHS

LOCAL = "http://127.0.0.1"  # a Host the service answers to (n2g.serve.hosts)


def error_of(response, status: int) -> str:
    """The one-line error of a JSON error answer with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"]
    assert body["error"] and "\n" not in body["error"]
    assert "Traceback" not in body["error"]
    return body["error"]


def keys(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [hit["key"] for hit in response.json()["hits"]]


# -- models ---------------------------------------------------------------------------
def test_models_lists_units_layers_and_quality_means(client: TestClient) -> None:
    body = client.get("/api/models").json()
    models = {model["name"]: model for model in body["models"]}
    assert set(models) == {"hand", "other", "org/tiny", "../up"}
    hand = models["hand"]
    assert hand["units"] == sum(1 for g in GRAPHS.values() if g.model == "hand")
    assert hand["layers"] == [0, 1, 2, 3]
    assert hand["unit_sets"] == [SAE, TRANSCODER]
    rows = {(row["unit_set"], row["layer"]): row for row in hand["quality"]}
    layer0 = rows[(None, 0)]
    assert layer0["units"] == 3 and layer0["scored"] == 1  # only hand/0/0 is evaluated
    unscored = {"bigram": None}  # a scoring method these graphs were built without
    assert layer0["f1"] == {"n2g": 0.8, "token_lookup": 0.6, "ngram": 0.7} | unscored
    assert layer0["correlation"] == {"n2g": 0.8, "token_lookup": 0.6, "ngram": 0.7} | unscored
    assert (
        layer0["ood_false_positive_rate"]
        == {"n2g": 0.01, "token_lookup": 0.03, "ngram": 0.02} | unscored
    )
    layer2 = rows[(None, 2)]  # hand/2/5 (F1 0.4) and the hostile unit (0.6) are scored
    assert layer2["scored"] == 2 and layer2["f1"]["n2g"] == pytest.approx(0.5)
    assert layer2["f1"]["ngram"] == pytest.approx(0.5)
    assert rows[(None, 1)]["scored"] == 0 and rows[(None, 1)]["f1"]["n2g"] is None
    assert rows[(SAE, 1)]["units"] == 1 and rows[(TRANSCODER, 1)]["units"] == 1


# -- units ----------------------------------------------------------------------------
def test_unit_is_the_whole_graph_with_evidence(client: TestClient) -> None:
    body = client.get(f"/api/units/{EVERYONE_KEY}").json()
    assert body["key"] == EVERYONE_KEY
    graph = NeuronGraph.model_validate(body["graph"])
    assert graph == GRAPHS[EVERYONE_KEY]  # trie, evaluation, settings and evidence
    assert [e["split"] for e in body["graph"]["evidence"]] == ["train", "test"]
    assert body["graph"]["evidence"][1]["predicted"] == [0.0, 0.0, 0.9, 0.1]
    assert body["graph"]["evaluation"]["n2g"]["f1"] == 0.8
    assert body["neighbours"] == [] and body["groups"] == []


def test_every_unit_reads_back_as_loaded_and_as_the_search_api_reads_it(
    client: TestClient, serve_db: Database
) -> None:
    # the service reads a unit in one query of its own (queries/unit_view.cypher); it
    # must rebuild the very graph that was loaded, as n2g.search.store.read_graphs does
    from_store = store.read_graphs(serve_db, list(GRAPHS))
    for key, graph in GRAPHS.items():
        body = client.get("/api/units", params={"key": key}).json()
        assert NeuronGraph.model_validate(body["graph"]) == graph == from_store[key], key


def test_unit_without_evidence_has_an_empty_list(client: TestClient) -> None:
    body = client.get(f"/api/units/{NO_EVIDENCE_KEY}").json()
    assert body["graph"]["evidence"] == []
    assert body["graph"].get("evaluation") is None


def test_unit_lists_its_stored_neighbours_and_group(client: TestClient) -> None:
    body = client.get("/api/units/hand/1/10").json()
    relations = {n["key"]: n["relation"] for n in body["neighbours"]}
    assert relations == {
        "hand/3/11": "similar_to",
        "hand/2/12": "similar_to",
        "hand/0/13": "superset_of",  # hand/0/13's tokens lie inside hand/1/10's
    }
    # similar units first, the most similar first (hand/3/11 is identical)
    assert [n["key"] for n in body["neighbours"]] == ["hand/3/11", "hand/2/12", "hand/0/13"]
    group, *communities = body["groups"]  # the paper's group first, then its communities
    assert group["level"] == 0 and group["members"] == GROUP_MEMBERS and group["size"] == 3
    assert [c["level"] for c in communities] == sorted(c["level"] for c in communities)
    assert all("hand/1/10" in c["members"] and c["resolution"] > 0 for c in communities)
    assert communities and communities[0]["label"]
    subset = client.get("/api/units/hand/0/13").json()["neighbours"]
    assert {n["relation"] for n in subset} == {"subset_of"}


@pytest.mark.parametrize("key", [SAE_KEY, TRANSCODER_KEY, SLASHED_KEY])
def test_unit_keys_with_sae_names_and_slashed_models(client: TestClient, key: str) -> None:
    body = client.get(f"/api/units/{key}").json()
    assert NeuronGraph.model_validate(body["graph"]) == GRAPHS[key]


def test_a_key_a_path_cannot_carry_travels_as_a_query(client: TestClient) -> None:
    response = client.get("/api/units", params={"key": DOTTED_KEY})
    assert response.json()["key"] == DOTTED_KEY


def test_hostile_tokens_come_back_exactly(client: TestClient) -> None:
    body = client.get(f"/api/units/{HOSTILE_KEY}").json()
    tokens = {node["token"] for node in body["graph"]["nodes"] if node.get("token") is not None}
    assert tokens == set(HOSTILE_TOKENS)
    assert body["graph"]["evidence"][0]["tokens"] == ["a", *HOSTILE_TOKENS, "z"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/units/hand/9/9", 404),
        ("/api/units/nosuch/0/0", 404),
        ("/api/units/not-a-key", 422),
        ("/api/units/hand/x/1", 422),
        ("/api/units/hand/0/-1", 422),
        (f"/api/units/{SCRIPT}/0/1", 404),
        ("/api/nothing", 404),
    ],
)
def test_unit_errors_are_one_json_line(client: TestClient, path: str, status: int) -> None:
    error_of(client.get(path), status)


# -- search ---------------------------------------------------------------------------
def test_token_search_across_models_and_in_one(client: TestClient) -> None:
    found = keys(client.get("/api/search", params={"token": " everyone"}))
    assert set(found) == {"hand/0/0", "hand/1/3", "hand/2/5", "other/0/0"}
    assert found[0] in ("hand/0/0", "other/0/0")  # activation 0.9, strongest first
    in_hand = keys(client.get("/api/search", params={"token": " everyone", "model": "hand"}))
    assert set(in_hand) == {"hand/0/0", "hand/1/3", "hand/2/5"}
    layer1 = keys(client.get("/api/search", params={"token": " everyone", "layer": 1}))
    assert layer1 == ["hand/1/3"]
    assert keys(client.get("/api/search", params={"token": " everyone", "limit": 1})) == [found[0]]


def test_token_with_context_must_share_a_path(client: TestClient) -> None:
    response = client.get("/api/search", params={"token": " everyone", "context": " except"})
    assert set(keys(response)) == {"hand/0/0", "other/0/0"}  # not hand/2/5: other paths
    assert response.json()["hits"][0]["distance"] == 1
    assert set(keys(client.get("/api/search", params={"context": " loves"}))) == {
        "hand/1/3",
        "hand/2/5",
    }


def test_repeated_tokens(client: TestClient) -> None:
    body = client.get("/api/search", params={"repeated": "true", "model": "hand"}).json()
    by_key = {hit["key"]: hit for hit in body["hits"]}
    assert by_key["hand/1/4"]["tokens"] == ["b"]
    assert body["repeated"] is True


@pytest.mark.parametrize("token", HOSTILE_TOKENS)
def test_search_finds_hostile_tokens_exactly(client: TestClient, token: str) -> None:
    found = keys(client.get("/api/search", params={"token": token}))
    assert HOSTILE_KEY in found  # (hand/0/7 has "[/]" too)
    assert client.get("/api/search", params={"token": token + "x"}).json()["hits"] == []


def test_search_like_and_groups_take_the_token_level(client: TestClient) -> None:
    """hand/2/5's " nobody" path predicts 0.4: found only below the firing level."""
    search = client.get("/api/search", params={"token": " nobody"})
    assert search.json()["hits"] == [] and search.json()["level"] == 0.5
    lower = client.get("/api/search", params={"token": " nobody", "level": 0.3})
    assert keys(lower) == ["hand/2/5"] and lower.json()["level"] == 0.3
    like = client.get("/api/like", params={"key": "hand/1/3", "min_score": 0.9}).json()
    assert [h["key"] for h in like["hits"]] == ["hand/2/5"] and like["level"] == 0.5
    every = client.get("/api/like", params={"key": "hand/1/3", "min_score": 0.9, "level": 0})
    assert every.json()["hits"] == []  # with " nobody" after " except" they differ
    groups = client.get("/api/groups", params={"model": "hand", "token_level": 0}).json()
    assert groups["token_level"] == 0 and groups["groups"][0]["shared_context"] == [" ctx"]
    assert groups["group_level"] == 0  # the paper's groups, unless `level` asks another


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"token": "x", "level": "1.5"}, 422, "level"),
        ({"token": "x", "level": "-0.1"}, 422, "level"),
        ({"token": "x", "layer": "-1"}, 422, "layer"),
        ({"token": "x", "limit": "0"}, 422, "limit"),
        ({"token": "x", "limit": "abc"}, 422, "limit"),
        ({"token": "x", "limit": "100000"}, 422, "limit"),
        ({"token": "x", "layer": "1.5"}, 422, "layer"),
        ({"token": "x", "layer": "7"}, 422, "out of range"),
        ({}, 422, "give an activating token"),
        ({"token": "x", "repeated": "true"}, 422, "repeated"),
        ({"token": " everyone", "model": "nosuch"}, 404, "nosuch"),
    ],
)
def test_bad_search_parameters(client: TestClient, params: dict, status: int, words: str) -> None:
    assert words in error_of(client.get("/api/search", params=params), status)


# -- like -----------------------------------------------------------------------------
def test_like_a_unit(client: TestClient) -> None:
    response = client.get("/api/like", params={"key": "hand/1/10", "min_score": 0.9})
    assert keys(response) == ["hand/3/11", "hand/2/12"]
    hit = response.json()["hits"][1]
    assert hit["activating_overlap"] == pytest.approx(0.9) and hit["shared_context"] == [" ctx"]


def test_like_a_text_with_the_byte_tokenizer(client: TestClient) -> None:
    # hand/1/4 fires on "b" when "a" stands right before it and "b" three tokens before
    params = {"text": "bxab", "model": "hand", "tokenizer": "byte"}
    body = client.get("/api/like", params=params).json()
    match = body["text_match"]
    assert match["tokens"] == ["b", "x", "a", "b"]
    fired = {n["key"]: n["firing_tokens"] for n in match["neurons"]}
    assert fired == {"hand/1/4": [3]}


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"key": "hand/9/9"}, 404, "hand/9/9"),
        ({"key": "garbage"}, 422, "not MODEL/LAYER/INDEX"),
        ({}, 422, "key or a text"),
        ({"key": "hand/1/10", "text": "x"}, 422, "not both"),
        ({"text": "x"}, 422, "needs model"),
        ({"text": "x", "model": "nosuch", "tokenizer": "byte"}, 404, "nosuch"),
        ({"key": "hand/1/10", "min_score": "2"}, 422, "min_score"),
        ({"key": "hand/1/10", "model": "nosuch"}, 404, "nosuch"),
    ],
)
def test_bad_like_parameters(client: TestClient, params: dict, status: int, words: str) -> None:
    assert words in error_of(client.get("/api/like", params=params), status)


@pytest.mark.slow  # looking the name up among transformer_lens's models imports torch
def test_like_text_without_an_offline_tokenizer_is_a_clear_422(client: TestClient) -> None:
    message = error_of(client.get("/api/like", params={"text": "hi", "model": "hand"}), 422)
    assert message.startswith("no tokenizer for 'hand' on this machine")


# -- groups ---------------------------------------------------------------------------
def test_groups_with_members_and_shared_tokens(client: TestClient) -> None:
    body = client.get("/api/groups", params={"model": "hand"}).json()
    group, pair = body["groups"]  # the pair: alike at the firing level (n2g.graph.levels)
    assert pair["members"] == ["hand/1/3", "hand/2/5"] and pair["shared_context"] == [" loves"]
    assert group["members"] == GROUP_MEMBERS and group["layers"] == [1, 2, 3]
    assert group["shared_activating"] == [f" w{i}" for i in range(9)]
    assert group["shared_context"] == [" ctx"]
    assert client.get("/api/groups", params={"model": "other"}).json()["groups"] == []
    assert client.get("/api/groups", params={"min_size": 4}).json()["groups"] == []


@pytest.mark.parametrize(
    ("params", "status"), [({"model": "nosuch"}, 404), ({"min_size": 0}, 422), ({"limit": 0}, 422)]
)
def test_bad_group_parameters(client: TestClient, params: dict, status: int) -> None:
    error_of(client.get("/api/groups", params=params), status)


# -- the service as a whole -------------------------------------------------------------
def test_openapi_describes_every_endpoint(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = ("/api/models", "/api/units/{key}", "/api/search", "/api/like", "/api/splits")
    for path in (*paths, "/api/groups"):
        assert "get" in spec["paths"][path], path
    unit = spec["paths"]["/api/units/{key}"]["get"]["responses"]
    assert unit["200"]["content"]["application/json"]["schema"]["$ref"].endswith("UnitResponse")
    assert unit["404"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorResponse")
    assert "EvidenceExample" in spec["components"]["schemas"]
    assert not any(path.startswith("/units") for path in spec["paths"])  # pages: not API


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", [f"/api/units/{EVERYONE_KEY}", "/api/search", "/api/models"])
def test_nothing_writes(client: TestClient, method: str, path: str) -> None:
    before = client.get("/api/models").json()
    assert "only reads" in error_of(client.request(method, path), 405)
    assert client.get("/api/models").json() == before


def test_security_headers_on_every_answer(client: TestClient) -> None:
    for path in ("/api/models", "/api/units/hand/9/9", "/static/n2g.js", "/", "/nothing"):
        headers = client.get(path).headers
        assert headers["content-security-policy"].startswith("default-src 'self'"), path
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff", path


def test_an_unexpected_failure_is_a_500_without_its_details(serve_db: Database) -> None:
    app = create_app(serve_db)

    def broken() -> None:
        raise RuntimeError("secret detail of the failure")

    app.add_api_route("/api/broken", broken)
    app.add_api_route("/broken", broken)
    with TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as client:
        assert error_of(client.get("/api/broken"), 500) == INTERNAL_ERROR
        page = client.get("/broken")
        assert page.status_code == 500 and "text/html" in page.headers["content-type"]
        assert "secret" not in page.text and INTERNAL_ERROR in page.text
        assert page.headers["x-content-type-options"] == "nosniff"


def test_a_database_that_does_not_answer_is_a_503() -> None:
    config = DatabaseConfig(uri="bolt://127.0.0.1:9", password="pw-never-shown")
    db = Database(config, GraphDatabase.driver(config.uri, auth=("u", config.password)))
    try:
        with TestClient(create_app(db), base_url=LOCAL) as client:
            message = error_of(client.get(f"/api/units/{EVERYONE_KEY}"), 503)
            assert "no database answers" in message and "pw-never-shown" not in message
            page = client.get("/")
            assert page.status_code == 503 and "no database answers" in page.text
    finally:
        db.close()


def test_answers_are_cached_so_a_repeat_needs_no_database(db_config, serve_db) -> None:
    db = Database.connect(db_config)
    app: FastAPI = create_app(db)
    with TestClient(app, base_url=LOCAL) as client:
        first = client.get(f"/api/units/{EVERYONE_KEY}").json()
        page = client.get(f"/units/{EVERYONE_KEY}").text
        db.close()  # from now on every query fails
        assert client.get(f"/api/units/{EVERYONE_KEY}").json() == first
        assert client.get(f"/units/{EVERYONE_KEY}").text == page
        assert client.get("/api/units/hand/1/3").status_code == 503  # not cached: asks


def test_answers_are_kept_and_sent_compressed_to_clients_that_accept_it(
    client: TestClient,
) -> None:
    url = f"/api/units/{EVERYONE_KEY}"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["content-length"]) < len(plain.content)
    assert packed.json() == plain.json()  # httpx inflates it
    small = client.get("/api/units/hand/9/9", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # errors: built per request


def test_a_unit_and_its_search_hits_carry_its_label(client: TestClient) -> None:
    from n2g.graph.label import unit_label
    from tests.serve.graphs import serve_graphs

    graph = next(g for g in serve_graphs() if g.key == HOSTILE_KEY)
    assert client.get(f"/api/units/{HOSTILE_KEY}").json()["label"] == unit_label(graph)
    hits = client.get("/api/search", params={"token": HOSTILE_TOKENS[0]}).json()["hits"]
    assert unit_label(graph) in {hit["label"] for hit in hits}
