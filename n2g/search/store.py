"""Every database call of the search layer: token search, similarity, groups, tries.

The Cypher is in queries/*.cypher and the graph <-> database mapping in n2g.db.mapping;
this module only runs the queries with their parameters and hands rows on, so the search
API (n2g.search.api) validates and orchestrates without touching the database itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from neo4j import ManagedTransaction

from n2g.db.connection import Database
from n2g.db.mapping import graph_from_line, graphs_from_records
from n2g.db.messages import run_in_messages
from n2g.graph.levels import FIRING_LEVEL
from n2g.graph.model import NeuronGraph
from n2g.graph.token_fold import fold_token
from n2g.resources import read_cypher
from n2g.search.groups import NeuronGroupRow
from n2g.search.similarity import NeuronTokenSets, Relation, SimilarPair

WRITE_BATCH = 5_000  # rows per UNWIND statement
Row = dict[str, Any]


def query(stem: str) -> str:
    """The Cypher of queries/<stem>.cypher."""
    return read_cypher("queries", stem)


def read_token_sets(
    db: Database, models: Sequence[str], level: float = FIRING_LEVEL
) -> list[NeuronTokenSets]:
    """Every neuron of `models` with its activating and context token sets (one query): the
    tokens whose paths predict at least `level` (n2g.graph.levels)."""
    rows = db.read(query("similarity_token_sets"), {"models": list(models), "level": level})
    return [
        NeuronTokenSets(
            key=row["key"],
            layer=int(row["layer"]),
            activating=frozenset(row["activating"]),
            context=frozenset(row["context"]),
        )
        for row in rows
    ]


def _batches(rows: list[dict[str, Any]], size: int = WRITE_BATCH) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def write_similarity(
    db: Database,
    models: Sequence[str],
    scope: str,
    pairs: Sequence[SimilarPair],
    groups: Sequence[NeuronGroupRow],
    run: dict[str, Any] | None = None,
) -> None:
    """Replace the similarity relationships and groups of `models` in ONE transaction.

    Either the whole new result is visible or the old one stays: an interrupted or failed
    write loses nothing already stored. `run` ({"threshold", "level"}), when given, is
    recorded on each model's (:Model) node (queries/similarity_record_run.cypher).
    """
    similar = [p.as_row() for p in pairs if p.relation == Relation.SIMILAR_TO]
    subset = [p.as_row() for p in pairs if p.relation == Relation.SUBSET_OF]
    group_rows = [g.as_row() for g in groups]
    record = None if run is None else {"models": list(models), "scope": scope, **run}

    def work(tx: ManagedTransaction) -> None:
        tx.run(query("similarity_clear"), {"models": list(models)}).consume()
        tx.run(query("groups_clear"), {"model": scope}).consume()
        for stem, rows, name in (
            ("similarity_write_similar", similar, "pairs"),
            ("similarity_write_subset", subset, "pairs"),
            ("groups_write", group_rows, "groups"),
        ):
            for batch in _batches(rows):  # each batch in messages under the server's limit
                run_in_messages(tx, query(stem), name, batch)
        tx.run(query("groups_link_parents"), {"model": scope}).consume()
        if record is not None:  # the run itself, on each model (the service's unit page)
            tx.run(query("similarity_record_run"), record).consume()

    db.write(work)


def model_similarity_run(db: Database, model: str) -> Row | None:
    """The last `n2g similar` run recorded on `model` ({"threshold", "level", "scope"}),
    None when none is (queries/model_similarity.cypher)."""
    rows = db.read(query("model_similarity"), {"model": model})
    return rows[0] if rows and rows[0]["threshold"] is not None else None


def model_counts(db: Database) -> dict[str, int]:
    """Model name → number of neurons stored for it."""
    return {row["model"]: int(row["neurons"]) for row in db.read(query("models"), {})}


def model_layers(db: Database, model: str | None) -> list[int]:
    """The layers holding neuron graphs of `model` (None: of any model), ascending."""
    return [int(row["layer"]) for row in db.read(query("model_layers"), {"model": model})]


def model_has_neurons(db: Database, model: str) -> bool:
    """Does `model` have at least one neuron graph? (one indexed lookup, no counting)"""
    rows = db.read(query("model_exists"), {"model": model})
    return bool(rows and rows[0]["has_neurons"])


def neuron_exists(db: Database, key: str) -> bool:
    return bool(db.read(query("neuron_exists"), {"key": key}))


def _token_query(
    token: str | None, context: str | None, model: str | None, layer: int | None, level: float
) -> tuple[str, dict[str, Any]]:
    """The token search's query stem and parameters (but its page: skip, limit)."""
    params: dict[str, Any] = {"model": model, "layer": layer, "level": level}
    if token is not None:
        params.update(token=token, folded=fold_token(token))
    if context is not None:
        params.update(context=context, folded_context=fold_token(context))
    if token is not None and context is not None:
        return "token_activating_with_context", params
    return ("token_activating" if token is not None else "token_context"), params


