"""Rendering a neuron graph the way the paper draws it (Graphviz DOT and SVG).

Ignore nodes are removed (a node below an ignore hangs from the nearest shown ancestor),
identical tokens at the same depth are collapsed into one node, context nodes are blue by
importance, activating nodes red by activation, and a node where a path ends (it has an
end child) gets a bold outline. Arrows follow reading order: context -> activating token.
Every token the database may hold can be drawn: spaces, control characters (a NUL would end
Graphviz's input) and other invisible characters are shown as visible symbols or escapes.
"""

from __future__ import annotations

import shutil
import subprocess

from n2g.errors import N2GError
from n2g.graph.model import NeuronGraph, NodeKind


def _shade(value: float, rgb: tuple[int, int, int]) -> str:
    """White (0) to `rgb` (1) as a #rrggbb colour."""
    t = min(max(value, 0.0), 1.0)
    r, g, b = (round(255 + (c - 255) * t) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


_VISIBLE = {" ": "\u2423", "\n": "\u23ce", "\t": "\u21e5", "\x7f": "\u2421"}


def _visible(char: str) -> str:
    """A character as drawn: space, newline and tab as symbols, the other C0 controls as
    their Control Pictures (NUL -> U+2400), anything else unprintable as its escape."""
    if char in _VISIBLE:
        return _VISIBLE[char]
    if char < " ":
        return chr(0x2400 + ord(char))
    if not char.isprintable():  # C1 controls, format characters, line separators, ...
        return char.encode("unicode_escape").decode("ascii")
    return char


def _quoted(text: str) -> str:
    """`text` inside a DOT double-quoted string. Graphviz reads `&name;`, `&#N;` in labels
    as entities, so `&` itself is written as one: `&#1;` is drawn as those four characters."""
    return text.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')


def _label(token: str) -> str:
    """A token's node label: every character visible (so any token can be drawn; a NUL
    byte would end Graphviz's input), the empty token as the empty-set sign."""
    return _quoted("".join(_visible(char) for char in token)) or "\u2205"


def to_dot(graph: NeuronGraph) -> str:
    """DOT text of the paper's picture of `graph`."""
    nodes = graph.node_by_id()
    parent_of = {child: parent for parent, child in graph.edges}
    ends_below = {p for p, c in graph.edges if nodes[c].kind == NodeKind.END}
    shown: dict[tuple[int, str, int], dict] = {}  # (depth, kind, token_id) -> attributes
    links: set[tuple[tuple, tuple]] = set()
    for node in graph.nodes:
        if node.kind not in (NodeKind.ACTIVATING, NodeKind.CONTEXT):
            continue
        key = (node.depth, node.kind.value, int(node.token_id or 0))
        value = node.activation if node.kind == NodeKind.ACTIVATING else node.importance
        entry = shown.setdefault(key, {"token": node.token or "", "value": 0.0, "end": False})
        entry["value"] = max(entry["value"], float(value or 0.0))
        entry["end"] = entry["end"] or node.id in ends_below
        ancestor = parent_of.get(node.id)
        while ancestor is not None and nodes[ancestor].kind == NodeKind.IGNORE:
            ancestor = parent_of.get(ancestor)
        if ancestor is not None:
            up = nodes[ancestor]
            links.add((key, (up.depth, up.kind.value, int(up.token_id or 0))))
    names = {key: f"n{i}" for i, key in enumerate(sorted(shown))}
    lines = [
        f'digraph "{_quoted(graph.key)}" {{',
        "  rankdir=LR;",
        f'  label="{_quoted(graph.key)}"; labelloc=t;',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    ]
    for key in sorted(shown):
        entry = shown[key]
        colour = (220, 40, 40) if key[1] == NodeKind.ACTIVATING.value else (40, 90, 220)
        style = "rounded,filled,bold" if entry["end"] else "rounded,filled"
        width = 3 if entry["end"] else 1
        lines.append(
            f'  {names[key]} [label="{_label(entry["token"])}", '
            f'fillcolor="{_shade(entry["value"], colour)}", style="{style}", penwidth={width}];'
        )
    for child, parent in sorted(links):
        lines.append(f"  {names[child]} -> {names[parent]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(graph: NeuronGraph) -> str:
    """SVG text of `to_dot(graph)`, laid out by the Graphviz `dot` binary."""
    dot = shutil.which("dot")
    if dot is None:
        raise N2GError("install graphviz (apt-get install graphviz)")
    result = subprocess.run(
        [dot, "-Tsvg"], input=to_dot(graph).encode("utf-8"), capture_output=True, check=False
    )
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", errors="replace")
        message = (stderr.strip().splitlines() or ["unknown error"])[0]
        raise N2GError(f"graphviz dot failed: {message}")
    return result.stdout.decode("utf-8", errors="replace")
