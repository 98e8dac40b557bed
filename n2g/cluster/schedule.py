"""Cost-aware scheduling of a build's neuron batches over many workers.

A neuron's build cost grows steeply with its layer (bench.whole_model, SmolLM2 on a CPU:
0.008 s a neuron in layer 0, 3.1 s in layer 20), because every pass runs the model up to
that layer and deeper neurons have longer, more varied contexts. Two rules follow:

- **expensive first**: batches are handed out deepest layer first, so the long tasks start
  early and the cheap ones fill the gaps at the end (longest-processing-time-first, the
  classic list-scheduling rule, whose makespan is within 4/3 of the optimum);
- **cost-sized tasks**: a task is one batch in a deep layer, and several consecutive
  batches of a cheap layer (up to `target_seconds` of estimated work), so cheap layers do
  not pay a scheduling round trip per batch and no task is long enough to leave the other
  workers idle at the end.

The batches themselves never change: they are the single-process build's (consecutive
`neurons_per_batch` neurons of a layer), because a batch's composition changes the
rounding of its shared passes; the same batches give the same graphs, bit for bit.

Costs are estimated per layer: before any measurement proportional to `layer + 1` (the
depth of the passes), then from the seconds per neuron measured on finished tasks, a layer
without a measurement scaled from the measured ones. Pure Python, no Ray: the simulation
in bench.distributed runs the same rules.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Batch:
    """Consecutive neurons of one layer built together (one `build_neuron_graphs` call)."""

    layer: int
    neurons: tuple[int, ...]


def plan_batches(layers: Sequence[int], neurons: Sequence[int], per_batch: int) -> list[Batch]:
    """The single-process build's batches: each layer's neurons, `per_batch` at a time."""
    return [
        Batch(layer, tuple(neurons[start : start + per_batch]))
        for layer in layers
        for start in range(0, len(neurons), per_batch)
    ]


@dataclass
class LayerCosts:
    """Seconds per neuron of each layer: measured where a task finished, else estimated."""

    measured: dict[int, tuple[float, int]] = field(default_factory=dict)  # layer: (s, neurons)

    def record(self, layer: int, seconds: float, n_neurons: int) -> None:
        total, count = self.measured.get(layer, (0.0, 0))
        self.measured[layer] = (total + seconds, count + n_neurons)

    def known(self) -> bool:
        return bool(self.measured)

    def per_neuron(self, layer: int) -> float:
        """Seconds a neuron of `layer` takes (relative units `layer + 1` before any task
        has finished)."""
        if layer in self.measured:
            total, count = self.measured[layer]
            return total / max(count, 1)
        if not self.measured:
            return float(layer + 1)
        scale = sum(t / max(c, 1) / (lay + 1) for lay, (t, c) in self.measured.items())
        return scale / len(self.measured) * (layer + 1)

    def of(self, batch: Batch) -> float:
        return self.per_neuron(batch.layer) * len(batch.neurons)


class TaskQueue:
    """Batches waiting to be built, handed out as cost-sized tasks, expensive first."""

    def __init__(self, batches: Iterable[Batch], costs: LayerCosts, target_seconds: float):
        # deepest layer first (the prior's order; measurements keep it in practice), and in
        # neuron order within a layer, so neighbouring batches share a layer's data
        ordered = sorted(batches, key=lambda b: (-b.layer, b.neurons))
        self._waiting: deque[Batch] = deque(ordered)
        self.costs = costs
        self.target_seconds = target_seconds

    def __len__(self) -> int:
        return len(self._waiting)

    def remaining_seconds(self) -> float:
        return sum(self.costs.of(b) for b in self._waiting)

    def next_task(self, workers: int) -> list[Batch]:
        """The next task: the first waiting batch, plus following batches of its layer
        while the task stays under the target (and under a fair share of what is left,
        so the last tasks are small). One batch while nothing has been measured."""
        if not self._waiting:
            return []
        task = [self._waiting.popleft()]
        if not self.costs.known():
            return task
        budget = min(self.target_seconds, self.remaining_seconds() / max(4 * workers, 1))
        spent = self.costs.of(task[0])
        while self._waiting and self._waiting[0].layer == task[0].layer:
            cost = self.costs.of(self._waiting[0])
            if spent + cost > budget:
                break
            task.append(self._waiting.popleft())
            spent += cost
        return task


def stride_makespan(
    unit_costs: Sequence[tuple[int, float]], workers: int, layer_setup: float = 0.0
) -> float:
    """Makespan of `--shard i/n` striding: worker i builds units i, i + n, ...
    (`unit_costs`: (layer, seconds) in the build's unit order); each worker also pays
    `layer_setup` once for every layer its share touches."""
    loads = [0.0] * workers
    seen: list[set[int]] = [set() for _ in range(workers)]
    for position, (layer, seconds) in enumerate(unit_costs):
        worker = position % workers
        loads[worker] += seconds
        if layer not in seen[worker]:
            seen[worker].add(layer)
            loads[worker] += layer_setup
    return max(loads)


def dynamic_makespan(
    batch_costs: Sequence[tuple[Batch, float]],
    workers: int,
    target_seconds: float,
    layer_setup: float = 0.0,
    overhead: float = 0.0,
) -> float:
    """Makespan of this module's scheduling, simulated: the queue's tasks go to whichever
    worker is free first; a task costs its batches' true seconds, `overhead` a task, and
    `layer_setup` when the worker last built another layer. The queue's estimates are
    the true per-layer means (as after the first measurements)."""
    truth = {batch: seconds for batch, seconds in batch_costs}
    costs = LayerCosts()
    for batch, seconds in batch_costs:
        costs.record(batch.layer, seconds, len(batch.neurons))
    queue = TaskQueue(truth, costs, target_seconds)
    free: list[tuple[float, int, int]] = [(0.0, worker, -1) for worker in range(workers)]
    heapq.heapify(free)
    end = 0.0
    while len(queue):
        now, worker, last_layer = heapq.heappop(free)
        task = queue.next_task(workers)
        layer = task[0].layer
        took = overhead + sum(truth[b] for b in task) + (layer_setup if layer != last_layer else 0)
        end = max(end, now + took)
        heapq.heappush(free, (now + took, worker, layer))
    return end
