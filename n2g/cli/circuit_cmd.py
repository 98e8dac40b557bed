"""`n2g circuit` and `n2g feeds`: which units feed a unit, which it feeds, and computing it.

`n2g circuit KEY` reads the stored FEEDS edges (n2g.search.circuits; torch-free, like
every read command); `n2g feeds -m MODEL` loads the model, computes the edges among the
units stored for it (n2g.circuits.stage: virtual weights on the direct path) and
replaces the old edges into the units it scored, and with `--ablate N --records DIR`
checks N units a layer by ablation and stores the measured effects on their edges. Every
cell reaches the terminal as plain text (n2g.cli.tables).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel

from n2g.cli.common import echo, echo_json, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_options, open_database
from n2g.cli.search_cmd import KEY_HELP, JsonOption, LimitOption
from n2g.cli.tables import print_rows
from n2g.db.connection import Database
from n2g.errors import N2GError
from n2g.search.circuits import MAX_DEPTH, Circuit, CircuitEdge, circuit

COLUMNS = ["hop", "source", "target", "kind", "weight", "rank", "ablation_effect", "label"]
DIRECTIONS = ("up", "down")


@one_line_errors
@database_options
def circuit_command(
    unit: Annotated[str, typer.Argument(help=KEY_HELP)],
    depth: Annotated[
        int, typer.Option("--depth", "-d", help=f"FEEDS steps to follow, 1 to {MAX_DEPTH}")
    ] = 1,
    direction: Annotated[
        str,
        typer.Option("--direction", help="up: the units that feed it; down: the units it feeds"),
    ] = "up",
    to: Annotated[
        str | None, typer.Option("--to", help="instead: the paths from the unit to this one")
    ] = None,
    source: Annotated[
        str, typer.Option("--source", help="edges computed from: weights, data or any")
    ] = "weights",
    limit: LimitOption = 50,
    as_json: JsonOption = False,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Which units feed a unit (or which it feeds), from the stored FEEDS edges.

    Edges come from `n2g feeds`: each unit's strongest feeders of earlier layers by
    virtual weight (the direct path through the residual stream), with the effect of
    ablating them where measured. A latent's key (MODEL/sae:NAME/I, MODEL/tc:NAME/I)
    reads alike once `n2g feeds --sae/--transcoder` linked it. Examples:

      n2g circuit smollm2-135m/3/286

      n2g circuit smollm2-135m/1/964 --direction down --depth 2

      n2g circuit smollm2-135m/1/964 --to smollm2-135m/3/286 --depth 3
    """
    if direction not in DIRECTIONS:
        raise N2GError(f"--direction must be up or down, got {direction!r}")
    if not 1 <= depth <= MAX_DEPTH:
        raise N2GError(f"--depth must be 1 to {MAX_DEPTH}, got {depth}")
    with open_database(db_flags) as db:
        result = circuit(
            db,
            unit,
            depth=depth,
            direction="up" if direction == "up" else "down",
            source=None if source == "any" else source,
            to=to,
            limit=limit,
        )
    if as_json:
        echo_json(result.model_dump_json())
        return
    if to is not None:
        _print_paths(result)
        return
    rows = [_Row.of(edge, direction) for edge in result.edges]
    side = "feeding" if direction == "up" else "fed by"
    print_rows(
        rows,
        COLUMNS,
        False,
        f"units {side} {unit} (up to {depth} step{'s' if depth > 1 else ''})",
        f"no stored FEEDS edge {'into' if direction == 'up' else 'out of'} {unit}",
    )


def _print_paths(result: Circuit) -> None:
    if not result.paths:
        echo(f"no FEEDS path of at most {result.depth} steps from {result.key} to {result.to}")
        return
    for path in result.paths:
        steps = " -> ".join(path.units)
        weights = ", ".join(f"{w:+.3f}" for w in path.weights)
        echo(f"{steps}  (weights {weights}; strength {path.strength:.3g})")


