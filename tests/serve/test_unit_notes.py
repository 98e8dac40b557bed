"""The unit page's evidence counts and grouped snippets (identical windows shown once) and
its similarity note (not computed for the model, or computed and none at the threshold),
through the real server."""

from __future__ import annotations

from fastapi.testclient import TestClient

from n2g.search import NeuronSearch
from n2g.serve import create_app
from tests.serve.conftest import LOCAL
from tests.serve.graphs import EVERYONE_KEY, GRAPHS_BY_KEY, REPEATED_EVIDENCE_KEY
from tests.serve.test_pages import assert_inert, page


def test_identical_snippets_are_shown_once_with_their_count(client: TestClient) -> None:
    text = page(client, f"/units/{REPEATED_EVIDENCE_KEY}")
    assert text.count('class="example"') == 2  # 4 windows, 2 distinct snippets
    assert text.count('data-count="3"') == 1 and text.count('data-count="1"') == 1
    assert ">×3</span>" in text
    assert 'title="3 windows read so (2 train, 1 test): ranks 0, 2, 3"' in text
    assert "4 windows: 3 train (the graph was built from these)" in text
    assert "and 1 test (it was scored on these)" in text
    assert "They hold 2 distinct snippets" in text
    n_paths = GRAPHS_BY_KEY[REPEATED_EVIDENCE_KEY].n_examples
    assert f"trie built from {n_paths} paths (its train windows pruned" in text
    assert_inert(text)


def test_distinct_snippets_carry_no_count(client: TestClient) -> None:
    text = page(client, f"/units/{EVERYONE_KEY}")
    assert text.count('class="example"') == 2 and "×" not in text
    assert "distinct snippets" not in text
    assert "2 windows: 1 train" in text


def test_the_similarity_note_says_which_case(client: TestClient) -> None:
    # similarity was computed for "hand" only (conftest), at the default threshold 0.9
    text = page(client, "/units/hand/3/14")  # an empty graph: in no pair
    assert 'id="similarity-note">No similar unit at threshold 0.9:' in text
    assert 'ran on <span class="key">hand</span>' in text
    text = page(client, "/units/other/0/0")
    assert 'Similarity has not been computed for <span class="key">other</span>' in text
    assert "n2g similar -m other" in text
    text = page(client, "/units/hand/1/10")  # has similar units
    stored = 'Stored by <code>n2g similar</code> on <span class="key">hand</span> at threshold 0.9'
    assert stored in text


def test_the_api_says_which_similarity_run_is_recorded(client: TestClient) -> None:
    body = client.get("/api/units/hand/1/3").json()
    assert body["similarity_run"] == {"threshold": 0.9, "level": 0.5, "scope": "hand"}
    assert client.get("/api/units/other/0/0").json()["similarity_run"] is None


def test_a_new_run_is_recorded_with_its_threshold(serve_db) -> None:
    """Rerun on 'other' at 0.95 and read it through a fresh app (its own caches)."""
    from n2g.search.similarity import SimilarityConfig

    try:
        NeuronSearch(serve_db).compute_similarity(["other"], SimilarityConfig(threshold=0.95))
        with TestClient(create_app(serve_db), base_url=LOCAL) as fresh:
            text = page(fresh, "/units/other/0/0")
            assert 'id="similarity-note">No similar unit at threshold 0.95:' in text
    finally:  # leave "other" as the module's other tests expect it: never compared
        serve_db.write(
            lambda tx: tx.run(
                "MATCH (m:Model) WHERE m.name = 'other' "
                "REMOVE m.similarity_threshold, m.similarity_level, m.similarity_scope"
            ).consume()
        )
