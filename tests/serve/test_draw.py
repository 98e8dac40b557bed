"""The graph picture laid out in Python: render.py's conventions, and a readable layout."""

from __future__ import annotations

from n2g.serve.draw import NODE_HEIGHT, draw, shown_nodes
from n2g.testing.handmade import make_graph
from tests.serve.graphs import GRAPHS_BY_KEY


def test_nodes_are_merged_ignores_skipped_and_ends_marked() -> None:
    graph = GRAPHS_BY_KEY["hand/0/0"]  # " everyone" <- " except"; " all" <- " except" . " for"
    shown = {(node.kind, node.token): node for node in shown_nodes(graph).values()}
    assert set(shown) == {
        ("activating", " everyone"),
        ("activating", " all"),
        ("context", " except"),  # two trie nodes at depth 1, one shown node
        ("context", " for"),  # below an ignore node: hangs from " except"
    }
    except_ = shown[("context", " except")]
    assert {target[2] for target in except_.targets} == {
        shown[("activating", " everyone")].key[2],
        shown[("activating", " all")].key[2],
    }
    assert shown[("context", " for")].targets == [except_.key]
    assert except_.ends and shown[("context", " for")].ends  # a path ends at each
    assert not shown[("activating", " all")].ends


def test_layout_reads_left_to_right_without_overlaps() -> None:
    drawing = draw(GRAPHS_BY_KEY["hand/1/10"])  # " ctx" before ten activating tokens
    by_token = {node.token: node for node in drawing.nodes}
    ctx = by_token[" ctx"]
    activating = [n for n in drawing.nodes if n.kind == "activating"]
    assert all(ctx.x + ctx.width < n.x for n in activating)  # context left of activating
    ys = sorted(n.y for n in activating)
    assert all(b - a >= NODE_HEIGHT for a, b in zip(ys, ys[1:], strict=False))
    assert min(ys) <= ctx.y <= max(ys)  # centred on the tokens it leads to
    assert len(drawing.edges) == 10
    assert all(n.x >= 0 and n.x + n.width <= drawing.width for n in drawing.nodes)
    assert all(n.y >= 0 and n.y + n.height <= drawing.height for n in drawing.nodes)


def test_colours_links_and_labels() -> None:
    long_token = " " + "x" * 40
    graph = make_graph("m", 0, 1, [(long_token, ["<b>"], 1.0), ("a", [], 0.0)])
    drawing = draw(graph, shared_activating=frozenset({"a"}))
    by_token = {node.token: node for node in drawing.nodes}
    strong, weak, ctx = by_token[long_token], by_token["a"], by_token["<b>"]
    assert strong.fill == "#dc2828" and weak.fill == "#ffffff"  # red by activation
    assert ctx.fill.startswith("#") and ctx.fill != strong.fill  # blue by importance
    assert strong.label == "\u2423" + "x" * 22 + "\u2026" and long_token[1:] in "".join(
        strong.title.split("\u2423")
    )
    assert strong.href == "/search?token=+" + "x" * 40
    assert ctx.href == "/search?context=%3Cb%3E"
    assert weak.shared and not strong.shared and not ctx.shared


def test_empty_graph_draws_nothing() -> None:
    drawing = draw(GRAPHS_BY_KEY["hand/3/14"])
    assert drawing.nodes == [] and drawing.edges == []
