"""Progress bars tell the time: a rate and an ETA from the first finished unit on, however
long one unit takes (rich's own speed only looks back 30 seconds), at 80 columns."""

from __future__ import annotations

import io

from rich.console import Console

from n2g.progress import add_run_task, make_progress, run_rate


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
