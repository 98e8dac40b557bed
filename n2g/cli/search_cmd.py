"""`n2g search`, `n2g similar`, `n2g groups`, `n2g like`: neuron search (`n2g show`, one
unit read whole, is n2g.cli.show_cmd).

`n2g search` finds units by the tokens they fire on (their input side), by their label, or
with `--promotes`/`--suppresses` by the tokens their write direction pushes (their output
side, n2g.search.output_tokens). Each command runs the queries/*.cypher files through
n2g.search.NeuronSearch; tables by default, `--json` for scripts. Every table cell and
title that holds data is a plain `rich.text.Text`: a token such as "[/]" is terminal
markup to rich, and would otherwise crash the table or vanish into styling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from n2g.search.text_match import TokenizerLike

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from n2g.cli.common import echo_json, one_line_errors
from n2g.cli.db_options import NO_FLAGS, DatabaseFlags, database_options, open_database
from n2g.cli.tables import print_rows, print_text_match
from n2g.errors import N2GError
from n2g.graph.levels import FIRING_LEVEL, LEVEL_HELP
from n2g.search import NeuronSearch, SimilarityConfig
from n2g.search.bounds import MAX_QUERY_INT
from n2g.search.token_ids import check_token_or_id, text_of_token_id

# The options several search commands share (their defaults: `= False`, `= None`,
# `= LIMIT`, `= FIRING_LEVEL`).
JsonOption = Annotated[
    bool, typer.Option("--json", help="print JSON (for scripts) instead of a table")
]
ModelOption = Annotated[str | None, typer.Option("--model", "-m", help="only this model's neurons")]
LIMIT = 25


def query_int(value: int | None) -> int | None:
    """An integer option that reaches a query, refused as it is read when past what a
    query takes (n2g.search.bounds); the least values are checked by NeuronSearch."""
    if value is not None and value > MAX_QUERY_INT:
        raise typer.BadParameter(f"{value} is more than {MAX_QUERY_INT}, the most a query takes")
    return value


LimitOption = Annotated[
    int, typer.Option("--limit", "-n", callback=query_int, help="at most this many rows")
]
LevelOption = Annotated[float, typer.Option("--level", help=LEVEL_HELP)]
SIMILARITY = SimilarityConfig()
KEY_HELP = (
    "neuron key MODEL/LAYER/INDEX, or a latent's MODEL/sae:NAME/INDEX (SAE) or "
    "MODEL/tc:NAME/INDEX (transcoder)"
)


@contextmanager
def _search(db_flags: DatabaseFlags) -> Iterator[NeuronSearch]:
    with open_database(db_flags) as db:
        yield NeuronSearch(db)


def _check_threshold(threshold: float) -> None:
    if not 0.0 <= threshold <= 1.0:
        raise N2GError(f"threshold must be between 0 and 1, got {threshold}")


@one_line_errors
@database_options
def search_command(
    token: Annotated[
        str | None, typer.Argument(help="exact text of a token the neuron fires on")
    ] = None,
    context: Annotated[
        str | None, typer.Option("--context", "-c", help="exact text of a context token")
    ] = None,
    token_id: Annotated[
        int | None,
        typer.Option(
            "--token-id",
            min=0,
            callback=query_int,
            help="instead of the token: its id in --model's tokenizer",
        ),
    ] = None,
    tokenizer: Annotated[
        str | None,
        typer.Option(
            "--tokenizer", help="for --token-id: 'byte' or a tokenizer name (default: the model's)"
        ),
    ] = None,
    repeated: Annotated[
        bool,
        typer.Option("--repeated", help="neurons with a token both activating and in context"),
    ] = False,
    label: Annotated[
        str | None, typer.Option("--label", help="instead: units whose label holds it")
    ] = None,
    promotes: Annotated[
        str | None,
        typer.Option(
            "--promotes", help="instead: units whose write direction promotes this output token"
        ),
    ] = None,
    suppresses: Annotated[
        str | None,
        typer.Option("--suppresses", help="instead: units whose write direction suppresses it"),
    ] = None,
    model: ModelOption = None,
    layer: Annotated[
        int | None, typer.Option("--layer", "-l", callback=query_int, help="only this layer")
    ] = None,
    level: LevelOption = FIRING_LEVEL,
    limit: LimitOption = LIMIT,
    as_json: JsonOption = False,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Find neurons by the tokens they fire on and the context they need.

    Tokens are exact texts, leading space included; a byte that is not part of a whole
    character is written <0xNN> (' <0xE2>'). Examples:

      n2g search "/"                                (fires on "/")

      n2g search "/" --context " *"                 (... after " *", same trie path)

      n2g search --context " *" -m smollm2-135m -l 3

      n2g search --token-id 31 -m smollm2-135m      (token 31 of the model: "/")

      n2g search --repeated -m smollm2-135m         (in-context-learning candidates)

      n2g search --label "://"                      (units labelled with it)
    """
    if token_id is not None:
        token = _token_text(token, token_id, model, tokenizer)
    with _search(db_flags) as search:
        if promotes is not None or suppresses is not None:
            if token is not None or context is not None or label is not None or repeated:
                raise N2GError(
                    "--promotes and --suppresses search output tokens alone: "
                    "give no token, --context, --label or --repeated"
                )
            _print_output_search(search, promotes, suppresses, model, layer, limit, as_json)
            return
        if label is not None:
            if token is not None or context is not None or repeated:
                raise N2GError("--label searches labels alone: give no token or --repeated")
            found = search.label_search(label, model=model, layer=layer, limit=limit)
            print_rows(found, ["key", "label", "f1"], as_json, "units", "no label holds it")
            return
        if repeated:
            if token is not None or context is not None:
                raise N2GError("--repeated takes no token: it finds repeated tokens itself")
            repeats = search.repeated_tokens(model=model, layer=layer, limit=limit, level=level)
            print_rows(
                repeats,
                ["key", "n_repeated", "tokens", "activation"],
                as_json,
                "neurons with repeated tokens",
                "no neuron has a repeated token",
            )
            return
        hits = search.token_search(
            token, context, model=model, layer=layer, limit=limit, level=level
        )
    columns = ["key", "layer", "index"]
    columns += ["activation"] if token is not None else []
    columns += ["importance"] if context is not None else []
    columns += ["distance"] if token is not None and context is not None else []
    print_rows(hits, [*columns, "f1", "label"], as_json, "neurons", "no neuron matches")


