"""Reaching units in a real headless browser (Debian's chromium) over real HTTP: the key
box, a random unit, a layer's units sorted and paged, search pages with labels and "more",
grouped evidence and the similarity note; no console errors on any of them."""

from __future__ import annotations

from urllib.parse import urlencode

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.serve import test_browser
from tests.serve.graphs import HOSTILE_KEY, REPEATED_EVIDENCE_KEY
from tests.serve.test_browser import WAIT_S, assert_nothing_ran, console_errors, open_page

browser = test_browser.browser  # its headless chromium fixture, used here under its name


def wait_for_url(driver: WebDriver, part: str) -> None:
    WebDriverWait(driver, WAIT_S).until(expected_conditions.url_contains(part))


def listed(driver: WebDriver, table: str) -> list[str]:
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, f"#{table} a.unit")]


def test_the_key_box_opens_a_unit_or_says_what_is_missing(
    browser: WebDriver, live_server: str
) -> None:
    open_page(browser, f"{live_server}/")
    box = browser.find_element(By.CSS_SELECTOR, "#go-form input[name=key]")
    box.send_keys("hand/2/5")
    browser.find_element(By.CSS_SELECTOR, "#go-form button[type=submit]").click()
    wait_for_url(browser, "/units/hand/2/5")
    assert browser.find_element(By.ID, "unit-key").text == "hand/2/5"
    assert console_errors(browser) == []
    open_page(browser, f"{live_server}/")
    browser.find_element(By.CSS_SELECTOR, "#go-form input[name=key]").send_keys("hand/0/99")
    browser.find_element(By.CSS_SELECTOR, "#go-form button[type=submit]").click()
    wait_for_url(browser, "/go?")
    message = browser.find_element(By.ID, "error-message").text
    assert message == "no unit 'hand/0/99': layer 0 of hand holds 3 units, none with that index"
    browser.find_element(By.LINK_TEXT, "the units of hand layer 0").click()
    wait_for_url(browser, "/layer?")
    assert listed(browser, "units") == ["hand/0/0", "hand/0/7", "hand/0/13"]


def test_the_random_link_opens_a_unit(browser: WebDriver, live_server: str) -> None:
    open_page(browser, f"{live_server}/")
    browser.find_element(By.ID, "random-unit").click()
    wait_for_url(browser, "/units/")
    assert browser.find_element(By.ID, "unit-key").text.count("/") >= 2
    assert console_errors(browser) == []


def test_a_layer_is_sorted_and_paged_by_clicks(browser: WebDriver, live_server: str) -> None:
    open_page(browser, f"{live_server}/")
    browser.find_element(By.CSS_SELECTOR, 'a.layer[href="/layer?model=hand&layer=2"]').click()
    wait_for_url(browser, "/layer?")
    assert listed(browser, "units") == ["hand/2/5", "hand/2/12", HOSTILE_KEY]
    browser.find_element(By.LINK_TEXT, "F1").click()  # highest first
    wait_for_url(browser, "sort=f1")
    assert listed(browser, "units") == [HOSTILE_KEY, "hand/2/5", "hand/2/12"]
    browser.find_element(By.LINK_TEXT, "F1").click()  # again: lowest first
    wait_for_url(browser, "order=asc")
    assert listed(browser, "units") == ["hand/2/5", HOSTILE_KEY, "hand/2/12"]
    form = browser.find_element(By.ID, "sort-form")
    Select(form.find_element(By.NAME, "sort")).select_by_value("index")
    Select(form.find_element(By.NAME, "order")).select_by_value("asc")
    size = form.find_element(By.NAME, "size")
    size.clear()
    size.send_keys("2")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_url(browser, "size=2")
    assert listed(browser, "units") == ["hand/2/5", "hand/2/12"]
    browser.find_element(By.CSS_SELECTOR, "#pager a[rel=next]").click()
    wait_for_url(browser, "page=2")
    assert listed(browser, "units") == [HOSTILE_KEY]
    assert_nothing_ran(browser)  # the hostile unit's label is text
    assert console_errors(browser) == []


def test_search_shows_labels_and_pages_on(browser: WebDriver, live_server: str) -> None:
    open_page(browser, f"{live_server}/search?{urlencode({'token': ' everyone', 'limit': 2})}")
    assert browser.find_element(By.ID, "result-count").text == "Units 1–2 of 4 (2 more)."
    labels = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#results td.unit-label")]
    assert labels[0] == "fires on ` everyone`, ` all` after ` except`"
    more = browser.find_element(By.ID, "more")
    assert more.text == "next: 2 more →"
    more.click()
    wait_for_url(browser, "page=2")
    assert listed(browser, "results") == ["hand/2/5", "hand/1/3"]
    assert console_errors(browser) == []


def test_identical_snippets_show_once_with_a_count(browser: WebDriver, live_server: str) -> None:
    open_page(browser, f"{live_server}/units/{REPEATED_EVIDENCE_KEY}")
    examples = browser.find_elements(By.CSS_SELECTOR, ".example")
    assert [e.get_attribute("data-count") for e in examples] == ["3", "1"]
    badge = examples[0].find_element(By.CSS_SELECTOR, ".copies")
    assert badge.text == "×3"
    assert badge.get_attribute("title") == "3 windows read so (2 train, 1 test): ranks 0, 2, 3"
    assert "4 windows: 3 train" in browser.find_element(By.ID, "evidence-counts").text
    button = browser.find_element(By.CSS_SELECTOR, "button[data-toggle-prediction]")
    token = examples[0].find_elements(By.CSS_SELECTOR, ".tok")[2]
    assert token.get_attribute("data-level") == "9"
    button.click()  # the grouped snippet recolours like any other
    assert token.get_attribute("data-level") == "4"
    note = browser.find_element(By.ID, "similarity-note").text
    assert note.startswith("Stored by n2g similar on hand at threshold 0.9")
    assert console_errors(browser) == []


def test_the_similarity_note_tells_not_computed_from_none_found(
    browser: WebDriver, live_server: str
) -> None:
    open_page(browser, f"{live_server}/units/other/0/0")
    note = browser.find_element(By.ID, "similarity-note").text
    assert note.startswith("Similarity has not been computed for other")
    open_page(browser, f"{live_server}/units/hand/3/14")
    note = browser.find_element(By.ID, "similarity-note").text
    assert note.startswith("No similar unit at threshold 0.9: n2g similar ran on hand")
    assert console_errors(browser) == []
