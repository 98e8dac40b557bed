"""The path view in a real headless browser over real HTTP: the SVG draws (a screenshot
of it holds the red and blue arrows), the console stays free of CSP errors, and a unit's
box leads to its page."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.serve.graphs import HOSTILE_KEY, NO_EVIDENCE_KEY, feeds_stored
from tests.serve.test_browser import browser, console_errors, open_page  # noqa: F401

pytestmark = pytest.mark.usefixtures(feeds_stored.__name__)  # FEEDS_EDGES stored


def _pixels_near(image: Image.Image, colour: tuple[int, int, int], within: int = 40) -> int:
    rgb = np.asarray(image.convert("RGB"), dtype=int)
    return int((np.abs(rgb - np.asarray(colour)) <= within).all(axis=-1).sum())


def test_the_circuit_is_drawn_and_its_units_link(browser: WebDriver, live_server: str) -> None:  # noqa: F811
    open_page(browser, f"{live_server}/circuit/{HOSTILE_KEY}?depth=2")
    svg = browser.find_element(By.CSS_SELECTOR, ".circuit svg")
    assert svg.size["width"] > 400 and svg.size["height"] > 60
    shot = Image.open(io.BytesIO(svg.screenshot_as_png))
    assert _pixels_near(shot, (0xC6, 0x28, 0x28)) > 50  # positive edges, red
    assert _pixels_near(shot, (0x1F, 0x5F, 0xBF)) > 50  # the negative edge, blue
    boxes = browser.find_elements(By.CSS_SELECTOR, "a.circuit-unit")
    assert len(boxes) == 3 and all(b.size["width"] > 0 for b in boxes)
    assert console_errors(browser) == []
    browser.find_element(By.CSS_SELECTOR, f'a.circuit-unit[data-key="{NO_EVIDENCE_KEY}"]').click()
    assert browser.current_url.endswith(f"/units/{NO_EVIDENCE_KEY}")
