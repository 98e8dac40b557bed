"""The evidence a graph keeps: snippets of the windows it was built and tested on.

A graph says "fires on X after Y"; a researcher checks that claim against the windows it
came from. Those windows are 256 tokens of which a handful matter, so a graph keeps, per
train and test window, only a snippet: the window's strongest token and the other firing
tokens near it, with enough left context for the graph's longest path (its deepest END
node) and a few tokens to the right, each token with its true and predicted normalised
activation rounded to 3 decimals. That keeps the main job's graph file and database small
(measured in docs: a few tens of bytes a token) while every claim stays checkable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from n2g.builder.plan import NeuronPlan, normalised
from n2g.graph.model import EvidenceExample, NeuronGraph, NodeKind

if TYPE_CHECKING:  # the model is only asked for token texts
    from n2g.models.base import NeuronModel

RIGHT_CONTEXT = 3  # tokens kept after the last firing token of a snippet
MIN_LEFT_CONTEXT = 4  # tokens kept before a firing token even for a one-token graph
MAX_SNIPPET = 48  # tokens: further firing tokens join a snippet while it stays this short
DECIMALS = 3


def left_context(graph: NeuronGraph) -> int:
    """Tokens of left context a snippet keeps: the graph's longest path back from its
    activating token (an END node at depth d closes a path reaching d - 1 tokens back),
    plus one, at least MIN_LEFT_CONTEXT."""
    deepest = max((n.depth for n in graph.nodes if n.kind == NodeKind.END), default=0)
    return max(deepest, MIN_LEFT_CONTEXT)


def snippet_span(activations: np.ndarray, firing_threshold: float, left: int) -> tuple[int, int]:
    """[start, stop) of a window's snippet: its strongest token with `left` tokens before
    and RIGHT_CONTEXT after, widened to take in further firing tokens, strongest first,
    while the snippet stays at most MAX_SNIPPET tokens (or one token's span, if longer)."""
    n = len(activations)
    order = np.argsort(-activations, kind="stable")
    peak = int(order[0])
    start, stop = max(0, peak - left), min(n, peak + RIGHT_CONTEXT + 1)
    for position in order[1:]:
        if activations[position] < firing_threshold:
            break
        lo, hi = max(0, int(position) - left), min(n, int(position) + RIGHT_CONTEXT + 1)
        wider = min(start, lo), max(stop, hi)
        if wider[1] - wider[0] <= MAX_SNIPPET:
            start, stop = wider
    return start, stop


def _rounded(values: np.ndarray) -> list[float]:
    # + 0.0 turns -0.0 into 0.0, so a value dumps the same whichever side of 0 it rounded from
    return [float(v) + 0.0 for v in np.round(values.astype(np.float64), DECIMALS)]


def evidence_example(
    split: str,
    rank: int,
    tokens: np.ndarray,
    truth: np.ndarray,
    predicted: np.ndarray,
    token_strings: Callable[[Sequence[int]], list[str]],
    firing_threshold: float,
    left: int,
) -> EvidenceExample:
    """One window's snippet (`tokens` are the real token ids; `truth` and `predicted` the
    normalised activations at every position of the window)."""
    start, stop = snippet_span(truth, firing_threshold, left)
    return EvidenceExample(
        split=split,  # "train" or "test", checked by the model
        rank=rank,
        start=start,
        tokens=token_strings(tokens[start:stop].tolist()),
        activations=_rounded(truth[start:stop]),
        predicted=_rounded(predicted[start:stop]),
    )


def graph_evidence(
    graph: NeuronGraph,
    windows: Sequence[tuple[str, int, np.ndarray, np.ndarray, np.ndarray]],
    token_strings: Callable[[Sequence[int]], list[str]],
    firing_threshold: float,
) -> list[EvidenceExample]:
    """The evidence of `graph` from its windows: (split, rank, token ids, true normalised
    activations, predicted normalised activations) each; windows without tokens are left
    out."""
    left = left_context(graph)
    return [  # in rank order: the graph file's canonical order
        evidence_example(split, rank, tokens, truth, guess, token_strings, firing_threshold, left)
        for split, rank, tokens, truth, guess in sorted(windows, key=lambda w: w[1])
        if len(tokens)
    ]


def plan_evidence(
    graph: NeuronGraph,
    plan: NeuronPlan,
    on_train: Sequence[np.ndarray],
    on_test: Sequence[np.ndarray],
    model: NeuronModel,
) -> list[EvidenceExample]:
    """The graph's evidence: a snippet of each train and test window of `plan`, with the
    graph's predictions there (`on_train`, `on_test`, in the plan's order)."""
    windows = [
        ("train", rank, tokens, normalised(plan, acts), predicted)
        for rank, (tokens, acts), predicted in zip(
            plan.train_ranks, plan.train, on_train, strict=True
        )
    ] + [
        ("test", rank, tokens, normalised(plan, acts), predicted)
        for rank, (tokens, acts), predicted in zip(plan.test_ranks, plan.test, on_test, strict=True)
    ]
    threshold = graph.evaluation.firing_threshold if graph.evaluation else 0.5
    return graph_evidence(graph, windows, model.token_strings, threshold)
