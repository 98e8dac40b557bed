"""`n2g run`: the main job end to end (`n2g report`, on its graph files, is report_cmd)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from n2g.cli.common import echo, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_config, database_options
from n2g.cli.options import NOTHING, Explicit, settings_options
from n2g.cli.stage_options import (
    BUILD_PANEL,
    LOCAL,
    RECORD_PANEL,
    RUN,
    RUN_BUILD_SETTINGS,
    RUN_RECORD_SETTINGS,
    RUN_SETTINGS,
    ExecutorFlags,
    MethodOption,
    PrintSettingsOption,
    executor_options,
    print_settings,
)
from n2g.run.method import Method, settle


@one_line_errors
@database_options
@executor_options
@settings_options("build", RUN.build, RUN_BUILD_SETTINGS, BUILD_PANEL)
@settings_options("record", RUN.record, RUN_RECORD_SETTINGS, RECORD_PANEL)
@settings_options("given", RUN, RUN_SETTINGS)
def run(
    given: Explicit = NOTHING,
    method: MethodOption = Method.N2G,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bars")] = False,
    show_settings: PrintSettingsOption = False,
    record: Explicit = NOTHING,
    build: Explicit = NOTHING,
    executor_flags: ExecutorFlags = LOCAL,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Record, build, ingest, search and report: text to searchable neuron graphs.

    Interrupt it at any stage and run the same command again: it finishes what is left.

    Examples: n2g run --layers 0-1 --neurons-per-layer 16 --max-tokens 65536

      n2g run --layers all --neurons-per-layer 64   (a sample of every layer of the model)

      n2g run --method paper --out paper-run   (the paper's settings, for comparison)

      n2g run --sae L3-mlp-8x   (also an SAE's latents: trained once, compared with layer 3)

      n2g run --executor ray --ray-address auto   (record and build on a Ray cluster)

      n2g run --sae L3-mlp-8x --transcoder L3-tc-8x   (and a transcoder's: all three compared)
    """
    from n2g.run.job import run_pipeline

    config = settle(
        RUN,
        method,
        {
            **given,
            "record": record,
            "build": build,
            "executor": executor_flags.executor,
            "cluster": executor_flags.cluster,
        },
    )
    if show_settings:
        print_settings(config)
        return
    db_config = database_config(db_flags)
    run_pipeline(config, db_config, progress=not quiet, say=echo)
    echo(f"\ndone: report in {config.report_dir}/report.md")
    echo(f"browse the graphs and their evidence: {browse_command(db_flags)}")


def browse_command(db_flags: DatabaseFlags) -> str:
    """The `n2g serve` line that browses what a run stored: the database the run was
    given by flag (never its password: `n2g serve` reads N2G_PASSWORD as the run did)."""
    program = sys.argv[0] if Path(sys.argv[0]).name == "n2g" else "n2g"  # as the user typed it
    words = [shlex.quote(program), "serve"]
    for flag, value in (("--uri", db_flags.uri), ("--user", db_flags.user)):
        if value:
            words.append(f"{flag} {shlex.quote(value)}")
    if db_flags.database:
        words.append(f"--database {shlex.quote(db_flags.database)}")
    return " ".join(words) + "   (then open http://127.0.0.1:8000/)"


def register(app: typer.Typer) -> None:
    """Add `n2g run` to the app."""
    app.command("run")(run)
