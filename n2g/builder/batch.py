"""One batch of neurons of one layer through prune, saliency, augment, trie, evaluate.

Every model pass is shared across all examples of all neurons in the batch (see
`examples.pivot_batch`). `build_neuron_graphs` is usable in-process on `LayerRecords`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from n2g.builder.augment import augment_examples
from n2g.builder.bigram_paths import bigram_paths
from n2g.builder.clock import CLOCK
from n2g.builder.config import BuildConfig
from n2g.builder.delphi import delphi_scores, held_out_contexts
from n2g.builder.evaluate import (
    correlation_scores,
    evaluate_split,
    fit_baselines,
    out_of_distribution,
    predict_baselines,
    window_keys,
)
from n2g.builder.evidence import plan_evidence
from n2g.builder.examples import Example
from n2g.builder.grades import token_grades, verify_bare_paths
from n2g.builder.plan import NeuronPlan, normalised, plan_neuron
from n2g.builder.prune import make_sources, prune_examples, unique_examples
from n2g.builder.random_windows import RandomWindows
from n2g.builder.saliency import add_saliency
from n2g.builder.substitutes import NoHelper, SubstituteHelper
from n2g.builder.trie import PathExample, build_trie
from n2g.builder.verify import verify_paths
from n2g.graph.evaluation import Delphi
from n2g.graph.model import NeuronGraph
from n2g.graph.predict import NeuronTrie
from n2g.graph.token_fold import fold_token, vocabulary_classes
from n2g.models.base import NeuronModel
from n2g.models.logit_lens import output_tokens
from n2g.record.store import LayerRecords


def end_activation(example: Example, plan: NeuronPlan, config: BuildConfig) -> float:
    """The normalised activation an example's END node holds.

    "rescaled" (the paper's numbers): the pruned (or augmented) activation times the
    example's original/pruned ratio, so a path predicts about what the full context gave;
    "pruned": the activation on the pruned context itself, which pruning lets fall to
    `prune_threshold` of the original, so such paths may never reach the firing threshold.
    """
    if plan.a_max <= 0:
        return 0.0
    scale = example.scale if config.end_activation == "rescaled" else 1.0
    return example.activation * scale / plan.a_max


def pruned_examples(
    model: NeuronModel, layer: int, plans: Sequence[NeuronPlan], config: BuildConfig
) -> list[Example]:
    """The distinct pruned examples of every pivot of the training windows of `plans`."""
    sources = [
        source
        for plan in plans
        for tokens, acts in plan.train
        if len(tokens) and float(acts.max()) > 0
        for source in make_sources(
            plan.neuron,
            tokens,
            acts,
            a_max=plan.a_max,
            firing_threshold=config.firing_threshold,
            mode=config.pivots,
        )
    ]
    with CLOCK.stage("prune"):
        pruned = prune_examples(
            model,
            layer,
            sources,
            threshold=config.prune_threshold,
            block=config.prune_block,
            batch_rows=config.batch_rows,
            max_context=config.max_context,
        )
    return unique_examples(pruned)


def process_examples(
    model: NeuronModel,
    layer: int,
    plans: Sequence[NeuronPlan],
    config: BuildConfig,
    helper: SubstituteHelper,
    mask_token_id: int,
) -> list[Example]:
    """Prune, saliency and augmentation for the training examples of all `plans`."""
    kept = pruned_examples(model, layer, plans, config)
    with CLOCK.stage("saliency"):
        add_saliency(model, layer, kept, mask_token_id=mask_token_id, batch_rows=config.batch_rows)
    augmented = augment_examples(
        model,
        layer,
        kept,
        helper,
        importance_threshold=config.importance_threshold,
        augment_threshold=config.augment_threshold,
        n_substitutes=config.n_substitutes,
        include_pivot=config.augment_pivot,
        include_context=config.augment_context,
        batch_rows=config.batch_rows,
        inherit_importances=config.augmented_saliency == "inherit",
    )
    if config.augmented_saliency == "measure":
        with CLOCK.stage("saliency"):
            add_saliency(
                model, layer, augmented, mask_token_id=mask_token_id, batch_rows=config.batch_rows
            )
    return kept + augmented


def _trie_graph(
    model: NeuronModel,
    layer: int,
    plan: NeuronPlan,
    paths: list[PathExample],
    config: BuildConfig,
    mask_token_id: int,
    train: Sequence[tuple[np.ndarray, np.ndarray]],
    names: Callable[[Sequence[int]], list[str]],
) -> NeuronGraph:
    """The unit's graph before evaluation: the trie of its processed examples' `paths`
    (bare paths verified where asked) and its bigram paths, every firing path then verified,
    and its graded levels, from `train`, the training windows as the trie sees them (token
    ids or classes, normalised activations)."""
    if config.bare_paths == "verify":
        paths = verify_bare_paths(
            paths, train, config.importance_threshold, config.firing_threshold
        )
    n_examples = len(paths)
    if config.bigram_paths > 0:
        paths = paths + bigram_paths(
            train, config.firing_threshold, config.bigram_paths, config.importance_threshold
        )
    nodes, edges = build_trie(paths, config.importance_threshold, names)
    graph = NeuronGraph(
        model=model.name,
        layer=layer,
        neuron=plan.neuron,
        unit_set=model.unit_set,
        hook_name=model.units.hook_name if model.units is not None else None,
        a_max=plan.a_max,
        activation_histogram=plan.histogram,
        n_examples=n_examples,
        nodes=nodes,
        edges=edges,
        settings=config.settings(mask_token_id, model.dtype),
        token_grades=token_grades(
            train, config.grades, config.grade_floor, config.firing_threshold, config.grade_tokens
        ),
    )
    if config.path_precision > 0:
        graph = verify_paths(graph, train, config.firing_threshold, config.path_precision)
    return graph


# Each method's predictions (n2g and the scoring methods), one array a window.
Predictions = dict[str, list[np.ndarray]]


def _delphi(
    held_out_windows: list[tuple[np.ndarray, np.ndarray]],
    train: Sequence[tuple[np.ndarray, np.ndarray]],
    sample: RandomWindows,
    random_truth: list[np.ndarray],
    predictions: Callable[[Sequence[np.ndarray], dict[str, list[Any]]], Predictions],
    config: BuildConfig,
    unit: tuple[int, NeuronPlan],
) -> Delphi:
    """delphi's scores of one unit (n2g.builder.delphi): its held-out windows and the
    random ones (the non-activating contexts), each method predicting through
    `predictions` (windows, their method keys)."""
    layer, plan = unit
    random = list(zip(sample.windows, random_truth, strict=True))
    held_out = held_out_contexts(
        held_out_windows + random, random, [t for t, _ in train], config.firing_threshold
    )
    keys = window_keys([t for t, _ in held_out.activating])
    for method, shared in sample.tile_keys.items():
        keys[method] += [shared[i] for i in held_out.tile_index]
    return delphi_scores(
        held_out,
        predictions(held_out.contexts, keys),
        config.firing_threshold,
        np.random.default_rng([config.seed, layer, plan.neuron]),
    )


def assemble_graph(
    model: NeuronModel,
    layer: int,
    plan: NeuronPlan,
    examples: Sequence[Example],
    config: BuildConfig,
    mask_token_id: int,
    ood: RandomWindows | None = None,
    sample: RandomWindows | None = None,
) -> NeuronGraph:
    """Trie + evaluation of one neuron from its processed examples; `ood` = random windows
    of another corpus, `sample` = random windows of the recording corpus (the correlation
    score, and the non-activating contexts of delphi's protocol).

    With `fold_tokens`, the trie and every evaluation see token classes, not ids
    (n2g.graph.token_fold); the examples were pruned and augmented on the real tokens."""
    classes = vocabulary_classes(model.tokenizer) if config.fold_tokens else None

    def tokens_of(ids: np.ndarray) -> np.ndarray:
        return classes.map(ids) if classes is not None else ids

    def names(ids: Sequence[int]) -> list[str]:
        strings = model.token_strings(ids)
        return [fold_token(t) for t in strings] if classes is not None else strings

    if classes is not None:
        ood = ood.folded(classes) if ood is not None else None
        sample = sample.folded(classes) if sample is not None else None
    train = [(tokens_of(t), normalised(plan, a)) for t, a in plan.train]
    with CLOCK.stage("trie"):
        paths = [
            PathExample(tokens_of(e.tokens), e.importances, end_activation(e, plan, config))
            for e in examples
        ]
        graph = _trie_graph(model, layer, plan, paths, config, mask_token_id, train, names)
        trie = NeuronTrie.from_graph(graph)
    test = [(tokens_of(t), normalised(plan, a)) for t, a in plan.test]

    def predictions(
        windows: Sequence[np.ndarray], keys: dict[str, list[Any]]
    ) -> dict[str, list[np.ndarray]]:
        return {"n2g": trie.predict_many(windows), **predict_baselines(baselines, windows, keys)}

    with CLOCK.stage("evaluate"):  # (test predictions once: the correlation reuses them)
        baselines = fit_baselines(train)
        test_windows = [t for t, _ in test]
        on_test = predictions(test_windows, window_keys(test_windows))
        evaluation = evaluate_split(
            trie.predict_many, train, test, config.firing_threshold, predicted=on_test
        )

    if ood is not None:
        with CLOCK.stage("ood"):
            predicted = predictions(ood.windows, ood.method_keys)
            evaluation.out_of_distribution = out_of_distribution(
                predicted.pop("n2g"),
                ood.truth(plan),
                ood.corpus,
                config.firing_threshold,
                baselines=predicted,
            )
    if sample is not None:
        with CLOCK.stage("correlation"):
            on_sample = predictions(sample.windows, sample.method_keys)
            random_truth = sample.truth(plan)
            evaluation.correlation = correlation_scores(
                [a for _, a in test] + random_truth,
                {method: on_test[method] + on_sample[method] for method in on_test},
                n_top_windows=len(test),
                n_random_windows=len(sample.windows),
            )
        with CLOCK.stage("delphi"):  # held-out windows, random ones for the non-activating
            more = [(tokens_of(t), normalised(plan, a)) for t, a in plan.held_out]
            evaluation.delphi = _delphi(
                test + more, train, sample, random_truth, predictions, config, (layer, plan)
            )
    graph.evaluation = evaluation
    if config.keep_evidence:
        with CLOCK.stage("evidence"):
            graph.evidence = plan_evidence(
                graph, plan, trie.predict_many([t for t, _ in train]), on_test["n2g"], model
            )
    return graph


def resolve_mask_token(model: NeuronModel, config: BuildConfig) -> int:
    mask = config.mask_token_id if config.mask_token_id is not None else model.mask_token_id
    if mask is None:
        raise ValueError("the model has no masking token; set mask_token_id")
    return int(mask)


def build_neuron_graphs(
    model: NeuronModel,
    records: LayerRecords,
    neurons: Sequence[int],
    config: BuildConfig,
    helper: SubstituteHelper | None = None,
    ood: RandomWindows | None = None,
    sample: RandomWindows | None = None,
) -> list[NeuronGraph]:
    """Graphs of `neurons` of the records' layer, all processed together."""
    helper = helper or NoHelper()
    mask_token_id = resolve_mask_token(model, config)
    with CLOCK.stage("plan"):
        plans = [plan_neuron(records, n, config) for n in neurons]
    examples = process_examples(model, records.layer, plans, config, helper, mask_token_id)
    by_neuron: dict[int, list[Example]] = {n: [] for n in neurons}
    for example in examples:
        by_neuron[example.neuron].append(example)
    graphs = [
        assemble_graph(
            model, records.layer, plan, by_neuron[plan.neuron], config, mask_token_id, ood, sample
        )
        for plan in plans
    ]
    if config.output_tokens:  # the batch's units in one product (n2g.models.logit_lens)
        with CLOCK.stage("output"):
            outputs = output_tokens(model, records.layer, neurons, config.output_tokens)
        for graph, output in zip(graphs, outputs or [], strict=False):  # None: no direction
            graph.output_tokens = output
    return graphs
