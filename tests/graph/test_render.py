"""The paper's picture: ignores removed, tokens collapsed per depth, colours, bold ends."""

from __future__ import annotations

import shutil

import pytest

from n2g.graph.model import NeuronGraph, NodeKind, TrieNode
from n2g.graph.render import to_dot, to_svg


@pytest.fixture()
def graph() -> NeuronGraph:
    nodes = [
        TrieNode(id=0, kind=NodeKind.ACTIVATING, depth=0, token=" except", token_id=10,
                 activation=1.0),
        TrieNode(id=1, kind=NodeKind.IGNORE, depth=1),
        TrieNode(id=2, kind=NodeKind.CONTEXT, depth=2, token='"all', token_id=11, importance=0.9),
        TrieNode(id=3, kind=NodeKind.END, depth=3, activation=1.0),
        TrieNode(id=4, kind=NodeKind.CONTEXT, depth=1, token="x", token_id=12, importance=0.2),
        TrieNode(id=5, kind=NodeKind.CONTEXT, depth=2, token='"all', token_id=11, importance=0.5),
        TrieNode(id=6, kind=NodeKind.END, depth=3, activation=0.6),
    ]  # fmt: skip
    edges = [(0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (5, 6)]
    return NeuronGraph(model="m", layer=1, neuron=2, a_max=3.0, nodes=nodes, edges=edges)


def test_dot_follows_the_paper(graph):
    dot = to_dot(graph)
    lines = dot.splitlines()
    node_lines = [ln for ln in lines if "[label=" in ln]
    # ignore removed; the two '"all' nodes at depth 2 collapse into one.
    assert len(node_lines) == 3
    assert sum('\\"all' in ln for ln in node_lines) == 1
    (activating,) = [ln for ln in node_lines if "except" in ln]
    assert "\u2423except" in activating and "#dc2828" in activating  # full red
    (collapsed,) = [ln for ln in node_lines if "all" in ln]
    assert "bold" in collapsed and "penwidth=3" in collapsed  # paths end there
    (faint,) = [ln for ln in node_lines if 'label="x"' in ln]
    assert "bold" not in faint
    edges = [ln for ln in lines if "->" in ln]
    assert len(edges) == 3  # all->except (through the removed ignore), all->x, x->except
    assert dot.startswith('digraph "m/1/2"')


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz not installed")
def test_svg_via_graphviz(graph):
    svg = to_svg(graph)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "except" in svg


CONTROL_TOKENS = ["\x00", "a\x00b", "\x1b[0m", "\r", "\x7f", "\x85", "\u2028", "\ufeff", ""]


def _graph_of(tokens: list[str]) -> NeuronGraph:
    nodes, edges = [], []
    for i, token in enumerate(tokens):
        nodes.append(
            TrieNode(
                id=2 * i, kind=NodeKind.ACTIVATING, depth=0, token=token, token_id=i, activation=0.5
            )
        )
        nodes.append(TrieNode(id=2 * i + 1, kind=NodeKind.END, depth=1, activation=0.5))
        edges.append((2 * i, 2 * i + 1))  # fmt: skip
    return NeuronGraph(model="m", layer=0, neuron=0, a_max=1.0, nodes=nodes, edges=edges)


def test_control_characters_are_drawn_visibly():
    labels = [ln for ln in to_dot(_graph_of(CONTROL_TOKENS)).splitlines() if "[label=" in ln]
    shown = "\n".join(labels)
    assert all(line.isprintable() for line in labels), "no raw control or format character"
    for visible in ("\u2400", "a\u2400b", "\u241b[0m", "\u240d", "\u2421", "\\\\x85",
                    "\\\\u2028", "\\\\ufeff", "\u2205"):  # fmt: skip
        assert f'label="{visible}"' in shown, visible


def test_a_model_name_with_quotes_is_escaped():
    graph = _graph_of(["x"]).model_copy(update={"model": 'my "model"\\v2'})
    assert to_dot(graph).startswith('digraph "my \\"model\\"\\\\v2/0/0"')


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz not installed")
def test_every_token_can_be_drawn():
    svg = to_svg(_graph_of(CONTROL_TOKENS))
    assert "<svg" in svg and "\u2400" in svg and "\u2205" in svg


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz not installed")
def test_byte_tokens_render_as_their_text_in_valid_svg():
    """A byte token's text (n2g.graph.token_text) is drawn as written, '<' and '>' escaped."""
    import xml.etree.ElementTree as ET

    svg = to_svg(_graph_of(["<0xE2>", " <0xC3>", "<0xE2><0x84>"]))
    texts = [el.text for el in ET.fromstring(svg).iter() if el.tag.endswith("text")]
    assert {"<0xE2>", "\u2423<0xC3>", "<0xE2><0x84>"} <= set(texts)  # a leading space: '␣'
    assert "&lt;0xE2&gt;" in svg
