"""The unit page's "test your text" box and /api/unit/{key}/activations, through the real
app over a real database: the graph's prediction always, the unit's true activation from
a tiny model built in code when the service may load models (checked against a direct
forward pass), one error line for bad input, hostile text escaped."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.graph.model import NeuronGraph
from n2g.graph.predict import NeuronTrie
from n2g.models.tiny import tiny_model
from n2g.models.tokenizers import ByteTokenizer
from n2g.serve import create_app
from n2g.serve.unit_text import LATENTS, NOT_LIVE
from n2g.serve.views import MAX_TEXT
from n2g.testing.handmade import make_graph
from tests.serve.conftest import LOCAL
from tests.serve.graphs import DOTTED_KEY, EVERYONE_KEY, SAE_KEY, SCRIPT, serve_graphs

TINY = "tiny-gelu-1l-s0"  # n2g.models loads it by this name: built in code, no download
TINY_KEY = f"{TINY}/0/5"
TEXT = "every vex, ever"


def tiny_graph() -> NeuronGraph:
    """A graph for neuron 5 of the tiny model: 'e' after 'v' (0.9), 'x' alone (0.5)."""
    return make_graph(TINY, 0, 5, [("e", ["v"], 0.9), ("x", [], 0.5)], a_max=2.0)


@pytest.fixture(scope="module")
def text_db(db_config) -> Iterator[Database]:
    database = Database.connect(db_config)
    try:
        clear_database(database)
        ingest_graphs(database, [*serve_graphs(), tiny_graph()])
        yield database
    finally:
        database.close()


@pytest.fixture(scope="module")
def app(text_db) -> FastAPI:
    """The service as `n2g serve --live-model` runs it (conftest's live_server serves it)."""
    return create_app(text_db, live_model=True)


@pytest.fixture(scope="module")
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url=LOCAL) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def plain(text_db) -> Iterator[TestClient]:
    """The default service: no model is ever loaded."""
    with TestClient(create_app(text_db), base_url=LOCAL) as test_client:
        yield test_client


def api(key: str, **params: str) -> str:
    return f"/api/unit/{key}/activations?{urlencode(params)}"


def direct_activations(text: str) -> np.ndarray:
    """Neuron 5's activations on the text, by a forward pass of the same tiny model."""
    model = tiny_model(n_layers=1, act_fn="gelu", seed=0)
    return model.unit_activations([ByteTokenizer().encode(text)], [0])[0][0, :, 5].numpy()


def test_prediction_without_a_live_model(plain: TestClient) -> None:
    answer = plain.get(api(TINY_KEY, text=TEXT))
    assert answer.status_code == 200
    run = answer.json()
    assert run["tokens"] == list(TEXT) and run["token_ids"] == list(TEXT.encode())
    expected = NeuronTrie.from_graph(tiny_graph()).predict(run["token_ids"])
    assert run["predicted"] == pytest.approx(expected.tolist())
    # 'e' after 'v' (positions 2, 7, 13) and the 'x' (8) are what the graph knows
    assert [i for i, v in enumerate(run["predicted"]) if v > 0] == [2, 7, 8, 13]
    assert run["live"] is False and run["true"] is None and run["correlation"] is None
    assert run["note"] == NOT_LIVE


def test_true_activation_matches_a_forward_pass(client: TestClient) -> None:
    run = client.get(api(TINY_KEY, text=TEXT)).json()
    assert run["live"] is True and run["note"] is None
    direct = direct_activations(TEXT)
    assert run["true"] == pytest.approx(direct.tolist(), abs=1e-6)
    assert run["true_normalised"] == pytest.approx((direct / 2.0).tolist(), abs=1e-6)
    r = np.corrcoef(run["predicted"], direct)[0, 1]
    assert run["correlation"] == pytest.approx(float(r), abs=1e-6)


