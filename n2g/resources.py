"""Locate the Cypher and JSON Schema files that ship with the package.

They live in the package, under `n2g/_data/` (queries, schema, ingest), so a checkout, an
editable install and a wheel read them from one place; the repository's top-level
`queries/`, `schema/` and `ingest/` are links to those folders, where Neo4j Browser users
and the docs find them.
"""

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the folder `name` (one of queries, schema, ingest)."""
    folder = _PACKAGE_DIR / "_data" / name
    if not folder.is_dir():
        raise FileNotFoundError(f"n2g resource folder {name!r} not found (broken install?)")
    return folder


@cache
def read_cypher(folder: str, stem: str) -> str:
    """Text of `folder/stem.cypher`, comment lines removed, ready for the driver."""
    text = (resource_dir(folder) / f"{stem}.cypher").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("//")]
    return "\n".join(lines).strip().rstrip(";")
