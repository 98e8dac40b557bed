"""`n2g run` end to end on a tiny model, a small real corpus and the real local server.

Covers: every stage's output, the report's numbers recomputed independently from the
graph file, a second run that redoes nothing and duplicates nothing in the database, and
an interrupt (SIGINT in the middle of the build) followed by a resume that ends with the
same graphs and the same database as an uninterrupted run.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import database_counts
from n2g.graph.file import iter_graph_file
from n2g.record.corpus import open_corpus
from n2g.record.provenance import text_sha256

pytestmark = pytest.mark.slow

MODEL = "tiny-gelu-2l-s0"
STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> tuple[Path, Path]:
    """Two small real corpora: some Python source, and some English prose (docstrings)."""
    root = tmp_path_factory.mktemp("corpora")
    code, prose = root / "code", root / "prose"
    code.mkdir()
    prose.mkdir()
    for name in ("textwrap.py", "bisect.py", "colorsys.py", "shlex.py"):
        shutil.copy(STDLIB / name, code / name)
    for name in ("this.py", "heapq.py"):
        text = (STDLIB / name).read_text(encoding="utf-8")
        (prose / f"{name}.txt").write_text(" ".join(re.findall(r"[A-Za-z][A-Za-z ,.]+", text)))
    return code, prose


def run_args(out: Path, corpora, db_config) -> list[str]:
    code, prose = corpora
    return [
        # "all" = both layers of the tiny model: the whole-model path, interrupted and resumed.
        "run", "--model", MODEL, "--layers", "all", "--neurons-per-layer", "24",
        "--corpus", str(code), "--ood-corpus", str(prose), "--max-tokens", "40000",
        "--window", "32", "--k", "10", "--helper", "none", "--out", str(out), "--quiet",
        # One neuron per batch: many small batches to interrupt between, and the same
        # batches (so bit-identical floats) in the interrupted and the reference run.
        "--neurons-per-batch", "1",
        "--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password,
        *(["--database", db_config.database] if db_config.database else []),
    ]  # fmt: skip


def sorted_lines(path: Path) -> list[str]:
    return sorted(path.read_text(encoding="utf-8").splitlines())


def mean_f1_cells(graph_file: Path) -> dict[int, list[str]]:
    """Per layer, the N2G / lookup / 5-gram mean F1 as the report prints them (2 d.p.)."""
    per_layer: dict[int, dict[str, list[float]]] = {}
    for _, graph in iter_graph_file(graph_file):
        if graph.evaluation is None or graph.evaluation.n_test_firing == 0:
            continue
        layer = per_layer.setdefault(graph.layer, {"n2g": [], "token_lookup": [], "ngram": []})
        for method, values in layer.items():
            scores = graph.evaluation.scores(method)
            assert scores is not None
            values.append(scores.f1 or 0.0)
    return {
        layer: [f"{sum(v) / len(v):.2f}" for v in methods.values()]
        for layer, methods in per_layer.items()
    }


def test_run_end_to_end_then_rerun_is_a_no_op(tmp_path, corpora, db_config):
    with Database.connect(db_config) as db:
        from n2g.db.ingest import clear_database

        clear_database(db)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, run_args(out, corpora, db_config))
    assert result.exit_code == 0, result.output
    # a line for each step before recording, the estimate, and the closing stage times
    for words in ("database: bolt://", "corpus: ", "loading ", "number format: "):
        assert words in result.output, words
    assert re.search(r"recording [0-9,]+ tokens at about [0-9,]+ tokens/s", result.output)
    assert re.search(r"finished in .*: prepare .*record .*build .*ingest .*report", result.output)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["stage_seconds"]) == {
        "prepare",
        "record",
        "build",
        "ingest",
        "search",
        "check",
        "report",
    }
    # the relations checked against the model: per threshold, and each level of groups
    check = summary["coactivation"]
    assert check["random_windows"][-1]["category"] == "random"
    assert {row["level"] for row in check["levels"]} <= {0, 1, 2, 3}
    assert [row["level"] for row in summary["communities"]] == [1, 2, 3]
    graphs = [g for _, g in iter_graph_file(out / "graphs.jsonl")]
    assert len(graphs) == 48 and {g.layer for g in graphs} == {0, 1}
    assert any(len(g.nodes) > 2 for g in graphs)
    assert all(g.evaluation.out_of_distribution is not None for g in graphs)

    report = (out / "report" / "report.md").read_text(encoding="utf-8")
    for layer, cells in mean_f1_cells(out / "graphs.jsonl").items():
        row = next(line for line in report.splitlines() if line.startswith(f"| {layer} |"))
        values = [c.strip() for c in row.strip("|").split("|")]
        f1 = [re.match(r"\**([0-9.]+)", values[i]).group(1) for i in (3, 6, 9)]
        assert f1 == cells  # the F1 columns (mean, then its interval)
    assert (out / "report" / "quality.png").stat().st_size > 1000
    assert "Searches on the loaded graphs" in report
    assert "## Communities" in report and "## Do related units co-activate?" in report
    # the corpus named exactly: its text's hash, in the summary, the report and the output
    corpus = summary["corpus"]
    assert corpus["name"] == f"dir:{corpora[0].resolve()}" and corpus["version"] is None
    assert corpus["sha256"] == text_sha256(open_corpus(str(corpora[0])))
    assert f"Corpus: {corpus['name']}, text SHA-256 {corpus['sha256']}." in report
    assert f"text SHA-256 {corpus['sha256'][:12]}" in result.output
    assert "warning: corpus" not in result.output  # not the documented report's corpus

    # Somebody else's symlinks at the run's output names (a shared output folder): the
    # rerun replaces each with its own file and leaves the file they point at alone.
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    names = ("report.md", "quality.png", "neuron.svg")
    planted = [out / "summary.json", *(out / "report" / name for name in names)]
    for path in planted:
        path.unlink(missing_ok=True)
        path.symlink_to(victim)
    with Database.connect(db_config) as db:
        counts = database_counts(db)
        assert counts["neurons"] == 48
        again = CliRunner().invoke(app, run_args(out, corpora, db_config))
        assert again.exit_code == 0, again.output
        assert victim.read_text(encoding="utf-8") == "precious\n"
        assert all(p.is_file() and not p.is_symlink() for p in planted), planted
        assert "0 graphs built, 48 already there" in again.output
        assert "tokens/s here" not in again.output  # recorded already: no estimate
        assert "48 unchanged" in again.output
        assert database_counts(db) == counts

        # Other units of the model in the store (another run's, copies of 6 of these: each
        # similar to its original) enter the stored similarity, not this run's report.
        from n2g.db.ingest import ingest_graphs

        copies = [g.model_copy(update={"neuron": g.neuron + 500}) for g in graphs[:6]]
        ingest_graphs(db, copies)
        third = CliRunner().invoke(app, run_args(out, corpora, db_config))
        assert third.exit_code == 0, third.output
        stored = json.loads((out / "summary.json").read_text(encoding="utf-8"))["stages"]
        assert stored["search"]["similar_pairs"] >= summary["stages"]["search"]["similar_pairs"] + 6
        assert _similarity_section(out) == _similarity_section_of(report)


def _similarity_section(out: Path) -> str:
    return _similarity_section_of((out / "report" / "report.md").read_text(encoding="utf-8"))


def _similarity_section_of(report: str) -> str:
    """The report's counts of similar units: its search structure and similarity tables."""
    structure = report.split("Search structure:")[1].split("## ")[0]
    return structure + report.split("## Similar neurons and groups")[1].split("Showcase")[0]


