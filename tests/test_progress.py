"""Progress bars tell the time: a rate and an ETA from the first finished unit on, however
long one unit takes (rich's own speed only looks back 30 seconds), at 80 columns."""

from __future__ import annotations

import io
import re

from rich.console import Console

from n2g.progress import add_run_task, make_progress, progress_bar, run_rate


def _rendered(progress, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, force_terminal=False)
    console.print(progress.get_renderable())
    return console.file.getvalue()


def test_the_rate_is_the_average_since_the_run_began_not_the_last_30_seconds() -> None:
    progress = make_progress("neurons")
    task_id = add_run_task(progress, "build", total=100, completed=40)  # 40 from a resume
    task = progress.tasks[task_id]
    assert run_rate(task) is None  # nothing done in this run yet
    start = task.fields["run_start"]
    progress.advance(task_id, 2)
    # two units after 10 minutes: 0.2 a minute, and the ETA follows from it
    assert abs(run_rate(task, now=start + 600) - 2 / 600) < 1e-12


def test_the_bar_shows_count_rate_elapsed_and_eta_at_80_columns() -> None:
    progress = make_progress("neurons")
    task_id = add_run_task(progress, "build", total=6144)
    progress.tasks[task_id].fields["run_start"] -= 3600  # an hour ago
    progress.advance(task_id, 1536)
    line = _rendered(progress)
    assert "1536/6144" in line
    assert "neurons/s" in line or "neurons/min" in line
    assert "?" not in line
    assert "ETA 3:00:0" in line  # a quarter done in an hour: three hours left
    assert all(len(row) <= 80 for row in line.splitlines())


def test_the_record_and_ingest_bars_fit_80_columns_at_their_largest() -> None:
    """The main job's recording (1,048,576 tokens at bfloat16 speed) and a whole model's
    ingest (46,080 neurons): count, rate, elapsed time and ETA on one line of 80."""
    from n2g.progress import training_label
    from n2g.record.recorder import PROGRESS_LABEL
    from n2g.search.grouping import COMMUNITIES_LABEL, SIMILARITY_LABEL

    for description, unit, total, done in (
        (PROGRESS_LABEL, "tokens", 1_048_576, 524_288),
        ("ingest", "neurons", 46_080, 12_000),
        ("build", "neurons", 46_080, 12_000),
        (SIMILARITY_LABEL, "neurons", 46_080, 46_080),
        (COMMUNITIES_LABEL, "units", 46_080, 46_080),
        (training_label("transcoder"), "tokens", 524_288, 262_144),  # a dictionary's training
    ):
        progress = make_progress(unit)
        task_id = add_run_task(progress, description, total=total)
        progress.tasks[task_id].fields["run_start"] -= 38  # ~13,800 tokens/s for record
        progress.advance(task_id, done)
        line = _rendered(progress)
        assert len(line.strip().splitlines()) == 1 and len(line.rstrip("\n")) <= 80, line
        assert f"{done}/{total}" in line and f"{unit}/s" in line
        assert re.search(r" \d+:\d\d:\d\d ETA \d+:\d\d:\d\d", line), line  # elapsed, ETA


def test_a_real_ingest_bar_keeps_to_80_columns(db, capsys, monkeypatch) -> None:
    from n2g.db.ingest import ingest_graphs
    from n2g.testing.synthetic import synthetic_graphs

    monkeypatch.setenv("COLUMNS", "80")
    ingest_graphs(db, list(synthetic_graphs(40, seed=2)), batch_size=10, progress=True)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "40/40" in last and "neurons/s" in last and "ETA" in last and len(last) <= 80, last


def test_work_that_ends_early_ends_its_bar_full(capsys) -> None:
    """A corpus shorter than the tokens asked for: the bar ends at what was done (it said
    "260608/1048576" with an ETA before)."""
    with progress_bar("record", 1000, "tokens") as advance:
        advance(260)
    shown = capsys.readouterr()
    assert "260/260" in shown.out + shown.err
    assert "/1000" not in shown.out + shown.err


def test_the_eta_weighs_units_by_their_cost() -> None:
    """A build whose deep layers cost more: after layer 0's 10 units (cost 1 each) in 10 s,
    10 units of layer 3 (cost 4 each) are 40 s away, not the 10 s the unit rate says."""
    import time

    from n2g.progress import progress_bar, seconds_left

    with progress_bar("build", 20, "neurons", cost=(50.0, 0.0)) as advance:
        task = advance.task
        task.fields["run_start"] = time.monotonic() - 10.0
        for _ in range(10):
            advance(1, cost=1.0)
        task = advance.task
        assert task.completed == 10 and task.fields["cost_done"] == 10.0  # counts in units
        left = seconds_left(task)
        assert left is not None and 39.0 < left < 41.0
        del task.fields["cost_total"]  # the same bar by units alone: 10 s
        by_units = seconds_left(task)
        assert by_units is not None and 9.0 < by_units < 11.0
