"""Predicting with a neuron graph: the trie compiled for fast matching over any text.

For every position i, all paths are walked at once: a breadth-first frontier of
(position, node) pairs moves one token back per step, following the child with the
token's id and any ignore child. Every node with an end child records its activation and
the answer is the MAXIMUM over all matching paths (the paper; the public code returned the
longest match), or the token's graded level where that is larger
(`NeuronGraph.token_grades`, which may be below 0), 0 where nothing matches. Child lookup
is a sorted-key `searchsorted`, so the work is numpy over the frontier, not Python over
tokens.

numpy only: the read side (search, `n2g like --text`) predicts without torch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from n2g.graph.model import NeuronGraph, NodeKind, TokenGrades


class NeuronTrie:
    """A compiled trie for fast prediction (see the module docstring)."""

    def __init__(
        self,
        parents: np.ndarray,
        kinds: list[NodeKind],
        token_ids: np.ndarray,
        activations: np.ndarray,
        grades: TokenGrades | None = None,
    ) -> None:
        # A token's level below firing (n2g.builder.grades), -inf where it has none.
        self.grade = np.zeros(0, dtype=np.float32)
        if grades is not None and grades.token_ids:
            self.grade = np.full(max(grades.token_ids) + 1, -np.inf, dtype=np.float32)
            self.grade[grades.token_ids] = grades.levels
        n = len(kinds)
        self.root = n
        self.end_value = np.full(n + 1, -np.inf, dtype=np.float32)
        self.max_token = int(token_ids.max()) if n and token_ids.max() >= 0 else 0
        keys, targets = [], []
        for node in range(n):
            parent = int(parents[node]) if parents[node] >= 0 else self.root
            if kinds[node] == NodeKind.END:
                self.end_value[parent] = max(self.end_value[parent], activations[node])
            elif kinds[node] in (NodeKind.ACTIVATING, NodeKind.CONTEXT, NodeKind.IGNORE):
                keys.append(self._key(parent, int(token_ids[node])))
                targets.append(node)
        order = np.argsort(np.asarray(keys, dtype=np.int64), kind="stable")
        self.keys = np.asarray(keys, dtype=np.int64)[order]
        self.targets = np.asarray(targets, dtype=np.int64)[order]

    def _key(self, parent: int | np.ndarray, token: int | np.ndarray) -> np.ndarray:
        # token -1 (ignore) -> slot 0; real tokens -> 1..max_token+1
        return np.asarray(parent, dtype=np.int64) * (self.max_token + 2) + (
            np.asarray(token, dtype=np.int64) + 1
        )

    @classmethod
    def from_graph(cls, graph: NeuronGraph) -> NeuronTrie:
        """Compile a graph-file neuron graph (any node ids, edges as stored)."""
        index = {node.id: i for i, node in enumerate(graph.nodes)}
        parents = np.full(len(graph.nodes), -1, dtype=np.int64)
        for parent, child in graph.edges:
            parents[index[child]] = index[parent]
        kinds = [node.kind for node in graph.nodes]
        token_ids = np.asarray(
            [node.token_id if node.token_id is not None else -1 for node in graph.nodes],
            dtype=np.int64,
        )
        activations = np.asarray(
            [node.activation if node.activation is not None else 0.0 for node in graph.nodes],
            dtype=np.float32,
        )
        return cls(parents, kinds, token_ids, activations, graph.token_grades)

    def _children(self, nodes: np.ndarray, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(frontier index, child) for every child of nodes[i] keyed by tokens[i]."""
        queries = self._key(nodes, tokens)
        low = np.searchsorted(self.keys, queries, side="left")
        high = np.searchsorted(self.keys, queries, side="right")
        counts = high - low
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        which = np.repeat(np.arange(len(nodes)), counts)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        return which, self.targets[np.repeat(low, counts) + offsets]

    def _walk(
        self, tokens: np.ndarray, starts: np.ndarray
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every (position, node) pair of a path matching backwards from that position,
        one depth a step (starts[i]: where the sequence holding position i begins)."""
        # Tokens the trie never names can only be matched by ignore nodes.
        matchable = np.where(tokens <= self.max_token, tokens, -2)
        positions = np.arange(len(tokens), dtype=np.int64)
        nodes = np.full(len(tokens), self.root, dtype=np.int64)
        depth = 0
        while len(positions):
            at = positions - depth
            inside = at >= starts[positions]
            positions, nodes, at = positions[inside], nodes[inside], at[inside]
            token = matchable[at]
            valid = token >= 0
            which_t, child_t = self._children(nodes[valid], token[valid])
            which_i, child_i = (
                self._children(nodes, np.full(len(nodes), -1)) if depth > 0 else (which_t[:0],) * 2
            )
            positions = np.concatenate([positions[valid][which_t], positions[which_i]])
            nodes = np.concatenate([child_t, child_i])
            yield positions, nodes
            depth += 1

    def _predict_flat(self, tokens: np.ndarray, starts: np.ndarray) -> np.ndarray:
        n = len(tokens)
        # -inf until a path or the token's grade matches (a grade may be below 0); a
        # position where neither does predicts 0.
        prediction = np.full(n, -np.inf, dtype=np.float32)
        graded = (tokens >= 0) & (tokens < len(self.grade))
        prediction[graded] = self.grade[tokens[graded]]
        if n == 0 or len(self.keys) == 0:
            return np.where(np.isfinite(prediction), prediction, np.float32(0.0))
        for positions, nodes in self._walk(tokens, starts):
            ends = self.end_value[nodes]
            hit = np.isfinite(ends)
            np.maximum.at(prediction, positions[hit], ends[hit])
        return np.where(np.isfinite(prediction), prediction, np.float32(0.0))

    def path_matches(
        self, sequences: Sequence[Sequence[int] | np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(flat position, node) of every match of a path ending at a node with an END
        child, over `sequences` laid end to end (contexts never cross)."""
        tokens, starts, _ = self._flatten(sequences)
        found_positions, found_nodes = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        if len(tokens) and len(self.keys):
            for positions, nodes in self._walk(tokens, starts):
                hit = np.isfinite(self.end_value[nodes])
                found_positions.append(positions[hit])
                found_nodes.append(nodes[hit])
        return np.concatenate(found_positions), np.concatenate(found_nodes)

    def predict(self, token_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """float32 per token: max end activation over matching paths, 0 when none."""
        tokens = np.asarray(token_ids, dtype=np.int64).reshape(-1)
        return self._predict_flat(tokens, np.zeros(len(tokens), dtype=np.int64))

    @staticmethod
    def _flatten(
        sequences: Sequence[Sequence[int] | np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`sequences` end to end, where each position's sequence starts, and their lengths."""
        arrays = [np.asarray(s, dtype=np.int64).reshape(-1) for s in sequences]
        lengths = np.asarray([len(a) for a in arrays], dtype=np.int64)
        if not arrays:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), lengths
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        return np.concatenate(arrays), np.repeat(offsets, lengths), lengths

    def predict_many(self, sequences: Sequence[Sequence[int] | np.ndarray]) -> list[np.ndarray]:
        """`predict` for many sequences in one vectorised pass (contexts never cross)."""
        if not len(sequences):
            return []
        tokens, starts, lengths = self._flatten(sequences)
        return np.split(self._predict_flat(tokens, starts), np.cumsum(lengths)[:-1])