class _Row(BaseModel):
    """One edge as the table shows it; `label` is the far unit's."""

    hop: int
    source: str
    target: str
    kind: str
    weight: str
    rank: int
    ablation_effect: str
    label: str

    @classmethod
    def of(cls, edge: CircuitEdge, direction: str) -> _Row:
        effect = edge.ablation_effect
        far = edge.source_label if direction == "up" else edge.target_label
        return cls(
            hop=edge.hop,
            source=edge.source,
            target=edge.target,
            kind=edge.kind,
            weight=f"{edge.weight:+.4f}",
            rank=edge.rank,
            ablation_effect="-" if effect is None else f"{effect:+.3f}",
            label=far or "",
        )


FEED_SOURCES = ("weights", "data", "evidence")
# What the measurements justify (docs/results.md#circuits): where the records are there,
# only the data source ranks feeders well enough to be written unasked (precision at 5
# 0.86-0.93 against chance 0.5, weights 0.61-0.72, evidence 0.59-0.68); without records
# the weights are the one source that runs, above chance.
DEFAULT_WITH_RECORDS, DEFAULT_WITHOUT_RECORDS = "data", "weights"


def parse_sources(text: str) -> list[str]:
    """`--source`: one source, a comma list, or all."""
    chosen = list(FEED_SOURCES) if text == "all" else [s.strip() for s in text.split(",")]
    for source in chosen:
        if source not in FEED_SOURCES:
            raise N2GError(f"--source must be {', '.join(FEED_SOURCES)} or all, got {source!r}")
    return list(dict.fromkeys(chosen))


