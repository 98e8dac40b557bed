"""Augmentation (paper eq. 4): substitute important tokens, keep what still fires.

For each example and each important position (importance >= threshold; context tokens
unless `augment_context` is off, the pivot when `augment_pivot`), the helper proposes
substitutes. A candidate is the example with one token replaced; it is deduplicated
against every example and candidate of its neuron (the public code never deduplicated),
and kept when its pivot activation is >= threshold x the originating example's. All
candidates of all neurons in the batch share forward passes, each running only from its
substituted position on (`n2g.builder.variants`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from n2g.builder.clock import CLOCK
from n2g.builder.examples import Example
from n2g.builder.substitutes import SubstituteHelper, SubstituteRequest
from n2g.builder.variants import Variant, variant_activations
from n2g.models.base import NeuronModel


def important_positions(
    example: Example, threshold: float, include_pivot: bool, include_context: bool = True
) -> list[int]:
    """Positions whose raw importance reaches the threshold (the pivot, the context: each
    only if asked)."""
    last = len(example.tokens) - 1
    return [
        k
        for k in range(len(example.tokens))
        if example.importances[k] >= threshold and (include_pivot if k == last else include_context)
    ]


def candidate_examples(
    examples: Sequence[Example],
    helper: SubstituteHelper,
    *,
    importance_threshold: float,
    n_substitutes: int,
    include_pivot: bool,
    include_context: bool = True,
) -> list[tuple[Example, Example]]:
    """(origin, candidate) pairs, deduplicated per neuron, in a deterministic order."""
    requests: list[SubstituteRequest] = []
    owners: list[int] = []
    for index, example in enumerate(examples):
        for k in important_positions(example, importance_threshold, include_pivot, include_context):
            requests.append(SubstituteRequest(example.tokens, k))
            owners.append(index)
    with CLOCK.stage("helper"):
        answers = helper.substitutes(requests, n_substitutes) if requests else []
    seen: dict[int, set[tuple[int, ...]]] = {}
    for example in examples:
        seen.setdefault(example.neuron, set()).add(example.key)
    pairs: list[tuple[Example, Example]] = []
    for request, owner, substitutes in zip(requests, owners, answers, strict=True):
        origin = examples[owner]
        for token in substitutes:
            tokens = origin.tokens.copy()
            tokens[request.position] = token
            candidate = Example(
                origin.neuron,
                tokens,
                0.0,
                augmented=True,
                scale=origin.scale,
                origin=origin.tokens,
                substituted_at=request.position,
            )
            if candidate.key in seen[origin.neuron]:
                continue
            seen[origin.neuron].add(candidate.key)
            pairs.append((origin, candidate))
    return pairs


def keep_firing(
    pairs: Sequence[tuple[Example, Example]],
    acts: np.ndarray,
    threshold: float,
    inherit_importances: bool = False,
) -> list[Example]:
    """Eq. 4: keep candidates whose pivot activation is >= threshold x their origin's
    (with `inherit_importances`, each kept one takes a copy of its origin's importances)."""
    kept = []
    for (origin, candidate), act in zip(pairs, acts, strict=True):
        if act >= threshold * origin.activation:
            candidate.activation = float(act)
            if inherit_importances:
                candidate.importances = origin.importances.copy()
            kept.append(candidate)
    return kept


def augment_examples(
    model: NeuronModel,
    layer: int,
    examples: Sequence[Example],
    helper: SubstituteHelper,
    *,
    importance_threshold: float,
    augment_threshold: float,
    n_substitutes: int,
    include_pivot: bool,
    batch_rows: int,
    inherit_importances: bool = False,
    include_context: bool = True,
) -> list[Example]:
    """The kept augmented examples (importances: their origins' when `inherit_importances`,
    else none yet)."""
    pairs = candidate_examples(
        examples,
        helper,
        importance_threshold=importance_threshold,
        n_substitutes=n_substitutes,
        include_pivot=include_pivot,
        include_context=include_context,
    )
    base_of: dict[int, int] = {}  # id(origin) -> index into bases
    bases: list[np.ndarray] = []
    variants: list[Variant] = []
    for origin, candidate in pairs:
        if id(origin) not in base_of:
            base_of[id(origin)] = len(bases)
            bases.append(origin.tokens)
        position = candidate.substituted_at
        token = int(candidate.tokens[position])
        variants.append(Variant(base_of[id(origin)], position, token, candidate.neuron))
    with CLOCK.stage("augment"):
        acts = variant_activations(model, layer, bases, variants, batch_rows)
    return keep_firing(pairs, acts, augment_threshold, inherit_importances)
