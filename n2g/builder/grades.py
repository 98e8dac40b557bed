"""Graded levels: what a graph predicts below the firing level (issue 24, item 1).

The paper's graph learns paths only from firing tokens, so it predicts 0 everywhere else,
while the unit's true activation there is graded: a token that never fires may still move
the unit to 0.3 wherever it appears. Token lookup predicts those levels and wins the
correlation score for it (layer 0: r .82 against .62 on the same neurons).

A graded graph keeps, beside its trie, a table of levels (`NeuronGraph.token_grades`):
for each token of its training windows whose typical level, over all its occurrences
there, reaches `floor` in size, that level, kept below the firing threshold. Prediction
takes the larger of the token's level and every matching path's END (the paper's maximum
over matching paths; 0 where neither is there). Firing is still decided by the learnt
contexts alone, so precision, recall, F1 and the out-of-distribution false-positive rate
are the same as without grades, and only the levels beneath change. Levels below 0 are
kept: tokens that hold the unit down matter to the correlation score as much.

The typical level is the `mean` (the least-squares guess of the level for an unseen
context) or the `max` (token lookup's) of the token's normalised activations in the
training windows. Training windows are top-activating windows, so both lean high; the
measured effect is in bench/results/fidelity-grades.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from n2g.builder.trie import PathExample, example_path
from n2g.graph.model import Grades, TokenGrades

# How far below the firing threshold a graded level may reach: the largest level a grade
# holds is (1 - GRADE_MARGIN) x firing_threshold, so a grade never predicts firing.
GRADE_MARGIN = 0.01


def token_levels(
    windows: Sequence[tuple[np.ndarray, np.ndarray]], statistic: Grades
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(token ids, level, occurrences) of every distinct token of `windows` ((tokens,
    normalised activations) pairs), the level being `statistic` over its occurrences."""
    if statistic == "none" or not windows:
        return np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.int64)
    tokens = np.concatenate([np.asarray(t, dtype=np.int64) for t, _ in windows])
    values = np.concatenate([np.asarray(a, dtype=np.float32) for _, a in windows])
    ids, inverse = np.unique(tokens, return_inverse=True)
    counts = np.bincount(inverse, minlength=len(ids))
    if statistic == "max":
        levels = np.full(len(ids), -np.inf, dtype=np.float32)
        np.maximum.at(levels, inverse, values)
    else:
        sums = np.bincount(inverse, weights=values, minlength=len(ids))
        levels = (sums / counts).astype(np.float32)
    return ids, levels, counts


def token_grades(
    windows: Sequence[tuple[np.ndarray, np.ndarray]],
    statistic: Grades,
    floor: float,
    firing_threshold: float,
    limit: int | None = None,
) -> TokenGrades | None:
    """The level of each token whose level's size reaches `floor` (below 0 too: tokens
    that hold the unit down), capped below `firing_threshold` (module docstring); None
    when there are none. With `limit`, only the tokens that carry most of the squared
    level over the windows (occurrences x level^2) are kept: the frequent tokens that
    shape the unit's graded response, not every rare one."""
    ids, levels, counts = token_levels(windows, statistic)
    cap = np.float32((1.0 - GRADE_MARGIN) * firing_threshold)
    keep = np.flatnonzero((np.abs(levels) >= floor) & (levels != 0))
    if limit is not None and len(keep) > limit:
        weight = counts[keep] * levels[keep].astype(np.float64) ** 2
        keep = np.sort(keep[np.argsort(-weight, kind="stable")[:limit]])
    if not len(keep):
        return None
    capped = np.minimum(levels[keep], cap)
    return TokenGrades(token_ids=ids[keep].tolist(), levels=[round(float(v), 4) for v in capped])


def verify_bare_paths(
    paths: Sequence[PathExample],
    windows: Sequence[tuple[np.ndarray, np.ndarray]],
    importance_threshold: float,
    firing_threshold: float,
) -> list[PathExample]:
    """Context-free firing paths checked against the training windows (issue 24, item 5).

    Pruning keeps the shortest context holding half the activation, and with BOS in front
    the pivot alone often does: the path then claims the token fires in any context. The
    claim holds when the token's mean level over all its training occurrences fires; where
    it does not, the path's END falls to that mean (a graded level: it no longer fires)."""
    ids, levels, _ = token_levels(windows, "mean")
    level_of = dict(zip(ids.tolist(), levels.tolist(), strict=True))
    checked = []
    for path in paths:
        bare = not example_path(path, importance_threshold)
        level = level_of.get(int(path.tokens[-1]), 0.0)
        if bare and path.activation >= firing_threshold and level < firing_threshold:
            path = PathExample(path.tokens[-1:], path.importances[-1:], max(level, 0.0))
        checked.append(path)
    return checked
