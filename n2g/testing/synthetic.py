"""Synthetic neuron graphs the size of a real model, for storage and query benchmarks.

Shapes follow what N2G builds (the paper, §3): ~10 training examples plus their kept
augmentations form 4–40 paths per neuron; each path is one activating token, a few steps
back into the context (important tokens, or IGNORE placeholders for unimportant ones) and
an end node; shared prefixes merge into a trie. Tokens are drawn Zipf-like from a
~49k-token vocabulary (SmolLM2's is 49,152), so common tokens are shared by many neurons,
as in real graphs. A neuron's activating tokens come from a small per-neuron set.

    from bench.synthetic import synthetic_graphs, write_graph_file
    write_graph_file("graphs.jsonl", synthetic_graphs(46_080))   # a whole SmolLM2
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from n2g.files import open_atomic
from n2g.graph.evaluation import Evaluation, Scores
from n2g.graph.file import dump_graph_line
from n2g.graph.model import EvidenceExample, NeuronGraph, NodeKind, TokenGrades, TrieNode
from n2g.scoring import baseline_names

VOCAB_SIZE = 49_152
SMOLLM2_NEURONS_PER_LAYER = 1536
_IGNORE = -1


def _vocabulary(size: int) -> list[str]:
    """Token texts: word-like pieces with and without a leading space, plus punctuation."""
    punctuation = [".", ",", "\n", "'", '"', "(", ")", ":", ";", "-", "\\", "?", "!"]
    words = [f" w{i}" if i % 3 else f"w{i}" for i in range(size - len(punctuation))]
    return punctuation + words


class _ZipfSampler:
    """Token ids with probability ∝ 1 / (rank + 2.7)^1.07 (Zipf–Mandelbrot, like text)."""

    def __init__(self, size: int) -> None:
        weights = 1.0 / (np.arange(size) + 2.7) ** 1.07
        self.cdf = np.cumsum(weights / weights.sum())

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.minimum(np.searchsorted(self.cdf, rng.random(n)), len(self.cdf) - 1)


def _scores(rng: np.random.Generator, base: float) -> Scores:
    precision = float(np.clip(rng.normal(base, 0.15), 0.0, 1.0))
    recall = float(np.clip(rng.normal(base, 0.15), 0.0, 1.0))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return Scores(precision=precision, recall=recall, f1=f1)


def _graph(
    model: str,
    layer: int,
    neuron: int,
    rng: np.random.Generator,
    vocab: list[str],
    sampler: _ZipfSampler,
) -> NeuronGraph:
    activating_ids = sampler.sample(rng, int(rng.integers(1, 5)))
    n_paths = int(np.clip(rng.lognormal(2.3, 0.6), 4, 40))
    nodes: list[TrieNode] = []
    edges: list[tuple[int, int]] = []
    children: dict[tuple[int, int], int] = {}  # (parent id or -1, token id or IGNORE) -> id

    def child(parent: int, token: int, depth: int, kind: NodeKind, value: float) -> int:
        key = (parent, token)
        if key in children:
            node = nodes[children[key]]
            if kind == NodeKind.CONTEXT:
                node.importance = max(node.importance or 0.0, value)
            return node.id
        node_id = len(nodes)
        token_text = vocab[token] if token != _IGNORE else None
        nodes.append(
            TrieNode(
                id=node_id,
                kind=kind,
                depth=depth,
                token=token_text,
                token_id=int(token) if token != _IGNORE else None,
                importance=value if kind == NodeKind.CONTEXT else None,
                activation=value if kind == NodeKind.ACTIVATING else None,
            )
        )
        children[key] = node_id
        if parent >= 0:
            edges.append((parent, node_id))
        return node_id

    for _ in range(n_paths):
        end_activation = float(rng.uniform(0.5, 1.0))
        root_token = int(activating_ids[rng.integers(len(activating_ids))])
        current = child(-1, root_token, 0, NodeKind.ACTIVATING, end_activation)
        root = nodes[current]
        root.activation = max(root.activation or 0.0, end_activation)
        n_context = min(int(rng.geometric(0.45)) - 1, 8)
        context_tokens = sampler.sample(rng, n_context)
        for step, token in enumerate(context_tokens, start=1):
            if rng.random() < 0.35:
                current = child(current, _IGNORE, step, NodeKind.IGNORE, 0.0)
            else:
                importance = float(rng.uniform(0.75, 1.0))
                current = child(current, int(token), step, NodeKind.CONTEXT, importance)
        end_key = (current, _IGNORE - 1)
        if end_key in children:
            end = nodes[children[end_key]]
            end.activation = max(end.activation or 0.0, end_activation)
        else:
            end_id = len(nodes)
            nodes.append(
                TrieNode(
                    id=end_id,
                    kind=NodeKind.END,
                    depth=nodes[current].depth + 1,
                    activation=end_activation,
                )
            )
            children[end_key] = end_id
            edges.append((current, end_id))

    quality = float(np.clip(0.85 - 0.015 * layer, 0.2, 0.95))
    evaluation = Evaluation(
        n_train_examples=10,
        n_test_examples=10,
        n_test_tokens=int(rng.integers(200, 640)),
        n_test_firing=int(rng.integers(0, 40)),
        n2g=_scores(rng, quality),
        # every scoring method (n2g.scoring), each a little worse than the one before
        baselines={
            name: _scores(rng, quality - 0.1 * (i + 1)) for i, name in enumerate(baseline_names())
        },
    )
    return NeuronGraph(
        model=model,
        layer=layer,
        neuron=neuron,
        a_max=float(rng.uniform(0.5, 12.0)),
        n_examples=n_paths,
        nodes=nodes,
        edges=edges,
        evaluation=evaluation,
        token_grades=_grades(layer, neuron, len(vocab)),
    )


def _grades(layer: int, neuron: int, vocab_size: int) -> TokenGrades | None:
    """Levels below firing for every other unit (a generator of their own, so the rest of
    the synthetic data stays as it was)."""
    if neuron % 2:
        return None
    rng = np.random.default_rng([layer, neuron, 7])
    ids = rng.choice(vocab_size, size=min(8, vocab_size), replace=False)
    levels = np.round(rng.uniform(-0.2, 0.49, size=len(ids)), 4)
    return TokenGrades(token_ids=sorted(ids.tolist()), levels=levels.tolist())


def _evidence(
    graph: NeuronGraph, n: int, rng: np.random.Generator, vocab: list[str], sampler: _ZipfSampler
) -> list[EvidenceExample]:
    """`n` snippets shaped like the builder's (n2g.builder.evidence): the graph's activating
    token at the peak, its longest path's worth of left context, 3 tokens after; half train,
    the test ones at the top ranks' odd places."""
    activating = [node.token for node in graph.nodes if node.kind == NodeKind.ACTIVATING]
    left = max([node.depth for node in graph.nodes if node.kind == NodeKind.END] + [4])
    out = []
    for rank in range(n):
        before, after = int(rng.integers(left // 2, left + 1)), 3
        tokens = [vocab[t] for t in sampler.sample(rng, before + 1 + after)]
        peak_value = round(float(rng.uniform(0.5, 1.0)) * (1 - rank / (2 * n)), 3)
        tokens[before] = activating[int(rng.integers(len(activating)))] if activating else "x"
        truth = [round(float(v), 3) for v in rng.uniform(-0.05, 0.3, len(tokens))]
        truth[before] = peak_value
        predicted = [0.0] * len(tokens)
        predicted[before] = round(peak_value * float(rng.uniform(0.8, 1.2)), 3)
        split = "test" if rank < 2 * (n // 3) and rank % 2 else "train"
        out.append(
            EvidenceExample(
                split=split,
                rank=rank,
                start=int(rng.integers(0, 200)),
                tokens=tokens,
                activations=truth,
                predicted=predicted,
            )
        )
    return out


def synthetic_graphs(
    n_neurons: int,
    *,
    model: str = "synthetic-smollm2",
    n_layers: int = 30,
    seed: int = 0,
    evidence: int = 0,
) -> Iterator[NeuronGraph]:
    """`n_neurons` neuron graphs, layer by layer (1,536 neurons a layer, like SmolLM2),
    each with `evidence` evidence examples (the main job keeps 30: 20 train, 10 test).

    Deterministic for a seed; neuron i is the same graph whatever n_neurons is, and
    whatever `evidence` is apart from its evidence.
    """
    vocab = _vocabulary(VOCAB_SIZE)
    sampler = _ZipfSampler(VOCAB_SIZE)
    for i in range(n_neurons):
        layer = min(i // SMOLLM2_NEURONS_PER_LAYER, n_layers - 1)
        index = i - layer * SMOLLM2_NEURONS_PER_LAYER
        rng = np.random.default_rng([seed, i])
        graph = _graph(model, layer, index, rng, vocab, sampler)
        if evidence:
            more = np.random.default_rng([seed, i, 1])
            graph.evidence = _evidence(graph, evidence, more, vocab, sampler)
        yield graph


def write_graph_file(path: Path | str, graphs: Iterable[NeuronGraph]) -> int:
    """Write graphs as a JSON Lines graph file, whole (n2g.files); return how many."""
    count = 0
    with open_atomic(Path(path)) as handle:
        for graph in graphs:
            handle.write(dump_graph_line(graph) + "\n")
            count += 1
    return count
