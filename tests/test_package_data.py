"""The Cypher and JSON Schema files live in the package, and the top-level folders link there.

One place for them (n2g/_data): a checkout, an editable install and a wheel read the same
files (`n2g.resources`), and the repository's `queries/`, `schema/` and `ingest/`, where
Neo4j Browser users and the docs look, are links to those folders, not copies that drift.
"""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import n2g
from n2g.resources import resource_dir

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("queries", "schema", "ingest")


def test_each_folder_is_read_from_the_package_and_linked_from_the_top():
    package = Path(n2g.__file__).resolve().parent
    for name in FOLDERS:
        folder = resource_dir(name)
        assert folder == package / "_data" / name
        assert any(folder.iterdir())
        top = ROOT / name
        assert top.is_symlink() and top.resolve() == folder.resolve()


def test_the_wheel_takes_every_file_of_the_folders():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["n2g"]
    package = Path(n2g.__file__).resolve().parent
    files = [p for name in FOLDERS for p in (package / "_data" / name).rglob("*") if p.is_file()]
    assert files
    for path in files:
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch(relative, pattern) for pattern in patterns), relative