def _count_lines(path: Path) -> int:
    """Whole lines: an interrupt can stop a write mid-line, and a resume drops that tail."""
    return path.read_text(encoding="utf-8").count("\n") if path.exists() else 0


def test_interrupt_and_resume_gives_the_same_result(tmp_path, corpora, db_config):
    reference = tmp_path / "reference"
    assert CliRunner().invoke(app, run_args(reference, corpora, db_config)).exit_code == 0
    with Database.connect(db_config) as db:
        counts = database_counts(db)

    out = tmp_path / "interrupted"
    command = [sys.executable, "-m", "n2g", *run_args(out, corpora, db_config)]
    # A shell starting us in the background leaves SIGINT ignored, and exec keeps "ignored":
    # restore the default so the child's Python turns Ctrl-C into KeyboardInterrupt.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 300
    while _count_lines(out / "graphs.jsonl") < 3 and time.monotonic() < deadline:
        if process.poll() is not None:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr.decode()
    assert "Traceback" not in stderr.decode()
    written = _count_lines(out / "graphs.jsonl")
    assert 0 < written < 48

    resumed = CliRunner().invoke(app, run_args(out, corpora, db_config))
    assert resumed.exit_code == 0, resumed.output
    assert f"{48 - written} graphs built, {written} already there" in resumed.output
    assert sorted_lines(out / "graphs.jsonl") == sorted_lines(reference / "graphs.jsonl")
    with Database.connect(db_config) as db:
        assert database_counts(db) == counts


