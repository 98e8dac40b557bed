"""The build's cost-aware schedule: the single process's batches, deepest first, sized
by measured cost; and the simulated makespans bench.distributed prints."""

from __future__ import annotations

import random

from n2g.cluster.schedule import (
    Batch,
    LayerCosts,
    TaskQueue,
    dynamic_makespan,
    plan_batches,
    stride_makespan,
)


def test_batches_are_the_single_process_builds() -> None:
    batches = plan_batches([0, 2], [5, 6, 7, 9, 11], 2)
    assert batches == [
        Batch(0, (5, 6)),
        Batch(0, (7, 9)),
        Batch(0, (11,)),
        Batch(2, (5, 6)),
        Batch(2, (7, 9)),
        Batch(2, (11,)),
    ]


def test_deepest_layer_first_one_batch_a_task_before_any_measurement() -> None:
    queue = TaskQueue(plan_batches([0, 1, 3], range(4), 2), LayerCosts(), 10.0)
    first = [queue.next_task(2) for _ in range(3)]
    assert first == [[Batch(3, (0, 1))], [Batch(3, (2, 3))], [Batch(1, (0, 1))]]


def test_cheap_layers_are_packed_up_to_the_target_and_deep_ones_are_not() -> None:
    costs = LayerCosts()
    costs.record(0, 1.0, 100)  # 0.01 s a neuron
    costs.record(20, 300.0, 100)  # 3 s a neuron
    queue = TaskQueue(plan_batches([0, 20], range(400), 8), costs, target_seconds=20.0)
    deep = queue.next_task(2)
    assert deep == [Batch(20, tuple(range(8)))]  # 24 s: over the target alone
    while queue._waiting[0].layer == 20:
        queue.next_task(2)
    cheap = queue.next_task(2)
    assert all(b.layer == 0 for b in cheap)
    # a fair share of what is left (400 neurons x 0.01 s / 8) caps the task below 20 s
    assert len(cheap) == int(400 * 0.01 / 8 / (8 * 0.01))


def test_unmeasured_layers_scale_with_depth_from_the_measured_ones() -> None:
    costs = LayerCosts()
    costs.record(3, 8.0, 2)  # 4 s a neuron at depth 4
    assert costs.per_neuron(3) == 4.0
    assert costs.per_neuron(7) == 8.0
    assert costs.per_neuron(0) == 1.0


def test_dynamic_beats_striding_when_costs_vary_within_a_layer() -> None:
    rng = random.Random(0)
    layers, neurons, per_batch, workers = range(12), range(256), 8, 8
    batches = plan_batches(list(layers), list(neurons), per_batch)
    unit_cost = {
        (b.layer, n): (b.layer + 1) * 0.1 * rng.lognormvariate(0, 1.0)
        for b in batches
        for n in b.neurons
    }
    units = [(layer, unit_cost[(layer, n)]) for layer in layers for n in neurons]
    batch_costs = [(b, sum(unit_cost[(b.layer, n)] for n in b.neurons)) for b in batches]
    total = sum(cost for _, cost in units)
    strided = stride_makespan(units, workers, layer_setup=1.0)
    dynamic = dynamic_makespan(batch_costs, workers, target_seconds=20.0, layer_setup=1.0)
    assert total / workers <= dynamic < strided
    # list scheduling's bound: within the mean load plus the longest task (and its setup)
    longest = max(cost for _, cost in batch_costs)
    assert dynamic <= total / workers + longest + 12 * 1.0 + 1e-9
