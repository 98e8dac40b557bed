"""The layout keeps its promises: the read side never reaches into the builder or torch.

The read side (n2g.graph, n2g.db, n2g.search, n2g.scoring, n2g.report, `n2g show`) must work in a
process that never imports torch: it is what users run against a database all day, and
importing torch costs seconds. Checked statically (every import statement, function-level
ones included) and at run time (`n2g show` in a fresh interpreter).

Every file is written through n2g.files (checked statically: each call that writes a file
or hands a path to a library that does), so no output follows a symlink planted in a
shared folder; OWN_WRITES lists the few modules that do their own low-level writes.
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
    # and is imported by that one view only; test_serve_app_runs_without_torch checks it),
    # and the one that runs a unit's model for `n2g serve --live-model` (imported likewise).
    *sorted(
        p for p in (PACKAGE / "serve").glob("*.py") if p.name not in ("tokenizers.py", "live.py")
    ),
]
ALLOWED = ("n2g.graph", "n2g.db", "n2g.search", "n2g.errors", "n2g.progress", "n2g.resources")
ALLOWED += ("n2g.paths", "n2g.serve", "n2g.scoring", "n2g.report", "n2g.files", "n2g.plugins")
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
        "client = TestClient(create_app(db), base_url='http://127.0.0.1')\n"
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


# The modules that own low-level writes, and why each may.
OWN_WRITES = {
    "files.py": "the one safe writer: temporary file, O_EXCL | O_NOFOLLOW, rename",
}
# Library calls that write to a path or file they are given: name -> (index, keyword) of it.
PATH_WRITERS = {
    "savefig": (0, "fname"),
    "save_file": (1, "filename"),
    "save_pretrained": (0, "save_directory"),
    "save_model": (0, "path"),
    "save_inference_model": (0, "path"),
    "to_parquet": (0, "path"),
    "ParquetWriter": (0, "where"),
    "pq.write_table": (1, "where"),
    "torch.save": (1, "f"),
    "np.save": (0, "file"),
    "np.savez": (0, "file"),
    "json.dump": (1, "fp"),
    "pickle.dump": (1, "file"),
    "shutil.copy": (1, "dst"),
    "shutil.copy2": (1, "dst"),
    "shutil.copyfile": (1, "dst"),
}
MODULE_OPENS = {"io.open", "gzip.open", "bz2.open", "lzma.open", "tarfile.open", "codecs.open"}
WRITE_FLAGS = {"O_CREAT", "O_WRONLY", "O_RDWR", "O_APPEND", "O_TRUNC"}
# Calls whose function argument is given a path of n2g.files' private staging folder
# (`write_atomically` is n2g.sae.cache's, over write_folder_atomic).
STAGERS = {"write_path_atomic", "write_folder_atomic", "write_atomically"}
SAFE_SOURCES = {"mkdtemp", "TemporaryDirectory", "open_atomic", "open_append", "open_existing"}


def _last_name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _is_file(annotation: ast.expr) -> bool:
    text = ast.unparse(annotation)
    return text.split("[")[0] in ("IO", "typing.IO", "BinaryIO", "TextIO")


def _safe_names(scope: ast.AST) -> set[str]:
    """Names in `scope` that hold a file of n2g.files or a private folder (mkdtemp, a
    stager's staging path), and the names made from them (`config = tmp / "x"`)."""
    safe = {"devnull"}  # os.devnull
    functions = {n.name: n for n in ast.walk(scope) if isinstance(n, ast.FunctionDef)}
    for function in functions.values():  # a file object given: checked where it was opened
        arguments = function.args.args + function.args.kwonlyargs
        safe.update(a.arg for a in arguments if a.annotation and _is_file(a.annotation))
    for node in ast.walk(scope):
        if isinstance(node, ast.Call) and _last_name(node.func) in STAGERS:
            for arg in node.args:
                target = functions.get(arg.id) if isinstance(arg, ast.Name) else arg
                if isinstance(target, ast.Lambda | ast.FunctionDef):
                    safe.update(a.arg for a in target.args.args)
        elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            calls = [c for c in ast.walk(node.context_expr) if isinstance(c, ast.Call)]
            if any(_last_name(c.func) in SAFE_SOURCES for c in calls):
                safe.add(node.optional_vars.id)
    assigns = [n for n in ast.walk(scope) if isinstance(n, ast.Assign)]
    for _ in range(5):  # names made from safe names, to a fixed point
        for node in assigns:
            used = {_last_name(c.func) for c in ast.walk(node.value) if isinstance(c, ast.Call)}
            names = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            if used & SAFE_SOURCES or names & safe:
                safe.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return safe


def _written(call: ast.Call) -> tuple[str, ast.AST | None] | None:
    """(what, the path or file it writes) when `call` writes a file; None when not."""
    func, name = call.func, ast.unparse(call.func)
    last = _last_name(func)
    if last in ("write_text", "write_bytes", "touch") and isinstance(func, ast.Attribute):
        return last, func.value
    if last in ("mkstemp", "NamedTemporaryFile"):
        return last, None
    if last == "open" and name != "os.open":
        builtin = isinstance(func, ast.Name) or name in MODULE_OPENS  # mode second
        place = 1 if builtin else 0
        modes = [k.value for k in call.keywords if k.arg == "mode"]
        mode = call.args[place] if len(call.args) > place else (modes[0] if modes else None)
        if mode is None or not isinstance(mode, ast.Constant):
            return (f"{name} in mode {ast.unparse(mode)}", call) if mode is not None else None
        if set(str(mode.value)) & set("wax+"):
            return f"{name}(..., {mode.value!r})", call.args[0] if builtin else func.value
        return None
    flags = {n.attr for a in call.args for n in ast.walk(a) if isinstance(n, ast.Attribute)}
    if flags & WRITE_FLAGS:
        return f"{name} with {sorted(flags & WRITE_FLAGS)}", call.args[0] if call.args else None
    key = name if name in PATH_WRITERS else last  # `x.savefig`, but only `json.dump`
    writer = PATH_WRITERS.get(key) if key == name or "." not in key else None
    if writer is not None:
        index, keyword = writer
        given = [k.value for k in call.keywords if k.arg == keyword]
        target = call.args[index] if len(call.args) > index else (given or [None])[0]
        return (name, target) if target is not None else None
    return None


def file_writes(path: Path) -> list[str]:
    """`line: what` for each write in `path` that does not go through n2g.files."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    scopes = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    found = []
    for scope in [tree, *scopes]:
        safe = _safe_names(scope)
        inner = scopes if scope is tree else []
        skip = {id(n) for s in inner for n in ast.walk(s)}
        for node in ast.walk(scope):
            if isinstance(node, ast.Call) and id(node) not in skip:
                written = _written(node)
                if written is None:
                    continue
                what, target = written
                parts = list(ast.walk(target)) if target is not None else []
                names = {n.id for n in parts if isinstance(n, ast.Name)}
                names |= {n.attr for n in parts if isinstance(n, ast.Attribute)} & {"devnull"}
                if not names & safe:
                    found.append((node.lineno, what))
    return [f"{line}: {what}" for line, what in sorted(found)]


@pytest.mark.parametrize(
    "path",
    sorted(p for p in PACKAGE.rglob("*.py") if str(p.relative_to(PACKAGE)) not in OWN_WRITES),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_every_file_is_written_through_n2g_files(path: Path) -> None:
    """A file n2g writes goes through n2g.files (a temporary file of a random name made
    with O_EXCL | O_NOFOLLOW, renamed over the target; or an append that refuses a
    symlink): a plain `open(path, "w")`, `write_text`, `savefig(path)` or library save
    would follow a symlink planted in a shared output folder. Writes inside a private
    folder (mkdtemp, a staging folder of n2g.files) are allowed: nothing can be planted
    there."""
    assert file_writes(path) == []


def test_the_write_check_sees_each_way_of_writing(tmp_path: Path) -> None:
    """The scan above finds what it must (so an empty answer means something)."""
    source = tmp_path / "writes.py"
    source.write_text(
        "import os, json, tempfile\n"
        "def f(path, fig, data):\n"
        "    path.write_text('x')\n"
        "    open(path, 'a')\n"
        "    os.open(path, os.O_WRONLY | os.O_CREAT)\n"
        "    fig.savefig(path)\n"
        "    json.dump(data, open(path, 'w'))\n"
        "    tempfile.mkstemp()\n"
        "def g(path, fig, given: IO[bytes]):\n"
        "    fig.savefig(given, format='png')\n"
        "    work = tempfile.mkdtemp()\n"
        "    (work / 'x').write_text('x')\n"
        "    with open_atomic(path, binary=True) as handle:\n"
        "        fig.savefig(handle, format='png')\n"
        "    write_path_atomic(path, lambda tmp: fig.savefig(tmp))\n"
        "    open(path, 'rb')\n"
    )
    lines = [line.split(":")[0] for line in file_writes(source)]
    assert lines == ["3", "4", "5", "6", "7", "7", "8"], file_writes(source)
