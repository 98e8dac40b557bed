"""The command line imports a command's module only when that command runs (n2g.cli.lazy),
and reads the same as if it had imported them all.

The group lists each command from its table (name, module, the help's first paragraph):
these tests keep the table true to the modules, keep `n2g --help` the same text as the
group loaded whole, and check in a fresh interpreter what a start imports.
"""

from __future__ import annotations

import gzip
import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer._click import Context
from typer.testing import CliRunner

from n2g.cli import app, command_tree
from n2g.cli.lazy import LazyCommandsGroup

# The probes run this checkout's package, wherever pytest was started.
CHECKOUT = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
HEAVY = ("torch", "transformers", "transformer_lens", "sae_lens", "neo4j", "numpy")


def _registered() -> dict[str, tuple[str, str]]:
    """Every command the command modules register: name -> (module, first paragraph)."""
    found = {}
    for module in dict.fromkeys(e.module for e in LazyCommandsGroup.entries.values()):
        commands = typer.Typer()
        importlib.import_module(f"n2g.cli.{module}").register(commands)
        for name, command in typer.main.get_group(commands).commands.items():
            text = command.short_help or command.help or ""
            found[name] = (module, inspect.cleandoc(text).split("\n\n")[0])
    return found


def test_the_table_names_every_command_with_its_module_and_help() -> None:
    table = {name: (e.module, e.summary) for name, e in LazyCommandsGroup.entries.items()}
    assert table == _registered()


def test_every_command_module_is_in_the_table() -> None:
    """A new command module must be listed, or its commands would never load."""
    import n2g.cli

    modules = {p.stem for p in Path(n2g.cli.__file__).parent.glob("*_cmd.py")}
    assert modules == {e.module for e in LazyCommandsGroup.entries.values()}


def test_help_reads_as_the_whole_group() -> None:
    lazy = typer.main.get_command(app)
    whole = command_tree()
    assert lazy is not whole and not lazy.commands  # type: ignore[attr-defined]
    assert lazy.get_help(Context(lazy, info_name="n2g")) == whole.get_help(
        Context(whole, info_name="n2g")
    )
    assert not lazy.commands  # type: ignore[attr-defined]  # listing imported nothing


def _run_probe(argv: list[str], report: str, env: dict[str, str], cwd: Path | None) -> str:
    """Run `n2g ARGV` in a fresh interpreter, as the console script runs it (the command
    must answer, exit 0), then the `report` lines; the first line the report printed."""
    probe = (
        "import gc, sys\n"
        "default = gc.get_threshold()\n"
        "from n2g.cli import main\n"
        f"sys.argv = ['n2g', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        f"{report}\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if line.startswith("PROBE ")][0]


def _imported_after(
    argv: list[str], env: dict[str, str] = CHECKOUT, cwd: Path | None = None
) -> set[str]:
    """The modules loaded once `n2g ARGV` has run."""
    line = _run_probe(argv, "print('PROBE', ' '.join(sorted(sys.modules)))", env, cwd)
    return set(line.split()[1:])


def test_help_imports_no_command_module_nor_heavy_library() -> None:
    modules = _imported_after(["--help"])
    assert not {m for m in modules if m.startswith("n2g.cli.") and m.endswith("_cmd")}
    assert not {m for m in modules if m.split(".")[0] in HEAVY}


def test_a_command_imports_its_own_module_only_and_no_dataframes() -> None:
    """`n2g search --help` loads search_cmd (and the driver), no other command's module,
    and the driver's probe does not import pandas or pyarrow."""
    modules = _imported_after(["search", "--help"])
    commands = {m for m in modules if m.startswith("n2g.cli.") and m.endswith("_cmd")}
    assert commands == {"n2g.cli.search_cmd"}
    assert "neo4j" in modules
    assert not {m for m in modules if m.split(".")[0] in ("pandas", "pyarrow", "torch")}


def test_the_driver_still_sees_dataframes_outside_the_command_line() -> None:
    """The imports are skipped only in the command line's process; a library user's
    neo4j keeps Result.to_df."""
    probe = "import neo4j._optional_deps as d, n2g.db.connection; print(d.pd is not None)"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=CHECKOUT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


# Every read-side command (n2g/cli/__init__.py, `reads=True`), run for real: on real graphs
# of the main job (a few units of tests/data/main-job-sample.jsonl.gz), hand-made latents
# for `split` and hand-written FEEDS edges for `circuit`, in a real database.
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "main-job-sample.jsonl.gz"
MODEL = "smollm2-135m"
SAMPLE_UNITS = {f"{MODEL}/3/15", f"{MODEL}/1/964", f"{MODEL}/2/1344", f"{MODEL}/3/1233"}
READ_SIDE: dict[str, list[str]] = {
    "search": ["search", "/", "--context", " *", "-m", MODEL],
    "like": ["like", f"{MODEL}/1/964"],
    "like --text": ["like", "--text", "The capital of France is Paris.", "-m", MODEL],
    "groups": ["groups", "-m", MODEL],
    "show": ["show", f"{MODEL}/3/15"],
    "split": ["split", "split/1/0"],
    "circuit": ["circuit", f"{MODEL}/3/15"],
    "top": ["top", "--layer", "2"],
    "export": ["export", "units.parquet"],
    "export --graphs": ["export", "file.parquet", "--graphs", "graphs.jsonl"],
    "report": ["report", "graphs.jsonl"],
    "plugins": ["plugins"],
}
MODEL_LIBRARIES = ("torch", "transformers", "transformer_lens", "sae_lens", "accelerate")
# Read from files, these need no database driver; export writes Parquet without pandas.
NO_DRIVER = {"report", "plugins"}


