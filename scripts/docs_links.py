"""MkDocs hook: links from docs/ to repository files outside it, checked and sent to the forge.

The pages in docs/ are read in two places: on the forge, where `../n2g/api.py` or
`../bench/results/summary.md` opens the file next to the page, and on the built site,
which holds docs/ alone, so the same relative link would lead nowhere. Rather than
rewrite the pages (and break them on the forge) or let MkDocs skip such links unchecked,
this hook, run by `mkdocs build` (mkdocs.yml: `hooks`), resolves each relative link that
leaves docs/, fails the strict build when its file is not in the repository, and points
the site's link at that file on the forge (`Homepage` of pyproject.toml's project.urls,
the one place the address is written). Links inside docs/ are left to MkDocs' own
validation (pages and anchors, mkdocs.yml: `validation`).
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from pathlib import Path
from typing import Any

BRANCH = "main"
# An inline Markdown link's target: `](target)` or `](target "title")`; the docs use no
# reference-style links or raw HTML links.
LINK = re.compile(r"\]\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^\s*(```|~~~)")

log = logging.getLogger("mkdocs.plugins.n2g_docs_links")


def repository_url(root: Path) -> str:
    """The forge address of the repository, as pyproject.toml declares it."""
    with open(root / "pyproject.toml", "rb") as handle:
        project = tomllib.load(handle)["project"]
    return str(project["urls"]["Homepage"]).rstrip("/")


def outside_target(target: str, page_dir: Path, docs_dir: Path) -> Path | None:
    """The repository path a relative link leads to when that is outside docs/, else None."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith(("#", "/")):
        return None
    path = target.split("#", 1)[0]
    if not path:
        return None
    # Lexically, as the forge resolves it (a symlinked folder is not followed).
    resolved = Path(os.path.normpath(page_dir / path))
    if resolved == docs_dir or docs_dir in resolved.parents:
        return None
    return resolved


def forge_link(resolved: Path, root: Path, fragment: str, base: str) -> str:
    """The forge's address of a repository file or folder."""
    kind = "tree" if resolved.is_dir() else "blob"
    relative = resolved.relative_to(root).as_posix()
    return f"{base}/{kind}/{BRANCH}/{relative}{fragment}"


def rewrite(markdown: str, page_path: Path, docs_dir: Path, base: str) -> tuple[str, list[str]]:
    """The page with its links out of docs/ pointed at the forge, and the broken ones; the
    repository is the folder above `docs_dir`."""
    root = docs_dir.parent
    broken: list[str] = []

    def one(match: re.Match[str]) -> str:
        target = match.group("target")
        resolved = outside_target(target, page_path.parent, docs_dir)
        if resolved is None:
            return match.group(0)
        if root not in resolved.parents or not resolved.exists():
            broken.append(target)
            return match.group(0)
        fragment = "#" + target.split("#", 1)[1] if "#" in target else ""
        return f"]({forge_link(resolved, root, fragment, base)}{match.group('title') or ''})"

    lines = []
    in_fence = False
    for line in markdown.split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
        lines.append(line if in_fence else LINK.sub(one, line))
    return "\n".join(lines), broken


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs' hook: each page's Markdown before it is rendered."""
    docs_dir = Path(os.path.abspath(config["docs_dir"]))
    page_path = docs_dir / page.file.src_uri
    text, broken = rewrite(markdown, page_path, docs_dir, repository_url(docs_dir.parent))
    for target in broken:
        where = page.file.src_uri
        log.warning("Doc file '%s' links to '%s', which is not in the repository", where, target)
    return text
