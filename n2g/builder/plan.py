"""A unit's plan: which of its recorded windows train its graph and which test it.

The paper's protocol splits a unit's top examples into train and test with a seed fixed
per unit; extra ranks and a weighted sample may join training only, never the test split.
The plan also keeps each window's rank, which names it in the graph's evidence, and the
unit's normaliser a_max. Everything downstream (prune, trie, evaluation, evidence) reads
the windows from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from n2g.builder.config import BuildConfig
from n2g.builder.evaluate import split_indices
from n2g.errors import N2GError
from n2g.record.store import LayerRecords


@dataclass
class NeuronPlan:
    """A neuron's examples split for training and testing, with its normaliser.

    `train_ranks`/`test_ranks`: each window's rank among the neuron's recorded windows (0:
    the strongest; windows of the weighted sample rank after the recorded ones), which
    names it in the graph's evidence."""

    neuron: int
    a_max: float
    train: list[tuple[np.ndarray, np.ndarray]]
    test: list[tuple[np.ndarray, np.ndarray]]
    train_ranks: list[int] = field(default_factory=list)
    test_ranks: list[int] = field(default_factory=list)


def plan_neuron(records: LayerRecords, neuron: int, config: BuildConfig) -> NeuronPlan:
    recorded = records.examples(neuron)
    top = recorded[: config.n_examples]
    extra = recorded[config.n_examples : config.n_examples + config.extra_train_examples]
    extra_ranks = list(range(config.n_examples, config.n_examples + len(extra)))
    if config.sample_train_examples:
        if records.sample is None:
            raise N2GError(
                "sample_train_examples needs records with a weighted sample "
                "(record with samples > 0)"
            )
        # Never a window of the top examples: the test split must stay unseen.
        taken = {tuple(t.tolist()) for t, _ in recorded[: config.n_examples] + extra}
        fresh = [
            (t, a) for t, a in records.sample.examples(neuron) if tuple(t.tolist()) not in taken
        ][: config.sample_train_examples]
        first = max(len(recorded), config.n_examples + config.extra_train_examples)
        extra = extra + fresh
        extra_ranks += list(range(first, first + len(fresh)))
    a_max = float(records.a_max[neuron])
    train_ids, test_ids = split_indices(
        len(top), config.train_fraction, config.seed, records.layer, neuron
    )
    pick = [(np.asarray(t, dtype=np.int64), np.asarray(a, dtype=np.float32)) for t, a in top]
    more = [(np.asarray(t, dtype=np.int64), np.asarray(a, dtype=np.float32)) for t, a in extra]
    train = [pick[i] for i in train_ids] + more  # the test split stays the paper's
    return NeuronPlan(
        neuron,
        a_max,
        train,
        [pick[i] for i in test_ids],
        train_ranks=list(train_ids) + extra_ranks,
        test_ranks=list(test_ids),
    )


def normalised(plan: NeuronPlan, acts: np.ndarray) -> np.ndarray:
    if plan.a_max <= 0:
        return np.zeros_like(acts)
    return acts / np.float32(plan.a_max)
