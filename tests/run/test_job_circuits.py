"""`n2g run --circuits` end to end on a tiny model, a small real corpus and the real server.

Why: the edges are computed from the run's own records and stored units, checked by
ablation when asked, reported, and a rerun must find them stored instead of computing
them again (and compute them again when the database lost them).
"""

from __future__ import annotations

import json
import re
import shutil
import sysconfig
from pathlib import Path

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database

MODEL = "tiny-gelu-2l-s0"
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _args(out: Path, corpus: Path, db_config) -> list[str]:
    return [
        "run", "--model", MODEL, "--layers", "all", "--neurons-per-layer", "8",
        "--corpus", str(corpus), "--ood-corpus", "none", "--max-tokens", "12000",
        "--window", "32", "--k", "10", "--helper", "none", "--out", str(out), "--quiet",
        "--circuits", "--circuits-check", "2",
        "--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password,
        *(["--database", db_config.database] if db_config.database else []),
    ]  # fmt: skip


def _feeds(db: Database) -> list[dict]:
    return db.read(
        "MATCH (a:Neuron)-[r:FEEDS]->(b:Neuron) WHERE r.source = 'data' "
        "RETURN a.layer AS s, b.layer AS t, r.ablation_effect AS effect"
    )


@pytest.mark.slow
def test_run_with_circuits_stores_reports_and_resumes_the_edges(tmp_path, db_config):
    corpus = tmp_path / "code"
    corpus.mkdir()
    for name in ("textwrap.py", "bisect.py", "shlex.py"):
        shutil.copy(STDLIB / name, corpus / name)
    out = tmp_path / "run"
    with Database.connect(db_config) as db:
        clear_database(db)
        result = CliRunner().invoke(app, _args(out, corpus, db_config))
        assert result.exit_code == 0, result.output
        assert re.search(
            r"circuits: layer 1: [0-9,]+ data edges, 8/8 units at [0-9.,]+ units/s, about "
            r"[0-9]+ s left",
            result.output,
        ), result.output
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        circuits = summary["circuits"]
        edges = _feeds(db)
        # every stored layer-1 unit that fires on its windows gets its feeders from layer 0
        assert circuits["edges"] == len(edges) == circuits["edges_per_layer"]["1"] > 0
        assert all((e["s"], e["t"]) == (0, 1) for e in edges)
        assert circuits["units"] == {"0": 8, "1": 8}
        assert circuits["measured"] > 0 and circuits["check"]["1"]["data"]["zero"]["units"] > 0
        assert sum(e["effect"] is not None for e in edges) == circuits["measured"]
        assert "circuits" in summary["stage_seconds"]
        report = (out / "report" / "report.md").read_text(encoding="utf-8")
        assert "## Circuits" in report
        assert f"| 1 | 8 | {circuits['edges']:,} |" in report
        assert "| 1 | zero | " in report

        again = CliRunner().invoke(app, _args(out, corpus, db_config))
        assert again.exit_code == 0, again.output
        assert f"circuits: {circuits['edges']:,} data edges already stored" in again.output
        assert "data edges, " not in again.output  # no layer computed
        assert len(_feeds(db)) == len(edges)

        # edges gone from the store (a cleared database, re-ingested): computed again
        db.execute("MATCH ()-[r:FEEDS]->() DELETE r RETURN count(*) AS n")
        third = CliRunner().invoke(app, _args(out, corpus, db_config))
        assert third.exit_code == 0, third.output
        assert "already stored" not in third.output
        assert len(_feeds(db)) == len(edges)


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--layers", "1", "--circuits"], "--circuits needs two layers or more"),
        (["--layers", "0-1", "--circuits-check", "2"], "--circuits-check needs --circuits"),
    ],
)
def test_circuits_settings_that_cannot_work_fail_before_any_work(tmp_path, flags, words):
    result = CliRunner().invoke(app, ["run", "--model", MODEL, "--out", str(tmp_path), *flags])
    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and words in errors[0], result.output
    assert not any(tmp_path.iterdir())  # nothing recorded


def test_the_time_left_prices_the_deeper_layers_to_come_by_their_depth() -> None:
    from n2g.run.circuits import _progress

    now = [0.0]
    lines: list[str] = []
    units = {0: [0] * 4, 1: [0] * 10, 3: [0] * 10}
    done, per_layer = _progress(units, lines.append, lambda: now[0])
    now[0] = 10.0  # layer 1's 10 targets in 10 s: work 20; layer 3's still to do: work 40
    done("data", 1, 10, 50)
    assert lines[-1].endswith("10/20 units at 1.0 units/s, about 20 s left")
    assert per_layer == {"1": 50}
