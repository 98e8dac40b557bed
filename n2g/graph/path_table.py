"""Many units predicted on one text at once, from each unit's graph as a table of paths.

"Which units fire on this text" runs hundreds of graphs on a dozen tokens. Compiling each
trie (n2g.graph.predict) and validating each whole graph line costs more than the matching
itself, so the store keeps each unit's graph also as its paths: one row per end node,
`[activation, t0, t1, ..., tk]`, with t0 the activating token's id and t1..tk the context
ids read back from it (-1 for an ignore node). A path matches at position i when
text[i - j] equals tj (or tj is -1 and some token stands there) for every j; the
prediction at i is the largest activation of the paths matching there, 0 where none does:
the trie's own rule (the maximum over every matching path), on the same float32 values. A
token's graded level (`NeuronGraph.token_grades`) is a row of that token alone.

All units' paths go into one array; the rows whose activating token stands somewhere in
the text are found by one sorted lookup, and the rest of each row is checked column by
column with numpy.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

import numpy as np

from n2g.graph.model import NeuronGraph, NodeKind

IGNORE = -1  # a path step any token matches
NO_STEP = -2  # padding past a path's end: matches anything, even before the text starts
BEFORE_TEXT = -3  # what the text holds before its first token: matches no step


def graph_paths(graph: NeuronGraph) -> list[list[float]]:
    """The graph's paths, `[activation, t0, ..., tk]` per end node (ids as floats: JSON)."""
    nodes = graph.node_by_id()
    parent_of = {child: parent for parent, child in graph.edges}
    paths = []
    for end in graph.nodes:
        if end.kind != NodeKind.END or end.activation is None:
            continue
        steps: list[float] = []
        at = parent_of.get(end.id)
        while at is not None:
            token_id = nodes[at].token_id
            steps.append(IGNORE if token_id is None else token_id)
            at = parent_of.get(at)
        if steps:
            paths.append([end.activation, *reversed(steps)])
    if graph.token_grades is not None:  # a token's grade: a path of its token alone
        grades = graph.token_grades
        paths += [
            [level, token] for token, level in zip(grades.token_ids, grades.levels, strict=True)
        ]
    return paths


def dump_paths(graph: NeuronGraph) -> str:
    """The graph's paths as the compact JSON text the store keeps (`Neuron.paths`)."""
    rows = [[row[0], *(int(step) for step in row[1:])] for row in graph_paths(graph)]
    return json.dumps(rows, separators=(",", ":"))


class PathTable:
    """The paths of many units, predicted together on one text."""

    def __init__(self, units: Sequence[tuple[list[list[float]], bool]]) -> None:
        """`units`: each unit's paths and whether its graph reads folded token ids."""
        paths = [path for unit_paths, _ in units for path in unit_paths]
        per_unit = np.asarray([len(unit_paths) for unit_paths, _ in units], dtype=np.int64)
        lengths = np.fromiter(map(len, paths), dtype=np.int64, count=len(paths))
        flat = np.fromiter(itertools.chain.from_iterable(paths), dtype=np.float64)
        starts = np.cumsum(lengths) - lengths
        depth = int(lengths.max()) - 1 if len(paths) else 1
        self.n_units = len(units)
        self.unit = np.repeat(np.arange(len(units)), per_unit)
        self.value = flat[starts].astype(np.float32)
        is_step = np.ones(len(flat), dtype=bool)
        is_step[starts] = False
        self.steps = np.full((len(paths), depth), NO_STEP, dtype=np.int64)
        self.steps[np.arange(depth)[None, :] < (lengths - 1)[:, None]] = flat[is_step]
        folds = np.asarray([folded for _, folded in units], dtype=bool)
        self.folded = np.repeat(folds, per_unit)
        self.any_folded = bool(self.folded.any())

    def predict(
        self,
        token_ids: Sequence[int] | np.ndarray,
        folded_ids: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        """float32 (units × tokens): each unit's prediction on every token of the text.
        `folded_ids`: the text's token classes, needed when a unit reads folded ids."""
        n = len(token_ids)
        if n == 0 or len(self.value) == 0:
            return np.zeros((self.n_units, n), dtype=np.float32)
        # -inf until a path matches (a graded level may be below 0), then 0 where none did
        prediction = np.full((self.n_units, n), -np.inf, dtype=np.float32)
        if self.any_folded and folded_ids is None:
            raise ValueError("a unit reads folded token ids: give the text's folded ids")
        texts = [np.asarray(token_ids, dtype=np.int64)]
        texts.append(np.asarray(folded_ids if folded_ids is not None else token_ids, np.int64))
        depth = self.steps.shape[1]
        rows_parts, at_parts = [], []
        for folded, text in enumerate(texts):
            rows = np.flatnonzero(self.folded == bool(folded))
            if not len(rows):
                continue
            order = rows[np.argsort(self.steps[rows, 0], kind="stable")]
            first = self.steps[order, 0]
            low = np.searchsorted(first, text, side="left")
            high = np.searchsorted(first, text, side="right")
            counts = high - low
            positions = np.repeat(np.arange(n), counts)
            offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
            rows_parts.append(order[np.repeat(low, counts) + offsets])
            at_parts.append(positions)
        rows = np.concatenate(rows_parts)
        at = np.concatenate(at_parts)
        windows = [self._windows(text, depth) for text in texts]
        ok = np.ones(len(rows), dtype=bool)
        for j in range(1, depth):
            need = self.steps[rows, j]
            seen = np.where(self.folded[rows], windows[1][at, j], windows[0][at, j])
            ok &= (need == NO_STEP) | ((seen != BEFORE_TEXT) & ((need == IGNORE) | (need == seen)))
        np.maximum.at(prediction, (self.unit[rows[ok]], at[ok]), self.value[rows[ok]])
        return np.where(np.isfinite(prediction), prediction, np.float32(0.0))

    @staticmethod
    def _windows(text: np.ndarray, depth: int) -> np.ndarray:
        """(tokens × depth): column j holds the token j steps back (BEFORE_TEXT if none)."""
        n = len(text)
        back = np.arange(n)[:, None] - np.arange(depth)[None, :]
        return np.where(back >= 0, text[np.clip(back, 0, None)], BEFORE_TEXT)