def test_the_page_shows_both_rows_coloured_as_the_examples(client: TestClient) -> None:
    page = client.get(f"/units/{TINY_KEY}?{urlencode({'text': TEXT})}")
    assert page.status_code == 200
    html = page.text
    assert 'id="text-predicted"' in html and 'id="text-true"' in html
    assert "Prediction and truth correlate r = " in html
    predicted = html.split('id="text-predicted">', 1)[1].split("</span></div>", 1)[0]
    assert predicted.count('class="tok"') == len(TEXT)
    assert 'data-level="5"' in predicted  # the 'x': 0.5
    assert 'data-level="9"' in predicted  # 'e' after 'v': 0.9
    assert f'value="{TEXT}"' in html  # the box keeps the text: the URL can be shared


def test_without_a_live_model_the_page_says_how(plain: TestClient) -> None:
    html = plain.get(f"/units/{TINY_KEY}?text=vex").text
    assert 'id="text-predicted"' in html and 'id="text-true"' not in html
    assert "--live-model" in html
    assert "--live-model" in plain.get(f"/units/{TINY_KEY}").text  # before any text, too


@pytest.mark.parametrize(
    ("key", "note"),
    [(EVERYONE_KEY, "the model 'hand' is not available to the service"), (SAE_KEY, LATENTS)],
)
def test_a_unit_the_service_cannot_run_still_gets_its_prediction(
    client: TestClient, key: str, note: str
) -> None:
    run = client.get(api(key, text="hi", tokenizer="byte")).json()
    assert run["live"] is False and run["note"].startswith(note)
    assert len(run["predicted"]) == 2


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"text": "x" * (MAX_TEXT + 1)}, 422, f"give at most {MAX_TEXT:,}"),
        ({"text": "x" * 200}, 422, "reads at most 127"),  # longer than the tiny model's context
        ({"text": "hi", "tokenizer": "nosuch-tokenizer"}, 422, "no tokenizer for 'nosuch"),
    ],
)
def test_bad_input_is_one_line(client: TestClient, params: dict, status: int, words: str) -> None:
    answer = client.get(api(TINY_KEY, **params))
    assert answer.status_code == status
    error = answer.json()["error"]
    assert words in error and "\n" not in error and "Traceback" not in error
    page = client.get(f"/units/{TINY_KEY}?{urlencode(params)}")
    assert page.status_code == status and words in page.text.replace("&#39;", "'")


def test_empty_text_is_a_422_and_an_empty_box_no_run(client: TestClient) -> None:
    answer = client.get(api(TINY_KEY, text=""))
    assert answer.status_code == 422 and "the text is empty" in answer.json()["error"]
    html = client.get(f"/units/{TINY_KEY}?text=").text
    assert 'id="text-predicted"' not in html and 'id="test-text-form"' in html


def test_a_key_no_path_can_carry_keeps_its_box(client: TestClient) -> None:
    query = urlencode({"key": DOTTED_KEY, "text": "dots", "tokenizer": "byte"})
    html = client.get(f"/units?{query}").text
    assert 'action="/units#test-text"' in html
    assert f'<input type="hidden" name="key" value="{DOTTED_KEY}">' in html
    assert html.count('class="tok"', html.index('id="text-predicted"')) >= 4


def test_unknown_unit_is_404(client: TestClient) -> None:
    assert client.get(api(f"{TINY}/0/9999", text="hi")).status_code == 404


def test_hostile_text_is_escaped(client: TestClient) -> None:
    text = f"{SCRIPT} \u202eevil"
    html = client.get(f"/units/{TINY_KEY}?{urlencode({'text': text})}").text
    assert SCRIPT not in html and "<script>alert" not in html
    assert "\u202e" not in html  # its bytes show as <0xE2><0x80><0xAE>, escaped
    assert ">&lt;0xE2&gt;</span>" in html
    assert "&lt;" in html.split('id="text-predicted">', 1)[1].split("</div>", 1)[0]
    run = client.get(api(TINY_KEY, text=text)).json()
    assert run["text"] == text  # JSON carries it exactly


def test_openapi_describes_the_endpoint(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    answer = spec["paths"]["/api/unit/{key}/activations"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("UnitActivations")


def test_serve_offers_the_flag() -> None:
    from typer.testing import CliRunner

    from n2g.cli import app as cli

    result = CliRunner().invoke(cli, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "--live-model" in result.output
