"""The unit page's activation histogram: laid out from a real recording's counts, drawn as
SVG on the page (TestClient and headless Chromium), and a note for graphs without one."""

from __future__ import annotations

import re
import shutil
import sysconfig
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.graph.histogram import ActivationHistogram
from n2g.graph.model import NeuronGraph
from n2g.models.tiny import tiny_model
from n2g.record.config import RecordConfig
from n2g.record.histogram import to_graph
from n2g.record.recorder import record_stage
from n2g.record.store import load_layer
from n2g.serve import create_app
from n2g.serve.histogram import SHOWN_OCTAVES, histogram_plot
from n2g.testing.handmade import make_graph
from tests.serve import test_browser
from tests.serve.conftest import LOCAL
from tests.serve.graphs import EVERYONE_KEY, serve_graphs
from tests.serve.test_browser import console_errors, open_page
from tests.serve.test_pages import assert_inert, page

browser = test_browser.browser  # its headless chromium fixture, used here under its name
HIST_KEY = "tiny-hist/1/0"
WINDOWS, WINDOW = 40, 24


@pytest.fixture(scope="module")
def recorded_graph(tmp_path_factory) -> NeuronGraph:
    """Neuron 0 of layer 1 of a tiny model recorded over a few standard-library modules,
    as a graph carrying its histogram."""
    corpus = tmp_path_factory.mktemp("corpus")
    for name in ("bisect.py", "colorsys.py"):
        shutil.copy(f"{sysconfig.get_paths()['stdlib']}/{name}", corpus / name)
    out = tmp_path_factory.mktemp("records")
    config = RecordConfig(window=WINDOW, k=4, batch_size=8, max_windows=WINDOWS, max_tokens=None)
    record_stage(tiny_model(seed=1), str(corpus), [1], out, config, progress=False)
    records = load_layer(out, 1)
    assert records.histogram is not None
    graph = make_graph("tiny-hist", 1, 0, [(" a", [], 0.9)], a_max=float(records.a_max[0]))
    graph.activation_histogram = to_graph(records.histogram[0])
    return graph


@pytest.fixture(scope="module")
def hist_db(db_config, recorded_graph) -> Iterator[Database]:
    database = Database.connect(db_config)
    try:
        clear_database(database)
        ingest_graphs(database, [*serve_graphs(), recorded_graph])
        yield database
    finally:
        database.close()


@pytest.fixture(scope="module")
def app(hist_db) -> FastAPI:
    return create_app(hist_db)


@pytest.fixture(scope="module")
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url=LOCAL) as test_client:
        yield test_client


def test_the_plot_draws_every_held_bin_on_log_axes(recorded_graph: NeuronGraph) -> None:
    hist = recorded_graph.activation_histogram
    assert hist is not None and hist.positions == WINDOWS * WINDOW
    plot = histogram_plot(recorded_graph)
    assert plot is not None
    assert len(plot.bars) == sum(1 for c in hist.counts if c)  # within 16 octaves here
    assert [b.x for b in plot.bars] == sorted(b.x for b in plot.bars)
    tallest = max(plot.bars, key=lambda b: b.height)
    assert tallest.height == pytest.approx(plot.plot_bottom - plot.plot_top)
    assert {b.fill for b in plot.bars} == {"#dc2828", "#8a8a8a"}  # firing and below it
    assert plot.threshold_x is not None and plot.plot_left < plot.threshold_x < plot.plot_right
    assert f"{hist.positions:,} positions" in plot.caption


def test_bins_far_under_the_top_are_counted_not_drawn() -> None:
    counts = [1] * (SHOWN_OCTAVES * 4 + 10)
    hist = ActivationHistogram(
        positions=sum(counts) + 2, negative=1, zero=0, below=1, first_bin=-70, counts=counts
    )
    graph = make_graph("m", 0, 0, [(" a", [], 0.9)], a_max=2.0**-6)
    graph.activation_histogram = hist
    plot = histogram_plot(graph)
    assert plot is not None and len(plot.bars) == SHOWN_OCTAVES * 4
    assert "11 positive under the axis" in plot.caption  # 10 bins + `below`
    graph.activation_histogram = ActivationHistogram(positions=3, negative=1, zero=2)
    assert histogram_plot(graph) is None


def test_the_unit_page_shows_the_histogram(client: TestClient, recorded_graph) -> None:
    html = page(client, f"/units/{HIST_KEY}")
    assert_inert(html)
    figure = re.search(r'<figure class="plot" id="histogram">.*?</figure>', html, re.S)
    assert figure is not None
    hist = recorded_graph.activation_histogram
    assert figure.group(0).count('class="bin"') == sum(1 for c in hist.counts if c)
    assert f"{hist.positions:,} positions" in figure.group(0)
    body = client.get(f"/api/units/{HIST_KEY}").json()  # the graph line whole: no mapping
    assert body["graph"]["activation_histogram"] == hist.model_dump(mode="json")


def test_a_graph_without_a_histogram_says_why(client: TestClient) -> None:
    html = page(client, f"/units/{EVERYONE_KEY}")
    assert 'id="histogram"' not in html
    assert "built from records without a histogram" in html


def test_the_histogram_in_a_real_browser(browser: WebDriver, live_server: str) -> None:
    open_page(browser, f"{live_server}/units/{HIST_KEY}")
    bins = browser.find_elements(By.CSS_SELECTOR, "#histogram svg rect.bin")
    assert bins and all(b.size["height"] > 0 and b.size["width"] > 0 for b in bins)
    assert browser.find_element(By.CSS_SELECTOR, "#histogram figcaption").text.startswith(
        f"{WINDOWS * WINDOW:,} positions"
    )
    assert console_errors(browser) == []
