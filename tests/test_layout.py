"""The layout keeps its promises: the read side never reaches into the builder or torch.

The read side (n2g.graph, n2g.db, n2g.search, n2g.scoring, n2g.report, `n2g show`) must work in a
process that never imports torch: it is what users run against a database all day, and
importing torch costs seconds. Checked statically (every import statement, function-level
ones included) and at run time (`n2g show` in a fresh interpreter).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from n2g.graph.file import dump_graph_line
from n2g.testing.handmade import handmade_graphs

PACKAGE = Path(__file__).resolve().parents[1] / "n2g"
READ_SIDE = [
    *sorted((PACKAGE / "graph").glob("*.py")),
    *sorted((PACKAGE / "db").glob("*.py")),
    *sorted((PACKAGE / "search").glob("*.py")),
    # The scoring methods: the graph model, the mapping and the report read their registry.
    *sorted((PACKAGE / "scoring").glob("*.py")),
    # The reports on graph files (n2g report, and the run's report stage).
    *sorted((PACKAGE / "report").glob("*.py")),
    # The service: everything but the module that loads a tokenizer for "units firing on
    # this text" (it is the CLI's `like --text` mechanism, which may need transformer_lens,
    # and is imported by that one view only; test_serve_app_runs_without_torch checks it).
    *sorted(p for p in (PACKAGE / "serve").glob("*.py") if p.name != "tokenizers.py"),
]
ALLOWED = ("n2g.graph", "n2g.db", "n2g.search", "n2g.errors", "n2g.progress", "n2g.resources")
ALLOWED += ("n2g.paths", "n2g.serve", "n2g.scoring", "n2g.report")
HEAVY = ("torch", "transformer_lens", "transformers", "n2g.builder", "n2g.record", "n2g.models")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", READ_SIDE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_read_side_imports_only_graph_and_db(path: Path) -> None:
    for name in imported_modules(path):
        assert not name.startswith(HEAVY), f"{path.name} imports {name}"
        if name.startswith("n2g"):
            assert name.startswith(ALLOWED), f"{path.name} imports {name}"


def test_no_package_named_build() -> None:
    assert not (PACKAGE / "build").exists()


def test_show_runs_without_torch(tmp_path: Path) -> None:
    graphs = tmp_path / "graphs.jsonl"
    graph = handmade_graphs()[0]
    graphs.write_text(dump_graph_line(graph) + "\n", encoding="utf-8")
    probe = (
        "import sys\n"
        "from n2g.cli import app\n"
        f"sys.argv = ['n2g', 'show', {graph.key!r}, '--graphs', {str(graphs)!r}, '--json']\n"
        "try:\n    app()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "light = ('n2g.builder', 'n2g.builder.config')  # CLI defaults: pydantic only\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'transformer_lens', 'transformers') "
        "or (m.startswith('n2g.builder') and m not in light))\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout, result.stdout


def test_serve_app_runs_without_torch() -> None:
    """The service starts and answers in a process that never imports torch (the driver
    is made but never connects: these answers need no database)."""
    probe = (
        "import sys\n"
        "from fastapi.testclient import TestClient\n"
        "from neo4j import GraphDatabase\n"
        "from n2g.db.connection import Database, DatabaseConfig\n"
        "from n2g.serve import create_app\n"
        "import n2g.cli.serve_cmd\n"
        "config = DatabaseConfig(uri='bolt://127.0.0.1:9')\n"
        "db = Database(config, GraphDatabase.driver(config.uri, auth=('u', 'p')))\n"
        "client = TestClient(create_app(db))\n"
        "assert client.get('/openapi.json').status_code == 200\n"
        "assert client.get('/static/n2g.js').status_code == 200\n"
        "assert client.get('/api/units/not-a-key').status_code == 422\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'transformer_lens', 'transformers'))\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout, result.stdout


@pytest.mark.parametrize(
    "path",
    sorted((PACKAGE.parent / "bench").glob("*.py")),
    ids=lambda p: p.name,
)
def test_benchmarks_never_import_the_cli(path: Path) -> None:
    """Domain parsing (layers, neurons, context caps) lives in n2g.selection, not the CLI."""
    for name in imported_modules(path):
        assert not name.startswith("n2g.cli"), f"{path.name} imports {name}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "cli").glob("*.py")), ids=lambda p: p.name)
def test_commands_print_only_through_the_escaping_echo(path: Path) -> None:
    """Every line a command prints goes through `n2g.cli.common.echo`/`echo_json` (or a
    rich table of escaped cells): a raw `typer.echo` or `print` could pass an escape
    sequence from a shared file's names to the user's terminal."""
    if path.name == "common.py":
        return
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            assert name not in ("typer.echo", "print", "typer.secho"), f"{path.name}: {name}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "cli").glob("*_cmd.py")), ids=lambda p: p.name)
def test_every_command_module_registers_its_commands_one_way(path: Path) -> None:
    """One registration style: commands are module-level functions that `register(app)`
    adds with `app.command(NAME)(function)` (or a sub-app with `add_typer`), never
    functions defined inside `register`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    [register] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "register"]
    nested = [n.name for n in ast.walk(register) if isinstance(n, ast.FunctionDef)][1:]
    assert nested == [], f"{path.name}: commands defined inside register(): {nested}"