@pytest.fixture(scope="module")
def store(db_config, tmp_path_factory) -> tuple[dict[str, str], Path]:
    """The N2G_* settings naming the filled store, and a folder holding graphs.jsonl."""
    from n2g.db.connection import Database
    from n2g.db.ingest import clear_database, ingest_graphs
    from n2g.graph.file import parse_graph_line
    from n2g.search import NeuronSearch, SimilarityConfig
    from n2g.search.circuits import write_feeds
    from n2g.testing.splits import split_graphs

    folder = tmp_path_factory.mktemp("read-side")
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as sample:
        lines = [line for line in sample if _key(line) in SAMPLE_UNITS]
    (folder / "graphs.jsonl").write_text("".join(lines), encoding="utf-8")
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, [parse_graph_line(line) for line in lines] + split_graphs())
        NeuronSearch(db).compute_similarity([MODEL], SimilarityConfig(), show_progress=False)
        edge = {"source": f"{MODEL}/1/964", "target": f"{MODEL}/3/15", "rank": 0}
        assert write_feeds(db, MODEL, [{**edge, "weight": 0.5, "virtual_weight": 0.5}]) == 1
    env = {**CHECKOUT, "N2G_URI": db_config.uri, "N2G_USER": db_config.user}
    env["N2G_PASSWORD"] = db_config.password
    if db_config.database:
        env["N2G_DATABASE"] = db_config.database
    return env, folder


def _key(line: str) -> str:
    graph = json.loads(line)
    return f"{graph['model']}/{graph['layer']}/{graph['neuron']}"


def test_every_read_side_command_is_run_here_and_timed_by_the_benchmark() -> None:
    from bench.cli_startup import COMMANDS

    reads = {name for name, entry in LazyCommandsGroup.entries.items() if entry.reads}
    assert reads == {argv[0] for argv in READ_SIDE.values()}
    assert reads == {argv[0] for argv in COMMANDS.values()} - {"--help"}


@pytest.mark.parametrize("name", READ_SIDE)
def test_a_read_side_command_loads_no_model_library(store, name: str) -> None:
    """Each answers without torch or transformers (tokenizer.json read by `tokenizers`
    alone for `like --text`); from files, without the driver; and no command of them
    imports pandas (pyarrow's probe in export is skipped, the bytes are the same)."""
    env, folder = store
    modules = _imported_after(READ_SIDE[name], env, folder)
    roots = {module.split(".")[0] for module in modules}
    assert not roots & {*MODEL_LIBRARIES, "pandas"}
    if name in NO_DRIVER:
        assert "neo4j" not in roots


def test_export_writes_the_same_file_without_pandas(store, tmp_path) -> None:
    """The command line's export (pandas unseen by pyarrow) equals the library's (pandas
    loaded here, by the test), byte for byte."""
    env, folder = store
    _imported_after(
        ["export", str(tmp_path / "cli.parquet"), "--graphs", "graphs.jsonl"], env, folder
    )
    import pandas  # noqa: F401  # pyarrow sees it in this process

    from n2g.export import write_rows
    from n2g.graph.file import read_graph_files

    write_rows(read_graph_files([folder / "graphs.jsonl"]), tmp_path / "library.parquet")
    assert (tmp_path / "cli.parquet").read_bytes() == (tmp_path / "library.parquet").read_bytes()


def _collector_after(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    report = (
        "print('PROBE GC', gc.isenabled(), gc.get_threshold() == default, "
        "gc.get_freeze_count() > 0)"
    )
    return _run_probe(argv, report, env, cwd).removeprefix("PROBE ")


def test_the_collector_resumes_once_a_command_loads(store) -> None:
    """`main` pauses the collector while a command's module imports (n2g.cli.collector);
    it is running again when the command runs: less often for a read-side command, at
    Python's thresholds for a writing one (a long job), the imports frozen for both."""
    env, folder = store
    assert _collector_after(["report", "graphs.jsonl"], env, folder) == "GC True False True"
    assert _collector_after(["record", "--help"], env, folder) == "GC True True True"


def test_a_library_user_keeps_the_collector_as_it_was() -> None:
    """Only `main` pauses it: a command run through the app (as tests and scripts do)
    changes nothing."""
    import gc

    before = gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()
    runner = CliRunner()
    result = runner.invoke(app, ["plugins"])
    assert result.exit_code == 0, result.output
    assert (gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()) == before
