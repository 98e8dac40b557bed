"""The interactive API page (/api/docs): Swagger UI from a package, offline, under the CSP.

Over real HTTP in headless Chromium: the page's "API" link opens it, it lists the
endpoints, no request leaves the service's own address, and the console stays clean (a
script the Content-Security-Policy refused would show there).
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from n2g.serve.security import CONTENT_SECURITY_POLICY
from tests.serve import test_browser
from tests.serve.conftest import LOCAL
from tests.serve.test_browser import WAIT_S, console_errors, open_page

browser = test_browser.browser  # its headless chromium fixture, used here under its name


def test_the_page_and_only_its_two_bundle_files_are_served(client: TestClient) -> None:
    page = client.get(f"{LOCAL}/api/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "<script>" not in page.text and "http" not in page.text.replace("/openapi.json", "")
    script = client.get(f"{LOCAL}/api/docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert (
        client.get(f"{LOCAL}/api/docs/swagger-ui.css")
        .headers["content-type"]
        .startswith("text/css")
    )
    for other in ("index.html", "swagger-initializer.js", "..%2Fswagger-ui.js"):
        answer = client.get(f"{LOCAL}/api/docs/{other}")
        assert answer.status_code == 404 and "error" in answer.json()
    assert client.get(f"{LOCAL}/static/api-docs.js").status_code == 200
    assert "/api/docs" not in client.get(f"{LOCAL}/openapi.json").json()["paths"]


def test_the_api_link_opens_the_interactive_page_offline(
    browser: WebDriver, live_server: str
) -> None:
    open_page(browser, f"{live_server}/")
    browser.find_element(By.LINK_TEXT, "API").click()
    WebDriverWait(browser, WAIT_S).until(expected_conditions.url_contains("/api/docs"))
    WebDriverWait(browser, WAIT_S).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")) >= 5
    )
    paths = {
        e.text.strip() for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert {"/api/models", "/api/search", "/api/like", "/api/groups"} <= {
        p.replace("\u200b", "") for p in paths
    }
    requested = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href])"
    )
    assert requested and all(url.startswith(f"{live_server}/") for url in requested), requested
    assert any(url.endswith("/openapi.json") for url in requested)
    assert console_errors(browser) == []