@one_line_errors
@database_options
def like_command(
    neuron: Annotated[str | None, typer.Argument(help=KEY_HELP)] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="instead: neurons whose graphs fire on it")
    ] = None,
    model: ModelOption = None,
    tokenizer: Annotated[
        str | None,
        typer.Option(
            "--tokenizer", help="for --text: 'byte' or a tokenizer name (default: the model's)"
        ),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option("--threshold", "-t", help="for --text: normalised activation that counts"),
    ] = FIRING_LEVEL,
    min_score: Annotated[
        float, typer.Option("--min-score", help="only neurons scoring at least this, in [0, 1]")
    ] = 0.5,
    level: LevelOption = FIRING_LEVEL,
    limit: LimitOption = LIMIT,
    as_json: JsonOption = False,
    db_flags: DatabaseFlags = NO_FLAGS,
) -> None:
    """Find neurons like a given one, or the neurons whose graphs fire on a text.

    Score = the smaller of the activating-token and context-token overlaps (≥ 0.9 is
    the paper's "similar"); the shared tokens explain it. Examples:

      n2g like smollm2-135m/1/964 --min-score 0.3

      n2g like --text "The capital of France is Paris." -m smollm2-135m
    """
    _check_threshold(threshold)
    with _search(db_flags) as search:
        if text is None:
            if neuron is None:
                raise N2GError(
                    "give a neuron key (MODEL/LAYER/INDEX, MODEL/sae:NAME/INDEX or "
                    "MODEL/tc:NAME/INDEX) or --text"
                )
            hits = search.like(neuron, model=model, min_score=min_score, limit=limit, level=level)
            print_rows(
                hits,
                [
                    "key",
                    "score",
                    "activating_overlap",
                    "context_overlap",
                    "shared_activating",
                    "shared_context",
                ],
                as_json,
                f"neurons like {neuron}",
                f"no neuron scores {min_score} or more like {neuron!r} "
                "(--min-score 0 lists every neuron sharing a token)"
                if min_score > 0
                else f"no neuron shares a token with {neuron!r} at level {level}"
                + (" (--level 0: every token of the graphs)" if level > 0 else ""),
            )
            return
        if neuron is not None:
            raise N2GError("--text takes no neuron key")
        if model is None:  # one model stored: that one
            models = sorted(search.models())
            if len(models) != 1:
                known = ", ".join(models) or "none yet"
                raise N2GError(f"--text needs --model: the database holds {known}")
            model = models[0]
        search.require_model(model)
        match = search.fires_on_text(
            model, text, _tokenizer(tokenizer or model), threshold=threshold, limit=limit
        )
    if as_json:
        echo_json(match.model_dump_json())
        return
    print_text_match(match)


def _print_output_search(
    search: NeuronSearch,
    promotes: str | None,
    suppresses: str | None,
    model: str | None,
    layer: int | None,
    limit: int,
    as_json: bool,
) -> None:
    """`n2g search --promotes T` (`--suppresses T`): units by their output side."""
    if promotes is not None and suppresses is not None:
        raise N2GError("give --promotes or --suppresses, not both")
    token = promotes if promotes is not None else suppresses
    assert token is not None
    verb = "promotes" if promotes is not None else "suppresses"
    hits = search.output_search(
        token, suppressed=promotes is None, model=model, layer=layer, limit=limit
    )
    empty = (
        f"no unit {verb} {token!r} among its strongest output tokens (graphs built before "
        "n2g kept output tokens have none: rebuild them)"
    )
    print_rows(
        hits,
        ["key", "rank", "logit", "f1", "label"],
        as_json,
        f"units whose write direction {verb} {token!r}",
        empty,
    )


def register(app: typer.Typer) -> None:
    """Add the search commands to the `n2g` app."""
    app.command("search")(search_command)
    app.command("like")(like_command)


def _tokenizer(name: str) -> TokenizerLike:
    """'byte' → ByteTokenizer; else the tokenizer of the named model (n2g.models)."""
    from n2g.models import load_tokenizer
    from n2g.models.tokenizers import ByteTokenizer

    return ByteTokenizer() if name == "byte" else load_tokenizer(name)


def _token_text(token: str | None, token_id: int, model: str | None, name: str | None) -> str:
    """The text of token `token_id` in the model's tokenizer (found as `like --text` finds
    it): the text the store keys the token by, one text an id."""
    check_token_or_id(token, token_id, model)
    assert model is not None  # checked above
    return text_of_token_id(_tokenizer(name or model), token_id)
