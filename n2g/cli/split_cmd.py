"""`n2g split`: a neuron against the SAE and transcoder latents of its layer.

Which latents a neuron splits into (their activating tokens lie mostly inside its own)
and which it overlaps most; for a latent, the neurons it lies inside (n2g.search.splits).
One table, the inside units first, every cell plain text (n2g.cli.tables); `--json` for
scripts.
"""

from __future__ import annotations

from typing import Annotated

import typer

from n2g.cli.common import echo, echo_json, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_options, open_database
from n2g.cli.search_cmd import KEY_HELP, LIMIT, JsonOption, LevelOption, LimitOption
from n2g.cli.tables import print_rows
from n2g.graph.levels import FIRING_LEVEL
from n2g.search import NeuronSearch
from n2g.search.splits import MIN_INSIDE, SplitResult, set_name

COLUMNS = [
    "key",
    "inside",
    "containment",
    "activating_overlap",
    "context_overlap",
    "shared_activating",
    "shared_context",
    "f1",
]


@one_line_errors
@database_options
def split_command(
    unit: Annotated[str, typer.Argument(help=KEY_HELP)],
    unit_set: Annotated[
        str | None,
        typer.Option(
            "--unit-set",
            "-u",
            help="compare with this unit set only (sae:NAME, tc:NAME); default: every SAE "
            "and transcoder of the layer for a neuron, the MLP neurons for a latent",
        ),
    ] = None,
    min_inside: Annotated[
        float,
        typer.Option(
            "--inside",
            help="a latent lies inside a neuron when at least this share of its activating "
            "tokens are the neuron's",
        ),
    ] = MIN_INSIDE,
    level: LevelOption = FIRING_LEVEL,
    limit: LimitOption = LIMIT,
    as_json: JsonOption = False,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Which SAE and transcoder latents of its layer a neuron splits into (or, for a latent,
    the neurons it lies inside), and which it overlaps most.

    A latent lies inside a neuron when most of its activating tokens are the neuron's
    (containment, --inside); overlap is the paper's |A∩B| / max on activating and on
    context tokens. The units inside come first. Examples:

      n2g split smollm2-135m/3/286

      n2g split smollm2-135m/3/286 --unit-set sae:L3-mlp-8x -n 10

      n2g split smollm2-135m/sae:L3-mlp-8x/1234         (the neurons it lies inside)
    """
    with open_database(db_flags) as db:
        result = NeuronSearch(db).splits(
            unit, unit_set=unit_set, min_inside=min_inside, limit=limit, level=level
        )
    if as_json:
        echo_json(result.model_dump_json())
        return
    print_rows(result.hits, COLUMNS, False, _title(result), _empty(result))
    if result.hits:
        echo(_summary(result))


def _compared(result: SplitResult) -> str:
    return ", ".join(set_name(s) for s in result.against)


def _title(result: SplitResult) -> str:
    return f"{result.key} against {_compared(result)} (layer {result.layer})"


def _empty(result: SplitResult) -> str:
    hint = " (--level 0: every token of the graphs)" if result.level > 0 else ""
    return f"no unit of {_compared(result)} shares an activating token with {result.key}{hint}"


def _summary(result: SplitResult) -> str:
    inside, share = len(result.inside), f"{result.min_inside:.0%}"
    if result.unit_set is None:
        return (
            f"{result.key} splits into {inside} of these latents (at least {share} of a "
            "latent's activating tokens are its own)"
        )
    return (
        f"{result.key} lies inside {inside} of these units (at least {share} of its "
        "activating tokens are theirs)"
    )


def register(app: typer.Typer) -> None:
    """Add `n2g split` to the app."""
    app.command("split")(split_command)
