"""`n2g ablate`: take a set of units away together and measure the model's loss.

The paper's safety use of groups: ablating a whole cluster of similar neurons to remove
a behaviour. The set is named one way (a stored group, a token search, or a list of
keys); the command loads the model and measures the change in next-token loss on texts
where the units fire and on control texts, beside random sets of the same layers
(n2g.run.set_ablation). A group's result is stored on it, for `n2g groups --json`, the
groups page and /api/groups. Options' defaults are AblationRequest's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from n2g.cli.common import echo, echo_json, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_options, open_database
from n2g.cli.search_cmd import JsonOption
from n2g.errors import N2GError
from n2g.run.set_ablation import AblationRequest
from n2g.search.group_ablation import MODES, summary

DEFAULTS = AblationRequest(model="-", records=Path("-"))


def _help(name: str) -> str:
    return str(AblationRequest.model_fields[name].description)


@one_line_errors
@database_options
def ablate_command(
    model: Annotated[str, typer.Option("--model", "-m", help=_help("model"))],
    records: Annotated[Path, typer.Option("--records", help=_help("records"))],
    group: Annotated[str | None, typer.Option("--group", help="a stored group's key")] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="the units a token search returns")
    ] = None,
    units: Annotated[str | None, typer.Option("--units", help="unit keys, comma-separated")] = None,
    mode: Annotated[str, typer.Option("--mode", help="zero or mean ablation")] = DEFAULTS.mode,
    per_unit: Annotated[int, typer.Option("--per-unit", help=_help("per_unit"))] = (
        DEFAULTS.per_unit
    ),
    windows: Annotated[int, typer.Option("--windows", help=_help("windows"))] = DEFAULTS.windows,
    control: Annotated[int, typer.Option("--control", help=_help("control"))] = DEFAULTS.control,
    control_corpus: Annotated[
        str | None, typer.Option("--control-corpus", help=_help("control_corpus"))
    ] = None,
    random: Annotated[int, typer.Option("--random", help=_help("random"))] = DEFAULTS.random,
    context: Annotated[int | None, typer.Option("--context", help=_help("context"))] = None,
    seed: Annotated[int, typer.Option("--seed", help="which windows and random sets")] = 0,
    batch: Annotated[int, typer.Option("--batch", help=_help("batch"))] = DEFAULTS.batch,
    memory_gb: Annotated[float | None, typer.Option("--memory-gb", help=_help("memory_gb"))] = None,
    device: Annotated[str, typer.Option("--device", help="cpu or cuda")] = DEFAULTS.device,
    dtype: Annotated[
        str, typer.Option("--dtype", help="float32, bfloat16 or auto")
    ] = DEFAULTS.dtype,
    as_json: JsonOption = False,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Ablate a set of units together; measure the change in the model's next-token loss.

    The set: a group (`n2g groups`), the units a token search returns, or keys. The loss
    change (nats a token) is measured on the members' held-out windows (where they fire)
    and on random windows of the corpus, with 95% intervals, against random sets of the
    same layers; a group's result is stored on it. Examples:

      n2g ablate -m smollm2-135m --records n2g-run/records --units smollm2-135m/1/964

      n2g ablate -m smollm2-135m --records n2g-run/records --token " import" --mode mean
    """
    if mode not in MODES:
        raise N2GError(f"--mode must be zero or mean, got {mode!r}")
    if not records.is_dir():
        raise N2GError(f"no records folder {records}")
    listed = None if units is None else [k.strip() for k in units.split(",") if k.strip()]
    try:
        request = AblationRequest(
            model=model,
            records=records,
            group=group,
            token=token,
            units=listed,
            mode="zero" if mode == "zero" else "mean",
            per_unit=per_unit,
            windows=windows,
            control=control,
            control_corpus=control_corpus,
            random=random,
            context=context,
            seed=seed,
            batch=batch,
            memory_gb=memory_gb,
            device=device,
            dtype=dtype,
        )
    except ValidationError as exc:  # a count below its bound
        error = exc.errors()[0]
        flag = "--" + str(error["loc"][0]).replace("_", "-")
        raise N2GError(f"{flag}: {error['msg'].lower()}") from None
    from n2g.run.set_ablation import ablate

    if listed is not None:
        result = ablate(None, request)
    else:
        with open_database(db_flags) as db:
            result = ablate(db, request)
    if as_json:
        echo_json(result.model_dump_json())
        return
    echo(summary(result))
    if group is not None:
        echo(f"stored on group {group}")


def register(app: typer.Typer) -> None:
    """Add `n2g ablate` to the app."""
    app.command("ablate")(ablate_command)
