"""Remake the screenshots in docs/ from a running `n2g serve` over a main job's store.

The pictures in the README and docs/serve.md must show what the service shows today, on
real graphs: so they are taken, not drawn, by Debian's headless Chromium (the browser the
page tests use) from a live service. Run the main job, then

    .venv/bin/n2g serve --port 8011 &
    .venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8011

Each shot is the page's top `--height` pixels at 1100 pixels wide, written through
n2g.files (atomic, never through a planted link).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote, urlencode

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from n2g.files import write_bytes_atomic

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# The README's unit (docs/results.md names its F1) and a text that shows the box at work.
UNIT = "smollm2-135m/2/1295"
TEXT = "At the end of the file, read the bottom of the page and the edge of the table."


def shots(unit: str, text: str) -> dict[str, str]:
    """File name in docs/ -> the page's path and query."""
    path = "/units/" + quote(unit, safe="/")
    return {
        "unit-page.png": path,
        "unit-text.png": path + "?" + urlencode({"text": text}) + "#test-text",
    }


def take(url: str, out: Path, width: int, height: int, unit: str, text: str) -> None:
    profile = Path(tempfile.mkdtemp(prefix="n2g-shots-"))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 f"--user-data-dir={profile}", f"--window-size={width},{height}"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        for name, page in shots(unit, text).items():
            driver.get(url.rstrip("/") + page)
            write_bytes_atomic(out / name, driver.get_screenshot_as_png())
            print(f"{out / name}: {page}")
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--unit", default=UNIT)
    parser.add_argument("--text", default=TEXT)
    args = parser.parse_args()
    take(args.url, args.out, args.width, args.height, args.unit, args.text)


if __name__ == "__main__":
    main()
