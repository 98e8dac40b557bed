"""`n2g similar` and `n2g groups`: relations between units, computed once, then browsed.

`similar` computes every relation the graphs support (similar and subset pairs, the
paper's groups, and the nested communities of the weighted similarity graph:
n2g.search.grouping) and stores them, replacing the old ones. `groups` lists one level
of groups at a time (`--level 0` the paper's; 1.. the communities, finest first), or the
groups nested in one (`--parent`), with labels, what members share and, where the main
job measured it, how alike the members behave in the model.
"""

from __future__ import annotations

from typing import Annotated

import typer

from n2g import stages
from n2g.cli.common import echo, echo_json, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_options
from n2g.cli.options import Setting, field_option
from n2g.cli.search_cmd import (
    LIMIT,
    JsonOption,
    LevelOption,
    LimitOption,
    ModelOption,
    _check_threshold,
    _search,
    query_int,
)
from n2g.cli.tables import print_rows
from n2g.graph.levels import FIRING_LEVEL, LEVEL_HELP, check_level
from n2g.search import CommunityConfig, SimilarityConfig
from n2g.search.communities import MAX_LEVELS, parse_resolutions
from n2g.search.groups import COMPONENTS_LEVEL

SIMILARITY = SimilarityConfig()
COMMUNITIES = CommunityConfig()


@one_line_errors
@database_options
def similar_command(
    model: Annotated[
        list[str],
        typer.Option(
            "--model",
            "-m",
            metavar="<str>",  # one model a flag; typer would label it "<list[str]>"
            help="model to compare (repeat to compare across models)",
        ),
    ],
    threshold: Annotated[
        float, field_option(SIMILARITY, Setting("threshold", flags=("--threshold", "-t")))
    ] = SIMILARITY.threshold,
    no_subsets: Annotated[
        bool, typer.Option("--no-subsets", help="skip the SUBSET_OF pairs")
    ] = not SIMILARITY.subsets,
    floor: Annotated[float, field_option(COMMUNITIES, "floor")] = COMMUNITIES.floor,
    resolutions: Annotated[
        str,
        typer.Option(
            "--resolutions",
            help="the communities' resolutions (CPM: a group's pair scores average more), "
            f"fine to coarse, 1 to {MAX_LEVELS}, each in (0, 1]",
        ),
    ] = ",".join(f"{r:g}" for r in COMMUNITIES.resolutions),
    no_communities: Annotated[
        bool, typer.Option("--no-communities", help="only the paper's groups (level 0)")
    ] = False,
    level: LevelOption = SIMILARITY.level,
    as_json: JsonOption = False,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Compute all-pairs neuron similarity and groups; store them (replacing old ones).

    Two neurons are SIMILAR_TO when their activating tokens and their context tokens
    each overlap by ≥ threshold (|A∩B| / max); a neuron is SUBSET_OF another when its
    sets lie ≥ threshold inside the other's. Level 0 groups are connected components of
    SIMILAR_TO (the paper's); levels 1.. are communities (Leiden, CPM) of the graph
    of every pair scoring ≥ --floor (the smaller overlap), finest first, each inside one
    of the next level. Example:

      n2g similar -m smollm2-135m --threshold 0.9 --resolutions 0.5,0.2,0.05
    """
    _check_threshold(threshold)
    config = SimilarityConfig(threshold=threshold, subsets=not no_subsets, level=check_level(level))
    communities = None
    if not no_communities:
        _check_threshold(floor)
        communities = CommunityConfig(floor=floor, resolutions=parse_resolutions(resolutions))
    with _search(db_flags) as search:
        report = stages.similarity(
            search, model, config, communities=communities, progress=not as_json
        )
    if as_json:
        echo_json(report.model_dump_json())
        return
    echo(stages.similarity_summary(report))


@one_line_errors
@database_options
def groups_command(
    model: ModelOption = None,
    level: Annotated[
        int,
        typer.Option(
            "--level",
            min=0,
            max=MAX_LEVELS,
            help="0: the paper's groups (components of SIMILAR_TO); 1..: communities, finest first",
        ),
    ] = COMPONENTS_LEVEL,
    parent: Annotated[
        str | None, typer.Option("--parent", help="only the groups inside this group (a key)")
    ] = None,
    min_size: Annotated[
        int, typer.Option("--min-size", callback=query_int, help="smallest group to list")
    ] = 2,
    token_level: Annotated[float, typer.Option("--token-level", help=LEVEL_HELP)] = FIRING_LEVEL,
    limit: LimitOption = LIMIT,
    as_json: JsonOption = False,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """List groups of similar neurons, largest first, then widest spread over layers.

    Groups are made by `n2g similar`. Examples:

      n2g groups -m smollm2-135m --min-size 3
      n2g groups -m smollm2-135m --level 1
    """
    with _search(db_flags) as search:
        hits = search.groups(
            model=model,
            level=level,
            parent=parent,
            min_size=min_size,
            limit=limit,
            token_level=token_level,
        )
    hint = (
        "no groups"
        + (f" for {model!r}" if model else "")
        + f" at level {level}"
        + (" inside that group" if parent else "")
        + ": run `n2g similar -m MODEL` first (or lower --min-size)"
    )
    if level == COMPONENTS_LEVEL:  # the paper's groups: what every member shares
        columns = ["size", "layers", "members", "shared_activating", "shared_context"]
    else:  # communities: what most members fire on, how alike they behave, nesting
        columns = ["size", "layers", "label", "coactivation", "members", "parent"]
    print_rows(hits, columns, as_json, f"groups, level {level}", hint)


def register(app: typer.Typer) -> None:
    app.command("similar")(similar_command)
    app.command("groups")(groups_command)
