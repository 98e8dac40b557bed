"""Terminal tables of query answers (rows, a graph's paths, the units firing on a text):
every cell plain text, never markup or control.

A cell may hold a model name, a key or a token from somebody else's graph file: it is shown
as inert text (no rich markup, no emoji codes, control characters escaped), and `--json`
prints the rows for scripts instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text

from n2g.cli.common import echo, echo_json
from n2g.errors import printable
from n2g.graph.label import unit_label
from n2g.graph.model import NeuronGraph

if TYPE_CHECKING:
    from n2g.search.text_match import TextMatch


def print_rows(
    rows: Sequence[BaseModel], columns: Sequence[str], as_json: bool, title: str, empty: str
) -> None:
    if as_json:
        echo_json(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    if not rows:
        echo(empty)
        return
    table = Table(title=plain_text(title))
    for column in columns:
        table.add_column(column, no_wrap=column == "key")  # a key is read whole
    for row in rows:
        values = row.model_dump()
        table.add_row(*(cell(values[c]) for c in columns))
    Console(width=200).print(table)


def plain_text(value: str) -> Text:
    """Data as terminal text: no markup, no emoji codes, and every control character
    (CSI, OSC, C0/C1, bidirectional overrides) escaped, so a name or token from a graph
    file can neither style nor drive the terminal (n2g.errors.printable)."""
    return Text(printable(value))


def cell(value: Any) -> Text:
    """A table cell as plain text (`_text`; strings in lists as their repr)."""
    if value is None:
        return Text("-")
    if isinstance(value, float):
        return Text(f"{value:.3f}")
    if isinstance(value, list):
        return plain_text(", ".join(repr(v) if isinstance(v, str) else str(v) for v in value))
    return plain_text(str(value))


def print_paths(graph: NeuronGraph) -> None:
    """Each trie path as a row: activating token, context (read left to right), activation."""
    by_id, children = graph.node_by_id(), graph.children()
    table = Table(
        # two lines, each escaped on its own (an escaped "\n" would print as backslash-n)
        title=Text("\n").join(
            [
                plain_text(
                    f"{graph.key}  a_max={graph.a_max:.3f}"
                    + (f"  f1={cell(graph.evaluation.n2g.f1)}" if graph.evaluation else "")
                ),
                plain_text(unit_label(graph)),
            ]
        )
    )
    for column in ("activating", "context (earlier tokens left)", "activation"):
        table.add_column(column)
    rows: list[tuple[str, str, float]] = []
    for root in (n for n in graph.nodes if n.depth == 0):
        stack: list[tuple[int, list[str | None]]] = [(root.id, [])]
        while stack:
            node_id, context = stack.pop()
            node = by_id[node_id]
            if node.kind.value == "end":
                shown = " ".join(repr(t) if t is not None else "·" for t in reversed(context))
                rows.append((repr(root.token), shown, node.activation or 0.0))
                continue
            if node.depth > 0:
                context = [*context, node.token]
            stack.extend((child, context) for child in children.get(node_id, []))
    for activating, shown_context, activation in sorted(rows, key=lambda r: -r[2]):
        table.add_row(
            plain_text(activating), plain_text(shown_context or "-"), Text(f"{activation:.3f}")
        )
    Console(width=200).print(table)
    if not rows:
        echo("(the graph is empty)")


def print_output_tokens(graph: NeuronGraph) -> None:
    """What the unit's write direction promotes and suppresses (n2g.models.logit_lens),
    side by side, strongest first: each token's text (repr, escaped) and its logit."""
    output = graph.output_tokens
    if output is None:
        return
    table = Table(title=Text("output tokens (direct logit effect of its write direction)"))
    for column in ("promotes", "logit", "suppresses", "logit"):
        table.add_column(column)
    promoted, suppressed = output.promoted, output.suppressed
    for rank in range(max(len(promoted.tokens), len(suppressed.tokens))):
        row: list[Text] = []
        for side in (promoted, suppressed):
            if rank < len(side.tokens):
                row += [plain_text(repr(side.tokens[rank])), Text(f"{side.logits[rank]:+.3f}")]
            else:
                row += [Text(""), Text("")]
        table.add_row(*row)
    Console(width=200).print(table)


def print_text_match(match: TextMatch) -> None:
    if not match.neurons:
        echo(f"no neuron of {match.model!r} is predicted to fire on this text")
        return
    table = Table(title=Text(f"neurons firing on {len(match.tokens)} tokens (≥ {match.threshold})"))
    for column in ("key", "max", "firing tokens (predicted activation)"):
        table.add_column(column)
    for neuron in match.neurons:
        fired = ", ".join(
            f"{match.tokens[i]!r} {neuron.activations[i]:.2f}" for i in neuron.firing_tokens
        )
        table.add_row(
            plain_text(neuron.key), Text(f"{neuron.max_activation:.3f}"), plain_text(fired)
        )
    Console(width=200).print(table)
