"""A unit's plan: which of its recorded windows train its graph and which test it.

The paper's protocol splits a unit's top examples into train and test with a seed fixed
per unit; extra ranks and a weighted sample may join training only, never the test split.
The recorded windows and sample windows left over train nothing: they are held out for
delphi's protocol (n2g.builder.delphi), beside the test split. The plan also keeps each
window's rank, which names it in the graph's evidence, the unit's normaliser a_max and
its activation histogram over the corpus (n2g.graph.histogram), which the graph carries.
Everything downstream (prune, trie, evaluation, evidence) reads the windows from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from n2g.builder.config import BuildConfig
from n2g.builder.evaluate import split_indices
from n2g.errors import N2GError
from n2g.graph.histogram import ActivationHistogram
from n2g.record.histogram import to_graph
from n2g.record.store import LayerRecords


@dataclass
class NeuronPlan:
    """A neuron's examples split for training and testing, with its normaliser.

    `train_ranks`/`test_ranks`: each window's rank among the neuron's recorded windows (0:
    the strongest; windows of the weighted sample rank after the recorded ones), which
    names it in the graph's evidence. `held_out`: the recorded windows ranked after those
    that train and the sample windows that do not train (none repeats a train or test
    window)."""

    neuron: int
    a_max: float
    train: list[tuple[np.ndarray, np.ndarray]]
    test: list[tuple[np.ndarray, np.ndarray]]
    train_ranks: list[int] = field(default_factory=list)
    test_ranks: list[int] = field(default_factory=list)
    held_out: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    # Every recorded position by activation (None: records of n2g before the histogram).
    histogram: ActivationHistogram | None = None


def _key(tokens: np.ndarray) -> bytes:
    """A window's identity: its token ids (whatever integer type they were stored in)."""
    return np.asarray(tokens, dtype=np.int64).tobytes()


def _arrays(windows: list) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.asarray(t, dtype=np.int64), np.asarray(a, dtype=np.float32)) for t, a in windows]


def plan_neuron(records: LayerRecords, neuron: int, config: BuildConfig) -> NeuronPlan:
    recorded = records.examples(neuron)
    used = config.n_examples + config.extra_train_examples
    top = recorded[: config.n_examples]
    extra = recorded[config.n_examples : used]
    extra_ranks = list(range(config.n_examples, config.n_examples + len(extra)))
    if config.sample_train_examples and records.sample is None:
        raise N2GError(
            "sample_train_examples needs records with a weighted sample (record with samples > 0)"
        )
    # Never a window of the top examples: the test split must stay unseen.
    taken = {_key(t) for t, _ in recorded[:used]}
    sampled = records.sample.examples(neuron) if records.sample is not None else []
    fresh = [(t, a) for t, a in sampled if _key(t) not in taken]
    trains, spare = fresh[: config.sample_train_examples], fresh[config.sample_train_examples :]
    first = max(len(recorded), used)
    extra = extra + trains
    extra_ranks += list(range(first, first + len(trains)))
    later = recorded[used:]  # held out with the spare sample windows (delphi's protocol)
    ranked = {_key(t) for t, _ in later}
    held_out = later + [(t, a) for t, a in spare if _key(t) not in ranked]
    a_max = float(records.a_max[neuron])
    train_ids, test_ids = split_indices(
        len(top), config.train_fraction, config.seed, records.layer, neuron
    )
    pick = _arrays(top)
    train = [pick[i] for i in train_ids] + _arrays(extra)  # the test split stays the paper's
    return NeuronPlan(
        neuron,
        a_max,
        train,
        [pick[i] for i in test_ids],
        train_ranks=list(train_ids) + extra_ranks,
        test_ranks=list(test_ids),
        held_out=_arrays(held_out),
        histogram=None if records.histogram is None else to_graph(records.histogram[neuron]),
    )


def normalised(plan: NeuronPlan, acts: np.ndarray) -> np.ndarray:
    if plan.a_max <= 0:
        return np.zeros_like(acts)
    return acts / np.float32(plan.a_max)
