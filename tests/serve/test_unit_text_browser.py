"""The "test your text" box in headless Chromium over real HTTP: the form is a GET (the
result's URL can be shared), works without our script, keeps to the Content-Security-
Policy (no console errors) and shows hostile text as text."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.serve import test_browser, test_unit_text
from tests.serve.graphs import SCRIPT
from tests.serve.test_browser import WAIT_S, assert_nothing_ran, console_errors, open_page
from tests.serve.test_unit_text import TINY_KEY

browser = test_browser.browser  # its headless chromium fixture, used here under its name
text_db = test_unit_text.text_db  # the serve graphs and a tiny model's unit
app = test_unit_text.app  # the service with --live-model (conftest's live_server serves it)


def submit_text(driver: WebDriver, text: str) -> None:
    form = driver.find_element(By.ID, "test-text-form")
    box = form.find_element(By.NAME, "text")
    box.clear()
    box.send_keys(text)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, WAIT_S).until(
        expected_conditions.presence_of_element_located((By.ID, "text-predicted"))
    )


def test_the_box_runs_a_text_and_the_url_can_be_shared(browser: WebDriver, live_server: str):
    open_page(browser, f"{live_server}/units/{TINY_KEY}")
    submit_text(browser, "every vex")
    url = urlsplit(browser.current_url)
    assert url.path == f"/units/{TINY_KEY}" and parse_qs(url.query)["text"] == ["every vex"]
    predicted = browser.find_elements(By.CSS_SELECTOR, "#text-predicted .tok")
    true = browser.find_elements(By.CSS_SELECTOR, "#text-true .tok")
    assert [t.text for t in predicted] == list("every vex") == [t.text for t in true]
    assert predicted[2].get_attribute("data-level") == "9"  # 'e' after 'v'
    assert " · true " in true[2].get_attribute("title")
    assert "correlate r = " in browser.find_element(By.ID, "text-correlation").text
    shared = browser.current_url
    open_page(browser, shared)  # the same URL opened afresh gives the same run
    assert len(browser.find_elements(By.CSS_SELECTOR, "#text-true .tok")) == len("every vex")
    assert console_errors(browser) == []


def test_hostile_text_shows_as_text(browser: WebDriver, live_server: str) -> None:
    open_page(browser, f"{live_server}/units/{TINY_KEY}")
    submit_text(browser, SCRIPT)
    shown = browser.find_element(By.ID, "text-predicted").text
    assert shown == SCRIPT  # one byte a token, each shown as its character
    assert_nothing_ran(browser)
    assert console_errors(browser) == []