def token_hits(
    db: Database,
    token: str | None,
    context: str | None,
    *,
    model: str | None,
    layer: int | None,
    limit: int,
    level: float = FIRING_LEVEL,
    skip: int = 0,
) -> list[Row]:
    """Neurons activating on `token`, with `context`, or both on one trie path, where the
    token's paths predict at least `level`: `limit` of them after the first `skip`."""
    stem, params = _token_query(token, context, model, layer, level)
    return db.read(query(stem), params | {"skip": skip, "limit": limit})


def token_hit_count(
    db: Database,
    token: str | None,
    context: str | None,
    *,
    model: str | None,
    layer: int | None,
    level: float = FIRING_LEVEL,
) -> int:
    """How many neurons `token_hits` finds in all (queries/*_count.cypher)."""
    stem, params = _token_query(token, context, model, layer, level)
    return int(db.read(query(f"{stem}_count"), params)[0]["total"])


def repeated_token_hits(
    db: Database,
    *,
    model: str | None,
    layer: int | None,
    limit: int,
    level: float = FIRING_LEVEL,
    skip: int = 0,
) -> list[Row]:
    """Neurons with a token both activating and in context (each at `level` or above):
    `limit` of them after the first `skip`."""
    params = {"model": model, "layer": layer, "limit": limit, "level": level, "skip": skip}
    return db.read(query("repeated_tokens"), params)


def repeated_token_count(
    db: Database, *, model: str | None, layer: int | None, level: float = FIRING_LEVEL
) -> int:
    """How many neurons `repeated_token_hits` finds in all."""
    params = {"model": model, "layer": layer, "level": level}
    return int(db.read(query("repeated_tokens_count"), params)[0]["total"])


def like_hits(
    db: Database,
    key: str,
    *,
    model: str | None,
    min_score: float,
    limit: int,
    level: float = FIRING_LEVEL,
) -> list[Row]:
    """The neurons most like `key`, with their scores and shared tokens (the token sets at
    `level`)."""
    params = {"key": key, "model": model, "min_score": min_score, "limit": limit}
    params.update(level=level, firing=FIRING_LEVEL)
    return db.read(query("like_neuron"), params)


def similar_pair_rows(db: Database, model: str, relation: Relation, limit: int) -> list[Row]:
    """The stored SIMILAR_TO or SUBSET_OF pairs of `model`, most similar first."""
    params = {"model": model, "relation": relation.value, "limit": limit}
    return db.read(query("similar_pairs"), params)


def group_rows(
    db: Database,
    *,
    model: str | None,
    level: int,
    parent: str | None,
    min_size: int,
    limit: int,
    max_members: int,
) -> list[Row]:
    """The stored groups of one level (those inside `parent` when given), largest first."""
    params = {"model": model, "level": level, "parent": parent, "min_size": min_size}
    params |= {"limit": limit, "max_members": max_members}
    return db.read(query("groups_list"), params)


def group_exists(db: Database, key: str) -> bool:
    return bool(db.read(query("group_exists"), {"key": key}))


def write_group_coactivation(db: Database, rows: Sequence[Row]) -> None:
    """Store each group's measured co-activation (n2g.run.coactivation)."""

    def work(tx: ManagedTransaction) -> None:
        for batch in _batches(list(rows)):
            run_in_messages(tx, query("groups_set_coactivation"), "rows", batch)

    db.write(work)


def group_tokens(
    db: Database, keys: Sequence[str], max_tokens: int, level: float = FIRING_LEVEL
) -> dict[str, dict]:
    """Group key → {shared_activating, shared_context}: the tokens all its members share
    (at `level` or above)."""
    if not keys:
        return {}
    params = {"keys": list(keys), "max_tokens": max_tokens, "level": level}
    rows = db.read(query("group_tokens"), params)
    return {
        row["key"]: {"shared_activating": row["activating"], "shared_context": row["context"]}
        for row in rows
    }


