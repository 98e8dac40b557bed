"""What taking a set of units away does to the model's loss: the result, stored and read.

`n2g ablate` (n2g.models.group_ablation does the maths, with torch) measures the change
in next-token loss when a set of units is ablated together, on texts where they fire and
on control texts, beside random sets of the same size and layers. This module is the
torch-free half, so the store, the groups listing, the JSON API and the groups page read
the result without the build extra: its type (`SetAblation`), its one line of summary,
writing it onto a Group and reading a group's members to ablate.

A group's result is stored on its node as one JSON text (`ablation`, the whole result, so
one mapping serves every reader) with the three figures a Cypher user sorts by beside it
(`ablation_firing`, `ablation_control`, `ablation_above_random`). `n2g similar` replaces
every group, and their results with them: a result belongs to the members it measured.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from n2g.db.connection import Database
from n2g.errors import N2GError
from n2g.resources import read_cypher

Mode = Literal["zero", "mean"]
MODES: tuple[Mode, ...] = ("zero", "mean")


class Spread(BaseModel):
    """A mean with its 95% interval (bootstrap over windows, or the middle 95% of random
    sets) over `n` values."""

    model_config = ConfigDict(frozen=True)

    mean: float
    low: float
    high: float
    n: int


class SetAblation(BaseModel):
    """The change in next-token loss (nats a token; positive: the model got worse) when
    `units` are ablated together."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    model: str
    units: list[str]
    layers: list[int]
    mode: Mode
    group: str | None = Field(None, description="the group measured, when it was one")
    held_out: bool = Field(
        description="firing windows are the members' test windows, which built no graph"
    )
    firing_windows: int
    control_windows: int
    context: int | None = Field(
        None, description="tokens a window kept (None: the records' whole windows)"
    )
    clean_loss_firing: float = Field(description="the unablated loss on the firing windows")
    clean_loss_control: float
    firing: Spread = Field(description="loss change over every token of the firing windows")
    at_firing: Spread | None = Field(
        None, description="loss change on the token right after a member fires"
    )
    control: Spread = Field(description="loss change on random windows of the corpus")
    random_sets: int = 0
    random_firing: Spread | None = Field(
        None, description="random sets of the same layers on the same firing windows"
    )
    random_at_firing: Spread | None = None
    random_control: Spread | None = None
    above_random: float | None = Field(
        None, description="share of random sets whose firing change is below the set's"
    )
    seconds: float = 0.0


def summary(result: SetAblation) -> str:
    """The result in a few lines (the command's answer)."""

    def spread(s: Spread | None) -> str:
        return "-" if s is None else f"{s.mean:+.4f} [{s.low:+.4f}, {s.high:+.4f}]"

    where = "held-out test windows" if result.held_out else "recorded top windows"
    if result.context is not None:
        where += f", cut to {result.context} tokens"
    lines = [
        f"{len(result.units)} units of {result.model} (layers "
        f"{', '.join(map(str, result.layers))}), {result.mode} ablation; loss change in nats "
        f"a token, mean [95% interval]:",
        f"  firing texts ({result.firing_windows} {where}, clean loss "
        f"{result.clean_loss_firing:.3f}): {spread(result.firing)}",
        f"    on the token after a firing position: {spread(result.at_firing)}",
        f"  control texts ({result.control_windows} random windows, clean loss "
        f"{result.clean_loss_control:.3f}): {spread(result.control)}",
    ]
    if result.random_sets:
        lines += [
            f"  {result.random_sets} random sets of the same layers: firing "
            f"{spread(result.random_firing)}, after firing {spread(result.random_at_firing)}, "
            f"control {spread(result.random_control)}",
            f"  the set's firing change exceeds {100 * (result.above_random or 0):.0f}% of them",
        ]
    return "\n".join(lines)


def stored(value: Any) -> SetAblation | None:
    """A Group's stored `ablation` (JSON text, or the result already parsed) or None."""
    if value is None or isinstance(value, SetAblation):
        return value
    return SetAblation.model_validate_json(value if isinstance(value, str) else json.dumps(value))


def group_units(db: Database, key: str) -> tuple[str, list[str]]:
    """A stored group's model and every member's key; N2GError when no group has `key`."""
    rows = db.read(read_cypher("queries", "group_units"), {"key": key})
    if not rows:
        raise N2GError(f"no group {key!r} in the database: list them with `n2g groups`")
    return str(rows[0]["model"]), sorted(str(m) for m in rows[0]["members"])


def write_group_ablation(db: Database, key: str, result: SetAblation) -> None:
    """Store `result` on group `key` (replacing an older one); N2GError when it is gone."""
    params = {
        "key": key,
        "ablation": result.model_dump_json(),
        "firing": result.firing.mean,
        "control": result.control.mean,
        "above_random": result.above_random,
    }
    rows = db.write(lambda tx: list(tx.run(read_cypher("queries", "group_set_ablation"), params)))
    if not rows:
        raise N2GError(f"group {key!r} is no longer in the database: nothing stored")
