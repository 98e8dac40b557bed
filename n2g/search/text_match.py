"""Which neurons' graphs fire on a text, with the predicted activation of every token.

Candidates come from an index lookup (neurons that activate on one of the text's tokens,
queries/text_candidates.cypher); only their tries are fetched and run, with the builder's
NeuronTrie, on the text's token ids. A neuron that activates on none of the text's tokens
cannot fire on it (every trie path starts at an activating token), so nothing is missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from n2g.db.connection import Database
from n2g.errors import N2GError
from n2g.graph.model import NeuronGraph
from n2g.graph.predict import NeuronTrie
from n2g.graph.token_fold import TokenClasses, vocabulary_classes
from n2g.search.store import read_graphs, text_candidate_keys

FETCH_BATCH = 500  # tries fetched per round trip


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
    keys = text_candidate_keys(db, tokens, model)
    neurons: list[NeuronOnText] = []
    for start in range(0, len(keys), FETCH_BATCH):
        graphs = list(read_graphs(db, keys[start : start + FETCH_BATCH]).values())
        classes = vocabulary_classes(tokenizer) if any_folded(graphs) else None
        neurons.extend(predict_on_tokens(graphs, token_ids, threshold, classes))
    neurons.sort(key=lambda n: (-n.max_activation, n.layer, n.index))
    return TextMatch(
        model=model,
        tokens=tokens,
        token_ids=token_ids,
        threshold=threshold,
        neurons=neurons[:limit] if limit is not None else neurons,
    )