def test_run_on_a_local_model_folder(tmp_path, corpora, db_config, monkeypatch):
    """The model spec is resolved once: a folder path records, builds, ingests and reports
    under the loaded model's canonical name (the report stage used to look the raw string
    up again and fail)."""
    from n2g.testing.hf_folder import save_tiny_llama

    folder = save_tiny_llama(tmp_path / "my model")
    with Database.connect(db_config) as db:
        from n2g.db.ingest import clear_database

        clear_database(db)
    out = tmp_path / "run"
    args = run_args(out, corpora, db_config)
    monkeypatch.chdir(folder.parent)
    args[args.index("--model") + 1] = f"./{folder.name}/"  # as a user types it
    args[args.index("--neurons-per-layer") + 1] = "6"
    args[args.index("--layers") + 1] = "0-1"  # of its three
    args[args.index("--max-tokens") + 1] = "6000"
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    graphs = [g for _, g in iter_graph_file(out / "graphs.jsonl")]
    assert len(graphs) == 12 and len({g.model for g in graphs}) == 1
    report = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert graphs[0].model in report and "Searches on the loaded graphs" in report
    with Database.connect(db_config) as db:
        assert database_counts(db)["neurons"] == 12


def test_run_with_an_sae_and_a_transcoder_compares_them_with_neurons(
    tmp_path, corpora, db_config, monkeypatch
):
    """`n2g run --sae --transcoder`: each (trained once: here beforehand, small, into the
    cache the run reads) has its latents recorded, built, stored beside the neurons and
    compared with them on the same layer."""
    from n2g.models import load_model
    from n2g.record.corpus import open_corpus
    from n2g.sae import SAETrainConfig, load_units

    cache = tmp_path / "cache"
    monkeypatch.setenv("N2G_CACHE_DIR", str(cache))
    small = SAETrainConfig(
        training_tokens=2048, batch_size=128, context=32, windows_per_pass=4, eval_tokens=256
    )
    code, _ = corpora
    model = load_model(MODEL)
    units = load_units("L1-mlp-2x", model, corpus=open_corpus(str(code)), train_config=small)
    tc = load_units("L1-tc-2x", model, corpus=open_corpus(str(code)), train_config=small)
    out = tmp_path / "run"
    args = run_args(out, corpora, db_config)
    args[args.index("--neurons-per-batch") + 1] = "16"
    result = CliRunner().invoke(app, [*args, "--sae", "L1-mlp-2x", "--transcoder", "L1-tc-2x"])
    assert result.exit_code == 0, result.output
    latents = [g for _, g in iter_graph_file(out / "graphs-sae-L1-mlp-2x.jsonl")]
    assert len(latents) == 24 and {g.unit_set for g in latents} == {units.name}
    tc_latents = [g for _, g in iter_graph_file(out / "graphs-tc-L1-tc-2x.jsonl")]
    assert len(tc_latents) == 24 and {g.unit_set for g in tc_latents} == {"tc:L1-tc-2x"}
    assert {g.layer for g in latents + tc_latents} == {1}
    report = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert "## Neurons, SAE latents and transcoder latents" in report
    assert "explained variance of `blocks.1.hook_mlp_out`" in report
    section = report.split("## Neurons, SAE latents and transcoder latents")[1].split("\n## ")[0]
    section, splits = section.split("### Neurons split into latents")
    assert [line.split(" | ")[1] for line in splits.splitlines() if line.startswith("| 1 | ")] == [
        units.name,
        tc.name,
    ]
    rows = [line.split(" | ")[1] for line in section.splitlines() if line.startswith("| 1 | ")]
    assert rows == ["MLP neurons", units.name, tc.name]
    assert (out / "report" / "units.png").stat().st_size > 1000
    summary = json.loads((out / "summary.json").read_text())
    assert {"build_sae", "build_transcoder"} <= set(summary["stages"])
    assert [row["kind"] for row in summary["units"]] == ["MLP neurons", units.name, tc.name]
    with Database.connect(db_config) as db:
        keys = {r["key"] for r in db.read("MATCH (n:Neuron) RETURN n.key AS key")}
    assert {g.key for g in latents + tc_latents} <= keys
    assert sum("/sae:" not in key and "/tc:" not in key for key in keys) >= 48
