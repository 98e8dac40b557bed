"""`n2g.search` imports its public names on first use: every name resolves to the class or
function of its module, the table and `__all__` agree, and a module of the package that
needs no database (the similarity join, the groups) is imported without the driver."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import n2g.search

CHECKOUT = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}


def test_all_and_the_table_name_the_same_names() -> None:
    assert sorted(n2g.search.__all__) == sorted(n2g.search._HOMES)


@pytest.mark.parametrize("name", sorted(n2g.search._HOMES))
def test_each_name_is_its_modules_own(name: str) -> None:
    home = importlib.import_module(f"n2g.search.{n2g.search._HOMES[name]}")
    assert getattr(n2g.search, name) is getattr(home, name)


def test_an_unknown_name_is_an_attribute_error_and_submodules_still_import() -> None:
    with pytest.raises(AttributeError):
        n2g.search.NoSuchName  # noqa: B018
    from n2g.search import store

    assert store.__name__ == "n2g.search.store"


def test_the_groups_module_comes_without_the_database_driver() -> None:
    probe = "import sys, n2g.search.groups, n2g.search.similarity; print('neo4j' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=CHECKOUT, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
