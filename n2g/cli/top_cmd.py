"""`n2g top`: the best or worst units by a score, overall, in one layer or per layer."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from n2g.cli.common import echo_json, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_options, open_database
from n2g.cli.search_cmd import JsonOption, query_int
from n2g.cli.tables import print_rows
from n2g.search import NeuronSearch, store

COLUMNS = ["key", "score", "f1", "n_activating_tokens", "label"]
# `n2g top` and `n2g export` choose units alike.
UnitModelOption = Annotated[
    str | None, typer.Option("--model", "-m", help="only this model's units")
]
UnitLayerOption = Annotated[
    int | None, typer.Option("--layer", "-l", callback=query_int, help="only this layer's units")
]


@one_line_errors
@database_options
def top_command(
    score: Annotated[
        str,
        typer.Option(
            "--by",
            help="the stored score to rank by, e.g. f1, precision, recall, correlation_n2g, "
            "ood_f1, ood_false_positive_rate, detection_n2g, fuzzing_n2g (delphi's), or a "
            "baseline's (ngram_f1, token_lookup_f1, detection_bigram)",
        ),
    ] = "f1",
    worst: Annotated[bool, typer.Option("--worst", help="the lowest scores first")] = False,
    model: UnitModelOption = None,
    layer: UnitLayerOption = None,
    per_layer: Annotated[
        bool, typer.Option("--per-layer", help="a ranking for each layer")
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", "-n", callback=query_int, help="units per ranking")
    ] = 10,
    as_json: JsonOption = False,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """List the units N2G explains best (or worst) by a score, with the tokens they fire on.

    Units whose score is undefined (no firing test token) are left out. Examples:

      n2g top --layer 2
      n2g top --by correlation_n2g --per-layer -n 3
      n2g top --worst -m smollm2-135m
    """
    with open_database(db_flags) as db:
        search = NeuronSearch(db)
        search.require_model(model)
        layers = store.model_layers(db, model) if per_layer and layer is None else [layer]
        rankings = {
            each: search.top(score, model=model, layer=each, worst=worst, limit=limit)
            for each in layers
        }
    if as_json:
        rows = {str(k): [u.model_dump() for u in v] for k, v in rankings.items()}
        echo_json(json.dumps(rows if per_layer else rows[str(layer)], ensure_ascii=False))
        return
    order = "lowest" if worst else "highest"
    for each, units in rankings.items():
        where = f" in layer {each}" if each is not None else ""
        title = f"units with the {order} {score}{where}"
        print_rows(units, COLUMNS, False, title, f"no unit has a {score} score{where}")


def register(app: typer.Typer) -> None:
    """Add `n2g top` to the app."""
    app.command("top")(top_command)
