"""A researcher's own text run through one unit: the graph's prediction beside the truth.

The unit page's "test your text" box and `/api/unit/{key}/activations` answer from here.
The prediction is always there and needs no model: the text is tokenised as `n2g like
--text` tokenises it (n2g.serve.tokenizers) and the unit's trie predicts on the ids, as
search does. The unit's true activation comes only from a model the operator let the
service load (`n2g serve --live-model`): n2g.serve.live, imported on the first such
request, so a service started without it never imports torch and starts as fast as
before. True values are given raw and normalised by the graph's a_max, the scale of its
prediction and of the colours of its examples; their Pearson correlation with the
prediction says how well the graph explains the unit on this text.

SAE and transcoder latents get the prediction only: their dictionaries are found by the
spec the records kept, which the stored graph does not hold (a note says so).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field

from n2g.errors import N2GError
from n2g.graph.model import NeuronGraph
from n2g.graph.predict import NeuronTrie
from n2g.graph.token_fold import vocabulary_classes
from n2g.serve.evidence import escaped
from n2g.serve.text import LEVELS, visible, visible_in_text

NOT_LIVE = "start the service with --live-model to see true activations"
LATENTS = (
    "true activations are computed for MLP neurons only "
    "(a latent's dictionary is not known to the store)"
)
OWN_TOKENIZER = (
    "true activations need the text split by the model's own tokenizer (leave tokenizer empty)"
)


class Unavailable(N2GError):
    """The unit's model cannot run here: the prediction is shown, with this as its note."""


class UnitActivations(BaseModel):
    """One text through one unit: its tokens, predicted and (when live) true activations."""

    model_config = ConfigDict(frozen=True)

    key: str
    text: str
    tokenizer: str = Field(description="the tokenizer that split the text: 'byte' or a model")
    tokens: list[str]
    token_ids: list[int]
    a_max: float = Field(description="the unit's largest activation in the records")
    predicted: list[float] = Field(description="the graph's prediction, normalised (/ a_max)")
    true: list[float] | None = Field(
        default=None, description="the unit's activation on each token (None: no live model)"
    )
    true_normalised: list[float] | None = Field(default=None, description="true / a_max")
    correlation: float | None = Field(
        default=None,
        description="Pearson correlation of predicted and true (None: no truth, or constant)",
    )
    live: bool = Field(description="whether the true activations were computed")
    note: str | None = Field(default=None, description="why the true activations are missing")


class TrueActivations(Protocol):
    """What n2g.serve.live provides: a unit's activations on token ids, from its model."""

    def activations(
        self, model: str, layer: int, index: int, text: str, token_ids: Sequence[int]
    ) -> list[float]: ...


def predict_text(
    graph: NeuronGraph, text: str, tokenizer: str | None
) -> tuple[str, list[int], list[str], list[float]]:
    """The tokenizer's name, the text's ids and tokens, and the graph's prediction on them."""
    from n2g.serve.tokenizers import BYTE, text_tokenizer

    if not text:
        raise N2GError("the text is empty: give some text to run the unit on")
    used = BYTE if tokenizer == BYTE else (tokenizer or graph.model)
    tok = text_tokenizer(graph.model, tokenizer)
    ids = list(tok.encode(text))
    tokens = tok.token_strings(ids)
    trie_ids: Sequence[int] | np.ndarray = ids
    if graph.settings.fold_tokens:
        trie_ids = vocabulary_classes(tok).map(ids)
    prediction = NeuronTrie.from_graph(graph).predict(trie_ids) if ids else np.zeros(0)
    return used, ids, tokens, [float(v) for v in prediction]


def correlation(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Pearson's r of two equal-length series; None when either is constant or too short."""
    if len(a) < 2:
        return None
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    x, y = x - x.mean(), y - y.mean()
    norm = math.sqrt(float((x * x).sum()) * float((y * y).sum()))
    return None if norm == 0.0 else float((x * y).sum()) / norm


def run_text(
    graph: NeuronGraph, text: str, tokenizer: str | None, live: TrueActivations | None
) -> UnitActivations:
    """`text` through the unit of `graph`: prediction always, truth from `live` if given."""
    used, ids, tokens, predicted = predict_text(graph, text, tokenizer)
    common = {
        "key": graph.key,
        "text": text,
        "tokenizer": used,
        "tokens": tokens,
        "token_ids": ids,
        "a_max": graph.a_max,
        "predicted": predicted,
    }
    note = None
    if live is None:
        note = NOT_LIVE
    elif graph.unit_set is not None:
        note = LATENTS
    if note is not None:
        return UnitActivations(**common, live=False, note=note)
    assert live is not None
    try:
        true = live.activations(graph.model, graph.layer, graph.neuron, text, ids)
    except Unavailable as exc:
        return UnitActivations(**common, live=False, note=str(exc))
    scale = graph.a_max if graph.a_max > 0 else 1.0
    normalised = [value / scale for value in true]
    return UnitActivations(
        **common,
        true=true,
        true_normalised=normalised,
        correlation=correlation(predicted, normalised),
        live=True,
    )


class TextRunner:
    """Runs texts through units; holds the live models when the operator allowed them."""

    def __init__(self, live_model: bool = False) -> None:
        self.live_model = live_model
        self._live: TrueActivations | None = None
        self._lock = threading.Lock()

    def live(self) -> TrueActivations | None:
        """The live models (n2g.serve.live, imported here on first use); None when off."""
        if not self.live_model:
            return None
        with self._lock:
            if self._live is None:
                from n2g.serve.live import LiveModels

                self._live = LiveModels()
            return self._live

    def run(self, graph: NeuronGraph, text: str, tokenizer: str | None) -> UnitActivations:
        return run_text(graph, text, tokenizer, self.live())


def _level(value: float) -> int:
    return min(LEVELS, max(0, round(value * LEVELS)))


def activations_html(run: UnitActivations, truth: bool) -> Markup:
    """The run's tokens as spans coloured as the examples are (class `tok`, data-level
    0..LEVELS): by the true activation (`truth`) or by the prediction; each title gives
    the token and both values."""
    shown = run.true_normalised if truth else run.predicted
    assert shown is not None
    true: list[float | None] = list(run.true) if run.true else [None] * len(run.tokens)
    parts = []
    for token, value, predicted, raw in zip(run.tokens, shown, run.predicted, true, strict=True):
        truth_text = (
            "" if raw is None else f" \u00b7 true {raw:.3f} ({raw / (run.a_max or 1.0):.3f})"
        )
        parts.append(
            f'<span class="tok" data-level="{_level(value)}" '
            f'title="{escaped(visible(token))}{truth_text} \u00b7 predicted {predicted:.3f}">'
            f"{escaped(visible_in_text(token))}</span>"
        )
    return Markup("".join(parts))