def text_candidates(
    db: Database,
    tokens: Sequence[str],
    model: str,
    threshold: float = 0.0,
    *,
    skip: int = 0,
    page: int = 1_000_000,
) -> list[dict[str, Any]]:
    """The neurons of `model` activating on one of `tokens` (or on its folded form, in
    graphs built with token folding) with a value of at least `threshold` (and above 0),
    strongest `bound` first, `page` of them after the first `skip`: each row's key, layer,
    index, bound (no prediction on the text exceeds it), fold (reads folded ids) and
    paths (n2g.graph.path_table's JSON; None on units loaded before paths were stored)."""
    forms = sorted({form for token in tokens for form in (token, fold_token(token))})
    params = {"tokens": forms, "model": model, "threshold": threshold}
    params |= {"skip": skip, "page": page}
    rows = db.read(query("text_candidates"), params, plain=False)
    if not rows:
        return []
    lists = rows[0]
    names = ("keys", "layers", "indexes", "bounds", "folds", "paths")
    return [
        {"key": key, "layer": layer, "index": index, "bound": bound, "fold": fold}
        | {"paths": paths or None}
        for key, layer, index, bound, fold, paths in zip(
            *(lists[name] for name in names), strict=True
        )
    ]


def read_graphs(db: Database, keys: Sequence[str]) -> dict[str, NeuronGraph]:
    """The neuron graphs of `keys`, evidence included, from the lines stored whole on their
    neurons (one indexed lookup each); units loaded before those lines existed are rebuilt
    from their nodes. Missing keys are absent."""
    return graphs_from_rows(db, db.read(query("unit_graphs"), {"keys": list(keys)}))


def graphs_from_rows(db: Database, rows: Sequence[dict[str, Any]]) -> dict[str, NeuronGraph]:
    """The graphs of queries/unit_graphs.cypher's rows: parsed from their lines, or rebuilt
    from their nodes where a unit has no line."""
    graphs = {row["key"]: graph_from_line(row["key"], row["graph"]) for row in rows if row["graph"]}
    older = [row["key"] for row in rows if not row["graph"]]
    return {**graphs, **(read_graphs_from_nodes(db, older) if older else {})}


def read_graphs_from_nodes(db: Database, keys: Sequence[str]) -> dict[str, NeuronGraph]:
    """The graphs of `keys` rebuilt from their trie and (:Example) nodes (missing keys are
    absent): what the searchable form says, by the one mapping."""
    params = {"keys": list(keys)}
    return graphs_from_records(
        db.read(query("neuron_graph"), params, plain=False),
        db.read(query("unit_examples"), params, plain=False),
    )


def layer_unit_sets(db: Database, key: str) -> list[Row]:
    """The unit sets on unit `key`'s layer of its model ('' for the MLP neurons), each row
    with the model, layer, unit_set and units; none when `key` is not stored."""
    return db.read(query("layer_unit_sets"), {"key": key})


def split_hits(
    db: Database,
    key: str,
    *,
    unit_set: str | None,
    min_inside: float,
    limit: int,
    level: float = FIRING_LEVEL,
) -> list[Row]:
    """The units of `key`'s layer in `unit_set` (None: the other kind of unit) sharing an
    activating token with it, with overlaps, containment and shared tokens, inside first."""
    params = {"key": key, "unit_set": unit_set, "min_inside": min_inside, "limit": limit}
    return db.read(query("unit_splits"), params | {"level": level})


def group_members(db: Database, scope: str) -> list[Row]:
    """Every group of `scope` with its level, size and all members."""
    return db.read(query("group_members"), {"model": scope})


def write_model_coactivation(db: Database, model: str, summary: str) -> None:
    """Store the check of `model`'s relations (JSON text) on its (:Model) node."""
    db.write(
        lambda tx: tx.run(
            query("model_set_coactivation"), {"model": model, "summary": summary}
        ).consume()
    )


def model_coactivation(db: Database, model: str) -> str | None:
    """The stored check of `model`'s relations (JSON text), None when never measured."""
    rows = db.read(query("model_coactivation"), {"model": model})
    return rows[0]["summary"] if rows else None
