"""The plain reference: the same algorithm with one forward pass per sequence.

This is how the paper's public code computed it (for every pivot of every example, see
`n2g.builder.prune`): one pass per prune prefix (growing one
token at a time until the threshold is met), one per masked copy, one per substitute,
each neuron alone. It shares nothing with the batched path but the trie and evaluation
code, so the tests and `bench/build.py` use it as ground truth for the batched builder.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from n2g.builder.augment import important_positions
from n2g.builder.batch import assemble_graph, plan_neuron, resolve_mask_token
from n2g.builder.config import BuildConfig
from n2g.builder.examples import Example
from n2g.builder.prune import pivot_positions
from n2g.builder.random_windows import RandomWindows
from n2g.builder.saliency import importances_from
from n2g.builder.substitutes import NoHelper, SubstituteHelper, SubstituteRequest
from n2g.graph.model import NeuronGraph
from n2g.models.base import NeuronModel
from n2g.record.store import LayerRecords


def pivot_activation(model: NeuronModel, layer: int, neuron: int, tokens: np.ndarray) -> float:
    """One forward pass: the neuron's activation on the last token."""
    row = [np.asarray(tokens, dtype=np.int64).tolist()]
    return float(model.pivot_activations(row, layer, [neuron], [len(tokens) - 1])[0])


def plain_prune(
    model: NeuronModel,
    layer: int,
    neuron: int,
    tokens: np.ndarray,
    acts: np.ndarray,
    threshold: float,
    pivot: int | None = None,
    max_context: int | None = None,
) -> Example | None:
    """Grow the context left of `pivot` (default: the argmax) one token at a time, up to
    `max_context` tokens (kept when none reaches the threshold; None if not positive)."""
    pivot = int(np.argmax(acts)) if pivot is None else pivot
    full = float(acts[pivot])  # the recorded a(e, x), as the batched path uses
    if full <= 0:
        return None
    act = 0.0
    longest = pivot + 1 if max_context is None else min(pivot + 1, max_context)
    for length in range(1, longest + 1):
        prefix = tokens[pivot + 1 - length : pivot + 1]
        act = pivot_activation(model, layer, neuron, prefix)
        if act >= threshold * full:
            break
    if act <= 0:
        return None
    scale = full / act if act > 0 else 1.0
    return Example(neuron, np.asarray(prefix, dtype=np.int64).copy(), act, scale=scale)


def plain_saliency(model: NeuronModel, layer: int, example: Example, mask_token_id: int) -> None:
    masked = np.zeros(len(example.tokens), dtype=np.float32)
    for k in range(len(example.tokens)):
        tokens = example.tokens.copy()
        tokens[k] = mask_token_id
        masked[k] = pivot_activation(model, layer, example.neuron, tokens)
    example.importances = importances_from(masked, example.activation)


def plain_neuron_examples(
    model: NeuronModel,
    layer: int,
    train: Sequence[tuple[np.ndarray, np.ndarray]],
    neuron: int,
    config: BuildConfig,
    helper: SubstituteHelper,
    mask_token_id: int,
    a_max: float,
) -> list[Example]:
    kept = []
    seen: set[tuple[int, ...]] = set()
    for tokens, acts in train:
        if len(tokens) == 0 or float(acts.max()) <= 0:
            continue
        for pivot in pivot_positions(acts, a_max, config.firing_threshold, config.pivots):
            if float(acts[pivot]) <= 0:
                continue
            example = plain_prune(
                model,
                layer,
                neuron,
                tokens,
                acts,
                config.prune_threshold,
                pivot,
                config.max_context,
            )
            if example is None or example.key in seen:
                continue
            seen.add(example.key)
            plain_saliency(model, layer, example, mask_token_id)
            kept.append(example)
    augmented = []
    for origin in kept:
        for k in important_positions(origin, config.importance_threshold, config.augment_pivot):
            request = SubstituteRequest(origin.tokens, k)
            for token in helper.substitutes([request], config.n_substitutes)[0]:
                tokens = origin.tokens.copy()
                tokens[k] = token
                candidate = Example(neuron, tokens, 0.0, augmented=True, scale=origin.scale)
                if candidate.key in seen:
                    continue
                seen.add(candidate.key)
                act = pivot_activation(model, layer, neuron, tokens)
                if act >= config.augment_threshold * origin.activation:
                    candidate.activation = act
                    candidate.importances = origin.importances.copy()
                    augmented.append(candidate)
    if config.augmented_saliency == "measure":
        for example in augmented:
            plain_saliency(model, layer, example, mask_token_id)
    return kept + augmented


def plain_neuron_graphs(
    model: NeuronModel,
    records: LayerRecords,
    neurons: Sequence[int],
    config: BuildConfig,
    helper: SubstituteHelper | None = None,
    ood: RandomWindows | None = None,
    sample: RandomWindows | None = None,
) -> list[NeuronGraph]:
    """Same contract as `build_neuron_graphs`, one neuron and one sequence at a time."""
    helper = helper or NoHelper()
    mask_token_id = resolve_mask_token(model, config)
    graphs = []
    for neuron in neurons:
        plan = plan_neuron(records, neuron, config)
        examples = plain_neuron_examples(
            model, records.layer, plan.train, neuron, config, helper, mask_token_id, plan.a_max
        )
        graphs.append(
            assemble_graph(model, records.layer, plan, examples, config, mask_token_id, ood, sample)
        )
    return graphs


def graph_signature(graph: NeuronGraph, decimals: int = 4) -> tuple:
    """What must agree between two builds of a graph: the trie's shape and tokens, and its
    numbers to `decimals` places (batched and one-at-a-time passes differ in the last
    float bits, as any two matrix-multiply orders do)."""
    nodes = tuple(
        (
            n.id,
            n.kind.value,
            n.depth,
            n.token_id,
            None if n.importance is None else round(n.importance, decimals),
            None if n.activation is None else round(n.activation, decimals),
        )
        for n in graph.nodes
    )
    evaluation = graph.evaluation.model_dump_json() if graph.evaluation else None
    return (graph.key, graph.n_examples, nodes, tuple(graph.edges), evaluation)
