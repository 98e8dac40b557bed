"""The path table predicts exactly what each unit's compiled trie predicts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from n2g.graph.path_table import PathTable, dump_paths, graph_paths
from n2g.graph.predict import NeuronTrie
from n2g.testing.handmade import handmade_graphs
from n2g.testing.synthetic import synthetic_graphs

GRAPHS = [*handmade_graphs(), *synthetic_graphs(300, seed=9)]


def _texts(rng: np.random.Generator, n: int) -> list[list[int]]:
    """Texts made of the graphs' own tokens (so paths match), ids no graph names, and
    runs copied from the graphs' paths."""
    pool = sorted({nd.token_id for g in GRAPHS for nd in g.nodes if nd.token_id is not None})
    texts = []
    for i in range(n):
        text = [int(t) for t in rng.choice(pool, size=int(rng.integers(1, 30)))]
        if i % 3 == 0:
            graph = GRAPHS[int(rng.integers(len(GRAPHS)))]
            path = graph_paths(graph)[0] if graph_paths(graph) else [0.0, 1]
            text += [int(t) if t >= 0 else 7 for t in reversed(path[1:])]
        if i % 5 == 0:
            text.insert(int(rng.integers(len(text) + 1)), 10**7)  # an id nothing names
        texts.append(text)
    return texts


def test_every_unit_predicts_as_its_trie() -> None:
    table = PathTable([(json.loads(dump_paths(g)), False) for g in GRAPHS])
    tries = [NeuronTrie.from_graph(g) for g in GRAPHS]
    rng = np.random.default_rng(0)
    fired = 0
    for text in _texts(rng, 60):
        got = table.predict(text)
        want = np.stack([trie.predict(text) for trie in tries])
        np.testing.assert_array_equal(got, want)
        fired += int((got > 0).sum())
    assert fired > 100  # the texts make many units fire: the comparison is not all zeros
    assert table.predict([]).shape == (len(GRAPHS), 0)


def test_folded_units_read_the_folded_ids() -> None:
    folded = [i % 2 == 1 for i in range(len(GRAPHS))]
    table = PathTable([(graph_paths(g), f) for g, f in zip(GRAPHS, folded, strict=True)])
    tries = [NeuronTrie.from_graph(g) for g in GRAPHS]
    rng = np.random.default_rng(1)
    for text in _texts(rng, 30):
        classes = [t // 2 * 2 for t in text]  # a folding: pairs of ids share a class
        got = table.predict(text, classes)
        want = np.stack(
            [t.predict(classes if f else text) for t, f in zip(tries, folded, strict=True)]
        )
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="folded"):
        table.predict([1, 2])


def test_an_empty_table_predicts_nothing() -> None:
    assert PathTable([]).predict([1, 2]).shape == (0, 2)
    assert not PathTable([([], False)]).predict([1, 2]).any()