@one_line_errors
@database_options
def feeds_command(
    model: Annotated[str, typer.Option("--model", "-m", help="the model whose units to link")],
    layers: Annotated[
        str, typer.Option("--layers", help="e.g. 0-3 or 0,1,2,3 (units stored there are linked)")
    ],
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="weights (virtual weights), data (activation x gradient on the records' "
            "windows), evidence (the graphs' tokens), a comma list, or all [default: data "
            "with --records, else weights: what the ablation check justified]",
            show_default=False,
        ),
    ] = None,
    k: Annotated[int, typer.Option("--k", help="feeders kept per unit and source")] = 10,
    ablate: Annotated[
        int, typer.Option("--ablate", help="check this many units a layer by ablation (0: none)")
    ] = 0,
    records: Annotated[
        list[Path] | None,
        typer.Option(
            "--records",
            metavar="<path>",  # one folder a flag; typer would label it "<list[Path]>"
            help="records folder (the data source's and --ablate's windows); again for "
            "each --sae/--transcoder's records when the data source links latents",
        ),
    ] = None,
    sae: Annotated[
        list[str] | None,
        typer.Option(
            "--sae",
            metavar="<spec>",
            help="link the stored latents of this SAE too (its spec, as built; repeatable)",
        ),
    ] = None,
    transcoder: Annotated[
        list[str] | None,
        typer.Option(
            "--transcoder",
            metavar="<spec>",
            help="link the stored latents of this transcoder too (its spec; repeatable)",
        ),
    ] = None,
    windows: Annotated[int, typer.Option("--windows", help="test windows per checked unit")] = 8,
    crop: Annotated[
        int | None,
        typer.Option(
            "--crop",
            help="tokens kept of each window, ending at its peak [default: the data "
            "source's, chosen by the ablation check: docs/results.md]",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="which units --ablate samples")] = 0,
    min_effect: Annotated[
        float,
        typer.Option(
            "--min-effect",
            help="after --ablate: delete measured edges whose |effect| (zero and mean) is "
            "under this share of the unit's activation (0: keep all)",
        ),
    ] = 0.0,
    device: Annotated[str, typer.Option("--device", help="cpu or cuda")] = "cpu",
    as_json: JsonOption = False,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Compute FEEDS edges between a model's stored units and store them (replacing old ones).

    Each stored neuron of --layers gets its k strongest feeders among the stored neurons
    of the earlier layers, by each --source: weights (the earlier neuron's write direction
    dotted with the later one's read direction: the direct path), data (activation x
    gradient of the unit's firing activation on its train windows from --records), or
    evidence (the earlier unit's activating tokens among the later unit's tokens in the
    stored graphs). --ablate N measures, on N units a layer, what ablating each source's
    feeders and as many random earlier units does to the unit on its held-out windows,
    stores it on the edges and prints how well each source ranked it. Each source's old
    edges into the units scored are replaced; edges into other layers' units stay.

    --sae SPEC / --transcoder SPEC link the latents stored of that SAE or transcoder
    too: latents and neurons are ranked together as each other's feeders (weights: the
    decoder row as write direction, the encoder column as read direction; data: the
    dictionary spliced in, and between transcoders the exact direct contribution; their
    records given as more --records). Evidence and --ablate stay with neurons. Examples:

      n2g feeds -m smollm2-135m --layers 0-3

      n2g feeds -m smollm2-135m --layers 0-3 --source all --records n2g-run/records --ablate 8

      n2g feeds -m smollm2-135m --layers 0-3 --transcoder L2-tc-8x --source weights
    """
    from n2g.selection import parse_layers

    chosen = sorted(set(parse_layers(layers)))
    unit_sets = [(s, False) for s in sae or []] + [(s, True) for s in transcoder or []]
    folders = list(records or [])
    if len(folders) > 1 and not unit_sets:
        raise N2GError("several --records are for --sae/--transcoder latents: give one folder")
    if source is None:
        source = DEFAULT_WITH_RECORDS if folders else DEFAULT_WITHOUT_RECORDS
    sources = parse_sources(source)
    if k < 1 or k > 1000:
        raise N2GError(f"--k must be 1 to 1000, got {k}")
    if ablate < 0 or windows < 1 or (crop is not None and crop < 2):
        raise N2GError("--ablate must be 0 or more, --windows at least 1 and --crop at least 2")
    if min_effect < 0 or (min_effect and not ablate):
        raise N2GError(
            "--min-effect must be 0 or more, and needs --ablate (it drops measured edges)"
        )
    if (ablate or "data" in sources) and not folders:
        raise N2GError("--ablate and --source data need --records: the windows the units run on")
    for folder in folders:
        if not folder.is_dir():
            raise N2GError(f"--records {folder}: no such folder")
    if ablate and unit_sets:
        raise N2GError("--ablate checks neuron edges only: leave out --sae/--transcoder")
    if len(chosen) < 2 and not unit_sets:
        raise N2GError(f"--layers {layers} gives one layer: nothing upstream of it to link")
    from n2g import stages
    from n2g.models import load_model
    from n2g.search.circuits import drop_weak

    with open_database(db_flags) as db:
        depth = _depth(db, model, chosen, unit_sets)  # before loading: the store decides
        target = load_model(model, n_layers=depth, device=device)
        summary = stages.feeds(
            db,
            target,
            chosen,
            sources=sources,
            records=folders[0] if folders and not unit_sets else None,
            k=k,
            check=ablate,
            seed=seed,
            windows=windows,
            crop=crop,
            unit_sets=unit_sets,
            more_records=folders if unit_sets else (),
        )
        if min_effect:  # needs --ablate (checked above)
            summary.dropped = drop_weak(db, model, min_effect)
    if as_json:
        echo_json(json.dumps(summary.__dict__))
        return
    linked = ", ".join(
        [f"layer {layer}: {n}" for layer, n in sorted(summary.units.items())]
        + [f"{name}: {n}" for name, n in summary.latents.items()]
    )
    each = ", ".join(f"{s} {n}" for s, n in summary.by_source.items())
    echo(f"stored {summary.edges} FEEDS edges of {model} ({each}; units linked: {linked})")
    if summary.check is not None:
        echo(f"ablation check: {json.dumps(summary.check)}; {summary.measured} edges measured")
    if summary.dropped:
        echo(f"dropped {summary.dropped} measured edges under --min-effect {min_effect}")


def _depth(db: Database, model: str, layers: list[int], unit_sets: list[tuple[str, bool]]) -> int:
    """How many of the model's layers the linked units need; N2GError (one line) when what
    is asked for is not stored."""
    from n2g.circuits.latents import stored_sets
    from n2g.circuits.stage import linked_units, stored_units

    if not unit_sets:
        return max(linked_units(db, model, layers)) + 1
    deepest = [s.layer for s in stored_sets(db, model, unit_sets)]
    return max([*stored_units(db, model, layers), *deepest]) + 1


def register(app: typer.Typer) -> None:
    """Add `n2g circuit` and `n2g feeds` to the app."""
    app.command("circuit")(circuit_command)
    app.command("feeds")(feeds_command)
