"""Which neurons' graphs fire on a text, with the predicted activation of every token.

Candidates come from an index lookup (queries/text_candidates.cypher): the neurons that
activate on one of the text's tokens at least as strongly as the threshold. A neuron that
does not cannot reach the threshold on this text (every path starts at an activating token,
whose stored value is the largest end value beneath it), so nothing is missed. The lookup
returns each candidate's paths too, and all candidates predict together in one path table
(n2g.graph.path_table): exactly what each one's trie predicts, without reading, validating
and compiling every whole graph.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from n2g.db.connection import Database
from n2g.errors import N2GError
from n2g.graph.model import NeuronGraph
from n2g.graph.path_table import PathTable, graph_paths
from n2g.graph.predict import NeuronTrie
from n2g.graph.token_fold import TokenClasses, vocabulary_classes
from n2g.search.store import read_graphs, text_candidates

FETCH_BATCH = 500  # whole graphs fetched per round trip (bench.like_text's plain way)
FIRST_PAGE = 200  # candidates fetched first (pages double while later ones could rank)


class TokenizerLike(Protocol):
    vocab_size: int

    def encode(self, text: str) -> list[int]: ...

    def token_strings(self, ids: Sequence[int]) -> list[str]: ...


class NeuronOnText(BaseModel):
    """One neuron's predicted (normalised) activation on every token of the text."""

    model_config = ConfigDict(frozen=True)

    key: str
    layer: int
    index: int
    max_activation: float
    activations: list[float]
    firing_tokens: list[int] = Field(description="positions whose prediction ≥ the threshold")


class TextMatch(BaseModel):
    """The text's tokens and the neurons predicted to fire on it, strongest first."""

    model_config = ConfigDict(frozen=True)

    model: str
    tokens: list[str]
    token_ids: list[int]
    threshold: float
    neurons: list[NeuronOnText]


def predict_on_tokens(
    graphs: Iterable[NeuronGraph],
    token_ids: Sequence[int],
    threshold: float,
    classes: TokenClasses | None = None,
) -> list[NeuronOnText]:
    """Run each graph's trie on the tokens; keep neurons reaching `threshold` somewhere.

    Graphs built with token folding read the tokens' classes (`classes`, the vocabulary's
    folding map; required when such a graph is given)."""
    out = []
    folded_ids = classes.map(token_ids) if classes is not None else None
    for graph in graphs:
        ids: Sequence[int] | np.ndarray = token_ids
        if graph.settings.fold_tokens:
            if folded_ids is None:
                raise N2GError(f"{graph.key} was built with token folding: give the classes")
            ids = folded_ids
        prediction = NeuronTrie.from_graph(graph).predict(ids)
        peak = float(prediction.max()) if len(prediction) else 0.0
        if peak <= 0.0 or peak < threshold:
            continue
        out.append(
            NeuronOnText(
                key=graph.key,
                layer=graph.layer,
                index=graph.neuron,
                max_activation=peak,
                activations=[float(v) for v in prediction],
                firing_tokens=[i for i, v in enumerate(prediction) if v >= threshold],
            )
        )
    out.sort(key=lambda n: (-n.max_activation, n.layer, n.index))
    return out


def _top_is_settled(neurons: list[NeuronOnText], limit: int, last: dict) -> bool:
    """Whether no candidate after `last` (the query's order: bound descending, then layer
    and index) can enter the top `limit` of `neurons` (sorted by peak descending, then
    layer and index): its peak is at most its bound, at most `last`'s bound."""
    if len(neurons) < limit:
        return False
    kth = neurons[limit - 1]
    bound = float(np.float32(last["bound"]))  # the peaks are float32 values
    if kth.max_activation != bound:
        return kth.max_activation > bound
    return (kth.layer, kth.index) < (last["layer"], last["index"])  # a tie comes after


def _predict_page(
    db: Database,
    rows: list[dict],
    token_ids: list[int],
    threshold: float,
    classes: Callable[[], TokenClasses],
) -> list[NeuronOnText]:
    """The candidates of one page that reach `threshold`, all predicted in one path table
    (units stored before their paths were get them from their graph lines)."""
    older = [row["key"] for row in rows if row["paths"] is None]
    graphs = read_graphs(db, older) if older else {}
    stored = json.loads("[" + ",".join(row["paths"] or "null" for row in rows) + "]")
    table = PathTable(
        [
            (paths, row["fold"])
            if paths is not None
            else (graph_paths(graphs[row["key"]]), graphs[row["key"]].settings.fold_tokens)
            for row, paths in zip(rows, stored, strict=True)
        ]
    )
    folded_ids = classes().map(token_ids) if table.any_folded else None
    prediction = table.predict(token_ids, folded_ids)
    peaks = prediction.max(axis=1, initial=0.0)
    return [
        _on_text(row, values, threshold)
        for row, values, peak in zip(rows, prediction, peaks, strict=True)
        if peak > 0.0 and peak >= threshold
    ]


def _on_text(row: dict, values: np.ndarray, threshold: float) -> NeuronOnText:
    return NeuronOnText(
        key=row["key"],
        layer=row["layer"],
        index=row["index"],
        max_activation=float(values.max()),
        activations=[float(v) for v in values],
        firing_tokens=[i for i, v in enumerate(values) if v >= threshold],
    )


def any_folded(graphs: Iterable[NeuronGraph]) -> bool:
    return any(graph.settings.fold_tokens for graph in graphs)


def fires_on_text(
    db: Database,
    model: str,
    text: str,
    tokenizer: TokenizerLike,
    *,
    threshold: float = 0.5,
    limit: int | None = None,
) -> TextMatch:
    """The neurons of `model` whose graphs predict ≥ `threshold` on some token of `text`.

    `threshold` is on the normalised activation (0.5 = the paper's firing threshold; use
    a small positive value for every neuron whose pattern matches at all).
    """
    if not text:
        raise N2GError("the text is empty: give some text to run the neuron graphs on")
    if not 0.0 <= threshold <= 1.0:
        raise N2GError(f"threshold must be between 0 and 1, got {threshold}")
    token_ids = list(tokenizer.encode(text))
    tokens = tokenizer.token_strings(token_ids)
    neurons: list[NeuronOnText] = []
    classes = functools.cache(lambda: vocabulary_classes(tokenizer))  # made once, if needed
    page, skip = (FIRST_PAGE if limit is None else max(FIRST_PAGE, 4 * limit)), 0
    while True:
        rows = text_candidates(db, tokens, model, threshold, skip=skip, page=page)
        neurons += _predict_page(db, rows, token_ids, threshold, classes)
        neurons.sort(key=lambda n: (-n.max_activation, n.layer, n.index))
        skip += len(rows)
        if len(rows) < page:
            break  # every candidate seen
        if limit is not None and _top_is_settled(neurons, limit, rows[-1]):
            break
        page *= 2
    return TextMatch(
        model=model,
        tokens=tokens,
        token_ids=token_ids,
        threshold=threshold,
        neurons=neurons[:limit] if limit is not None else neurons,
    )
