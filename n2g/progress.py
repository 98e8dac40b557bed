"""Progress display for long work: a bar with count, rate and ETA (rich).

The rate is the average since this run started (work resumed from an earlier run is not
counted as done now): rich's own speed looks at the last 30 seconds only, so when one
batch takes longer than that (a deep layer, a CPU without native bfloat16) it showed
"? /s" and no ETA for the whole run. The bar is kept short so that at 80 columns the
count, rate, elapsed time and ETA all fit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:
    from rich.progress import Task
    from rich.text import Text

BAR_WIDTH = 12


def run_rate(task: Task, now: float | None = None) -> float | None:
    """Units per second since this run began (None before the first unit of this run)."""
    started = task.fields.get("run_start")
    done = task.completed - task.fields.get("run_start_completed", 0)
    if started is None or done <= 0:
        return None
    elapsed = (time.monotonic() if now is None else now) - started
    return done / elapsed if elapsed > 0 else None


class _RateColumn(ProgressColumn):
    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        from rich.text import Text

        rate = run_rate(task)
        if rate is None:
            return Text(f"– {self.unit}/s")  # nothing finished yet in this run
        if rate < 1:
            return Text(f"{rate * 60:,.1f} {self.unit}/min")
        return Text(f"{rate:,.{0 if rate >= 100 else 1}f} {self.unit}/s")  # 13,800 tokens/s


def seconds_left(task: Task, now: float | None = None) -> float | None:
    """The ETA: work left over this run's rate. Where the units cost unequally (a task
    with `cost_total`, advanced with `cost`), it is the cost left over the cost done per
    second, not the units left over the units done per second."""
    if task.total is None:
        return None
    if "cost_total" in task.fields:
        done = task.fields["cost_done"] - task.fields["run_start_cost"]
        started = task.fields.get("run_start")
        elapsed = (time.monotonic() if now is None else now) - (started or 0.0)
        if started is None or done <= 0 or elapsed <= 0:
            return None
        return max(task.fields["cost_total"] - task.fields["cost_done"], 0.0) / (done / elapsed)
    rate = run_rate(task, now)
    return None if rate is None else max(task.total - task.completed, 0) / rate


class _EtaColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        from rich.text import Text

        left = seconds_left(task)
        if left is None:
            return Text("ETA –")
        return Text(f"ETA {timedelta(seconds=round(left))}")


def make_progress(unit: str) -> Progress:
    """A rich Progress with description, bar, n/total, rate in `unit`/s, elapsed, ETA."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=BAR_WIDTH),
        MofNCompleteColumn(),
        _RateColumn(unit),
        TimeElapsedColumn(),
        _EtaColumn(),
        transient=False,
    )


def training_label(kind: str) -> str:
    """The bar of training a dictionary of this kind ("SAE", "transcoder"): its kind, not its
    spec's name, which can be long enough to push the count, rate and ETA past 80 columns
    (the run names the spec in the line before and after)."""
    return f"train {kind}"


def add_run_task(
    progress: Progress, description: str, total: float | None, completed: int = 0
) -> TaskID:
    """A task whose rate and ETA count only the work done from now on."""
    return progress.add_task(
        description,
        total=total,
        completed=completed,
        run_start=time.monotonic(),
        run_start_completed=completed,
    )


class _Advance:
    """`advance(n, cost=0.0)`: n more units done (and their cost, on a costed bar)."""

    def __init__(self, progress: Progress, task_id: TaskID) -> None:
        self.progress, self.task_id = progress, task_id

    @property
    def task(self) -> Task:
        return next(t for t in self.progress.tasks if t.id == self.task_id)

    def __call__(self, n: int = 1, cost: float = 0.0) -> None:
        fields = self.task.fields
        if "cost_total" in fields:
            fields["cost_done"] += cost
        self.progress.advance(self.task_id, n)


@contextmanager
def progress_bar(
    description: str,
    total: float | None,
    unit: str,
    *,
    completed: int = 0,
    enabled: bool = True,
    cost: tuple[float, float] | None = None,
) -> Iterator[Callable[..., None]]:
    """Yield an `advance(n)` function; shows the bar unless `enabled` is False. When the
    work ends early (a corpus shorter than the tokens asked for), the bar ends full at
    what was done, not short of a total that was never there to do.

    `cost` = (total, done so far) of the work in cost units, when units cost unequally
    (a deeper layer's neuron takes longer to build): call `advance(n, cost=c)` and the ETA
    is the cost left at the cost rate so far (`seconds_left`)."""
    if not enabled:
        yield lambda n=1, cost=0.0: None
        return
    with make_progress(unit) as progress:
        task = add_run_task(progress, description, total, completed)
        if cost is not None:
            progress.update(task, cost_total=cost[0], cost_done=cost[1], run_start_cost=cost[1])

        yield _Advance(progress, task)
        done = next(t.completed for t in progress.tasks if t.id == task)
        progress.update(task, total=done)
