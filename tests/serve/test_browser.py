"""The pages in a real headless browser (Debian's chromium + chromedriver) over real HTTP.

What only a browser can tell: the graph's token nodes are links that lead to the search,
the toggle recolours the evidence (our script runs under the Content-Security-Policy),
hostile tokens show as text and run nothing, and the console stays free of errors.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote_plus, urlencode

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from n2g.serve.text import visible
from tests.serve.graphs import EVERYONE_KEY, HOSTILE_KEY, IMG, MARKUP, SCRIPT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_S = 15


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[WebDriver]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(
            f"headless browser missing ({', '.join(missing)}): run `bash scripts/setup.sh "
            "--dev` (it installs Debian's chromium and chromium-driver)"
        )
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,1600",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver: WebDriver) -> list[str]:
    """The console's SEVERE messages since the last call (CSP refusals, script errors)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def open_page(driver: WebDriver, url: str) -> None:
    console_errors(driver)  # drop what earlier pages logged
    driver.get(url)
    WebDriverWait(driver, WAIT_S).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def test_unit_page_shows_the_graph_and_examples(browser: WebDriver, live_server: str) -> None:
    open_page(browser, f"{live_server}/units/{EVERYONE_KEY}")
    assert browser.find_element(By.ID, "unit-key").text == EVERYONE_KEY
    nodes = browser.find_elements(By.CSS_SELECTOR, "#graph svg a.node")
    shown = {(n.get_attribute("data-kind"), n.get_attribute("data-token")) for n in nodes}
    assert {("activating", "\u2423everyone"), ("context", "\u2423except")} <= shown
    examples = browser.find_elements(By.CSS_SELECTOR, ".example")
    assert [e.get_attribute("data-split") for e in examples] == ["train", "test"]
    assert "everyone" in examples[0].text and "train" in examples[0].text
    assert console_errors(browser) == []


def test_clicking_a_token_node_searches_for_it(browser: WebDriver, live_server: str) -> None:
    open_page(browser, f"{live_server}/units/{EVERYONE_KEY}")
    node = browser.find_element(
        By.CSS_SELECTOR, '#graph svg a.node[data-kind="activating"][data-token="\u2423everyone"]'
    )
    node.click()
    WebDriverWait(browser, WAIT_S).until(expected_conditions.url_contains("/search?"))
    assert unquote_plus(browser.current_url.split("?", 1)[1]) == "token= everyone"
    units = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#results a.unit")]
    assert EVERYONE_KEY in units and "other/0/0" in units
    assert console_errors(browser) == []


def test_search_form_finds_units(browser: WebDriver, live_server: str) -> None:
    open_page(browser, f"{live_server}/search")
    form = browser.find_element(By.CSS_SELECTOR, "main form.search")
    form.find_element(By.NAME, "token").send_keys(" everyone")
    form.find_element(By.NAME, "context").send_keys(" except")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, WAIT_S).until(
        expected_conditions.presence_of_element_located((By.ID, "results"))
    )
    units = {a.text for a in browser.find_elements(By.CSS_SELECTOR, "#results a.unit")}
    assert units == {EVERYONE_KEY, "other/0/0"}
    unit_link = browser.find_element(By.LINK_TEXT, EVERYONE_KEY)
    unit_link.click()
    WebDriverWait(browser, WAIT_S).until(expected_conditions.url_contains("/units/"))
    assert browser.find_element(By.ID, "unit-key").text == EVERYONE_KEY


def test_toggle_recolours_by_prediction_and_back(browser: WebDriver, live_server: str) -> None:
    open_page(browser, f"{live_server}/units/{EVERYONE_KEY}")
    button = browser.find_element(By.CSS_SELECTOR, "button[data-toggle-prediction]")
    assert button.is_displayed()  # hidden until the script wires it up
    # " everyone" in the test example: true 0.75 (level 8), predicted 0.9 (level 9)
    token = browser.find_elements(By.CSS_SELECTOR, '.example[data-split="test"] .tok')[2]
    assert token.get_attribute("title") == "\u2423everyone · true 0.750 · predicted 0.900"
    assert token.get_attribute("data-level") == "8"
    button.click()
    assert token.get_attribute("data-level") == "9"
    assert button.get_attribute("aria-pressed") == "true"
    assert browser.find_element(By.ID, "colouring").text == "predicted"
    assert button.text == "colour by true activation"
    button.click()
    assert token.get_attribute("data-level") == "8"
    assert browser.find_element(By.ID, "colouring").text == "true"
    assert console_errors(browser) == []


def assert_nothing_ran(driver: WebDriver) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 (reading it is the check)
    assert driver.find_elements(By.CSS_SELECTOR, "img") == []
    sources = [s.get_attribute("src") for s in driver.find_elements(By.TAG_NAME, "script")]
    assert [src.rsplit("/", 2)[-2:] for src in sources] == [["static", "n2g.js"]]


def test_hostile_tokens_show_as_text_and_run_nothing(browser: WebDriver, live_server: str):
    open_page(browser, f"{live_server}/units/{HOSTILE_KEY}")
    snippet = browser.find_element(By.CSS_SELECTOR, ".example .snippet").text
    for shown in (SCRIPT, IMG, MARKUP, "\\u202e", "\u2400"):
        assert shown in snippet, shown
    labels = {
        n.get_attribute("data-token")
        for n in browser.find_elements(By.CSS_SELECTOR, "#graph svg a.node")
    }
    assert {SCRIPT, visible(IMG), MARKUP, "\\u202e", "\u2400"} <= labels
    assert_nothing_ran(browser)
    button = browser.find_element(By.CSS_SELECTOR, "button[data-toggle-prediction]")
    assert button.is_displayed()  # our script runs on this page too
    button.click()
    assert browser.find_element(By.ID, "colouring").text == "predicted"
    assert console_errors(browser) == []


def test_hostile_searches_run_nothing(browser: WebDriver, live_server: str) -> None:
    for query, shown in (
        ({"token": SCRIPT}, SCRIPT),
        ({"context": IMG}, visible(IMG)),  # tokens shown visibly: spaces as U+2423
        ({"token": IMG, "layer": SCRIPT}, f"layer must be a whole number, got '{SCRIPT}'"),
    ):
        open_page(browser, f"{live_server}/search?{urlencode(query)}")
        assert_nothing_ran(browser)
        assert shown in browser.find_element(By.TAG_NAME, "main").text
    # clicking the hostile unit's node for the image token searches for exactly it
    open_page(browser, f"{live_server}/units/{HOSTILE_KEY}")
    browser.find_element(
        By.CSS_SELECTOR, '#graph svg a.node[data-kind="activating"][data-token="[/]"]'
    ).click()
    WebDriverWait(browser, WAIT_S).until(expected_conditions.url_contains("/search?"))
    units = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#results a.unit")]
    assert HOSTILE_KEY in units
    assert console_errors(browser) == []


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?repeated=true",
        "/groups",
        "/compare?a=hand/1/10&b=hand/2/12",
        "/units/hand/9/9",
    ],
)
def test_pages_log_no_console_errors(browser: WebDriver, live_server: str, path: str) -> None:
    open_page(browser, f"{live_server}{path}")
    errors = console_errors(browser)
    if path == "/units/hand/9/9":  # the browser reports the 404 answer itself, nothing else
        assert len(errors) == 1 and "404 (Not Found)" in errors[0], errors
    else:
        assert errors == []
