"""Locate the Cypher and JSON Schema files that ship with the package.

In a source checkout or editable install they are the repository's top-level `queries/`,
`schema/` and `ingest/` folders; in a wheel, copies under `n2g/_data/` (see setup.py).
"""

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the folder `name` (one of queries, schema, ingest)."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"n2g resource folder {name!r} not found (broken install?)")


@cache
def read_cypher(folder: str, stem: str) -> str:
    """Text of `folder/stem.cypher`, comment lines removed, ready for the driver."""
    text = (resource_dir(folder) / f"{stem}.cypher").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("//")]
    return "\n".join(lines).strip().rstrip(";")
