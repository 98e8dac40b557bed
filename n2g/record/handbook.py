"""A second English prose corpus: The Debian Administrator's Handbook (`debian-handbook`).

The main job reads the Python documentation; a quality figure from one corpus can be
mistaken for the method's, so the results are also measured on prose of another kind and
register, reachable on every machine of the project through Debian's apt: a book about
running Debian systems (Raphaël Hertzog and Roland Mas; 127 HTML pages in English, about
1.2 million characters of text, ~300,000 SmolLM2 tokens). Its text is extracted from the
HTML once (navigation, scripts and styles dropped; blocks kept as paragraphs) into plain
text files in the cache, which then read as any folder corpus does.
"""

from __future__ import annotations

import html.parser
import os
import shutil
import tempfile
from pathlib import Path

from n2g.errors import N2GError
from n2g.paths import cache_dir as default_cache_dir
from n2g.record.debian import package_version, unpack_debian_package

HANDBOOK_PACKAGE = "debian-handbook"
_PAGES = Path("usr/share/doc/debian-handbook/html/en-US")
_SKIPPED = {"script", "style", "head"}
_BLOCKS = {"p", "div", "pre", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "tr", "br"}
_NAVIGATION = {"docnav", "navheader", "navfooter", "toc", "index"}  # classes of page chrome
_VOID = {"br", "img", "meta", "link", "hr", "input", "col", "area", "base", "wbr"}  # no end tag


class _PageText(html.parser.HTMLParser):
    """The readable text of one page: blocks as paragraphs, page chrome left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden: list[str] = []  # open tags whose content is skipped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        if self._hidden or tag in _SKIPPED or classes & _NAVIGATION:
            if tag not in _VOID:
                self._hidden.append(tag)
            return
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._hidden:
            if self._hidden[-1] == tag:
                self._hidden.pop()
            return
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        paragraphs, current = [], []
        for line in lines:
            if line:
                current.append(line)
            elif current:
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
        return "\n\n".join(paragraphs) + "\n"


def page_text(markup: str) -> str:
    """The readable text of one handbook page (also any simple XHTML page)."""
    parser = _PageText()
    parser.feed(markup)
    parser.close()
    return parser.text()


def _root(cache_dir: Path | None) -> Path:
    return default_cache_dir(cache_dir) / "corpora" / HANDBOOK_PACKAGE


def handbook_version(cache_dir: Path | None = None) -> str | None:
    """The version of the handbook package the text was extracted from (None: unknown)."""
    return package_version(_root(cache_dir) / "package", HANDBOOK_PACKAGE)


def handbook_folder(cache_dir: Path | None = None) -> Path:
    """The handbook's pages as text files, extracted once into the cache."""
    root = _root(cache_dir)
    texts = root / "text"
    if (texts / ".complete").is_file():
        return texts
    pages = root / "package" / _PAGES
    if not pages.is_dir():
        unpack_debian_package(HANDBOOK_PACKAGE, root / "package")
    html_pages = sorted(pages.glob("*.html"))
    if not html_pages:
        raise N2GError(f"no English pages in {pages}: the {HANDBOOK_PACKAGE} package changed?")
    work = Path(tempfile.mkdtemp(prefix=".text.", dir=root))
    for page in html_pages:
        text = page_text(page.read_text(encoding="utf-8", errors="replace"))
        (work / f"{page.stem}.txt").write_text(text, encoding="utf-8")
    (work / ".complete").write_text("")
    if texts.exists():  # an interrupted earlier extraction
        shutil.rmtree(texts)
    os.replace(work, texts)
    return texts
