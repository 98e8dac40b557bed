"""One-line unit labels from hand-made graphs."""

from __future__ import annotations

from n2g.graph.label import unit_label
from n2g.testing.handmade import make_graph


def test_a_detector_with_context() -> None:
    graph = make_graph("m", 0, 1, [("ending", [" Desc"], 0.9), ("aped", ["esc"], 0.7)])
    assert unit_label(graph) == "fires on `ending`, `aped` after ` Desc`, `esc`"


def test_one_token_and_no_context() -> None:
    assert unit_label(make_graph("m", 0, 2, [("://", [], 1.0)])) == "fires on `://`"


def test_many_tokens_are_counted_and_context_ranked_by_importance() -> None:
    paths = [(f"t{i}", [None, "far"], 1.0 - i / 10) for i in range(5)]
    label = unit_label(make_graph("m", 0, 3, paths))
    # no context right before: the context anywhere is named
    assert label == "fires on `t0`, `t1`, `t2` (+2 more) after `far`"


def test_an_empty_graph_and_hostile_tokens_stay_one_line() -> None:
    assert unit_label(make_graph("m", 0, 4, [])) == "fires on nothing in its examples"
    label = unit_label(make_graph("m", 0, 5, [("a\nb\x1b]0;x\x07", [], 0.5)]))
    assert label == "fires on `a\\nb\\x1b]0;x\\x07`" and label.isprintable()
