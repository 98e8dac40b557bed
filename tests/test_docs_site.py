"""The documentation site (mkdocs.yml) builds strictly, offline, and needs no network to view.

The site is docs/ plus the API reference mkdocstrings makes from n2g.api's docstrings, so a
renamed page, a heading whose anchor a link still names, a moved repository file or a
docstring the reference cannot render breaks it: `mkdocs build --strict` turns each of
those warnings into a failed build, here in the README's test command. Viewing must not
reach a CDN either (the site is read where the code runs, often with no network): every
script, style sheet, font and image a page loads comes from the site itself, checked in the
built files and in headless Chromium that can reach 127.0.0.1 only.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

import n2g.api

ROOT = Path(__file__).resolve().parent.parent
# What a page loads, by tag: the attributes holding an address fetched at view time (an
# <a href> is followed only when clicked, so links to the forge are fine).
LOADED = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "object": ("data",),
    "embed": ("src",),
}
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""")


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` of `config` into `site`, as CONTRIBUTING.md says."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner, not a warning
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config)]
    return subprocess.run(
        [*command, "-d", str(site)], capture_output=True, text=True, env=env, check=False
    )


def is_remote(address: str) -> bool:
    return address.strip().lower().startswith(("http://", "https://", "//", "ftp://"))


class _Loads(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in LOADED.get(tag, ()):
                self.addresses += [part.split()[0] for part in value.split(",") if part.strip()]
            elif name == "style":
                self.addresses += CSS_URL.findall(value)

    def handle_data(self, data: str) -> None:
        if self.lasttag == "style":
            self.addresses += CSS_URL.findall(data)


def remote_loads(site: Path) -> list[str]:
    """`file: address` for each address outside the site that a page or style sheet loads."""
    found = []
    for path in sorted(site.rglob("*")):
        if path.suffix == ".html":
            parser = _Loads()
            parser.feed(path.read_text(encoding="utf-8"))
            addresses = parser.addresses
        elif path.suffix == ".css":
            addresses = CSS_URL.findall(path.read_text(encoding="utf-8"))
        else:
            continue
        found += [f"{path.relative_to(site)}: {a}" for a in addresses if is_remote(a)]
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    result = build(ROOT / "mkdocs.yml", folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return folder


def test_every_page_and_the_api_reference_are_built(site: Path) -> None:
    pages = {p.stem for p in (ROOT / "docs").glob("*.md")} - {"index"}
    assert (site / "index.html").is_file()
    assert {p for p in pages if not (site / p / "index.html").is_file()} == set()
    reference = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in n2g.api.__all__:
        assert f'id="n2g.api.{name}"' in reference, name
    assert 'id="n2g.api.Store.token_search"' in reference  # inherited from NeuronSearch


def test_links_out_of_docs_point_at_the_repository_on_the_forge(site: Path) -> None:
    page = (site / "results" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://github.com/neuron2graph/neuron2graph/blob/main/README.md"' in page
    assert 'href="../README.md"' not in page


def test_viewing_the_site_loads_nothing_from_outside_it(site: Path) -> None:
    assert remote_loads(site) == []


def test_the_remote_scan_sees_each_way_of_loading(tmp_path: Path) -> None:
    """The scan above finds what it must, so its empty answer means something."""
    (tmp_path / "page.html").write_text(
        '<link rel="stylesheet" href="https://cdn.example/a.css">'
        '<link rel="preconnect" href="//fonts.example">'
        '<script src="https://cdn.example/b.js"></script>'
        '<img srcset="local.png 1x, https://cdn.example/c.png 2x">'
        "<style>@import 'https://cdn.example/d.css';</style>"
        '<a href="https://example.org/">a link is not loaded</a>'
        '<img src="local.png"><script src="assets/e.js"></script>',
        encoding="utf-8",
    )
    (tmp_path / "style.css").write_text(
        "a { background: url(\"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'/>\") }"
        "@font-face { src: url(https://fonts.example/f.woff2) }",
        encoding="utf-8",
    )
    assert remote_loads(tmp_path) == [
        "page.html: https://cdn.example/a.css",
        "page.html: //fonts.example",
        "page.html: https://cdn.example/b.js",
        "page.html: https://cdn.example/c.png",
        "page.html: https://cdn.example/d.css",
        "style.css: https://fonts.example/f.woff2",
    ]


@pytest.mark.slow
def test_a_broken_link_anchor_or_repository_file_fails_the_build(tmp_path: Path) -> None:
    """The same configuration over a copy of docs/ with one broken link of each kind."""
    for entry in ROOT.iterdir():
        if entry.name not in {"docs", "mkdocs.yml", ".git", ".venv"}:
            (tmp_path / entry.name).symlink_to(entry)
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    broken = ["missing.md", "method.md#no-such-section", "#nowhere", "../no-such-file.py"]
    with open(tmp_path / "docs" / "index.md", "a", encoding="utf-8") as index:
        index.write("\n" + " ".join(f"[{n}]({target})" for n, target in enumerate(broken)) + "\n")
    result = build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
    for target in broken:
        assert any(f"'{target}'" in line for line in warnings), (target, result.stderr)


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_links", ROOT / "scripts/docs_links.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_hook_rewrites_only_links_that_leave_docs() -> None:
    hook = _hook()
    docs = ROOT / "docs"
    page = "\n".join(
        [
            "[r](../README.md) [q](../queries/) [m](method.md#x) [w](https://example.org/)",
            "```",
            "[kept](../README.md)",
            "```",
            '[s](../schema/README.md#the-data-model "the model") [gone](../nowhere.md)',
        ]
    )
    text, broken = hook.rewrite(page, docs / "index.md", docs, "https://forge.example/n2g")
    assert text.split("\n") == [
        "[r](https://forge.example/n2g/blob/main/README.md) "
        "[q](https://forge.example/n2g/tree/main/queries) [m](method.md#x) "
        "[w](https://example.org/)",
        "```",
        "[kept](../README.md)",
        "```",
        '[s](https://forge.example/n2g/blob/main/schema/README.md#the-data-model "the model") '
        "[gone](../nowhere.md)",
    ]
    assert broken == ["../nowhere.md"]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The built site over real HTTP on 127.0.0.1, as `mkdocs serve` shows it."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def offline_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Headless Chromium that can reach 127.0.0.1 only (every other name fails to
    resolve), logging each request it makes."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(f"headless browser missing ({', '.join(missing)}): bash scripts/setup.sh --dev")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--disable-background-networking")
    options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1280,1600")  # wide: the search field in the header
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def requested(driver: WebDriver) -> list[str]:
    """The addresses the page asked for since the last call."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


@pytest.mark.slow
def test_the_site_renders_and_searches_with_no_network(
    offline_browser: WebDriver, served: str
) -> None:
    driver = offline_browser
    driver.get(f"{served}/api/")
    wait = WebDriverWait(driver, 15)
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
    assert driver.find_element(By.ID, "n2g.api.connect").is_displayed()
    # Material's own style sheet applied: its header bar is fixed at the top.
    header = driver.find_element(By.CSS_SELECTOR, "header.md-header")
    assert header.value_of_css_property("position") in {"sticky", "fixed"}
    # The search runs in the page (a worker over the site's own index).
    field = driver.find_element(By.CSS_SELECTOR, "input.md-search__input")
    field.click()
    field.send_keys("ArcadeDB")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".md-search-result__item"))
    # Over the network, that is (not the browser's own chrome:// pages).
    fetched = [u for u in requested(driver) if u.startswith(("http:", "https:", "ws:", "wss:"))]
    assert fetched and [u for u in fetched if not u.startswith(served + "/")] == []
    severe = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
