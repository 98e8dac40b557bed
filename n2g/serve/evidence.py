"""A unit's evidence snippets as HTML: one span a token, coloured by activation level.

The one piece of markup built in Python rather than in a template: a page shows up to a
few thousand evidence tokens, and a template loop calling filters per token cost more
than the rest of the page together. The escaping is the one Jinja's autoescape applies
(markupsafe.escape's five replacements) to every value, text and attribute alike, and each
token is made visible first (n2g.serve.text), so a token can only ever be text;
tests/serve holds hostile tokens to it. The spans carry their levels in data-*
attributes, which the page's script reads to recolour by prediction.

A unit's top windows often repeat (a corpus holds the same boilerplate many times, and
each copy is a window of its own: 20 of 30 windows of one SmolLM2 neuron read alike), so
identical snippets are shown once with their count (`group_examples`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup

from n2g.graph.model import EvidenceExample
from n2g.serve.text import LEVELS, visible, visible_in_text

# markupsafe.escape's replacements (what autoescape writes), as one C-level translate
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def escaped(text: str) -> str:
    """`text` escaped for HTML text and double- or single-quoted attributes."""
    return text.translate(_ESCAPES)


@lru_cache(maxsize=65_536)
def _token_html(token: str) -> tuple[str, str]:
    """A token as escaped snippet text, and as escaped visible text for its tooltip
    (cached: a vocabulary's tokens recur across every unit's examples)."""
    return escaped(visible_in_text(token)), escaped(visible(token))


def _level(value: float) -> int:
    """n2g.serve.text.level, inlined for the hot loop (value is never None here)."""
    return min(LEVELS, max(0, round(value * LEVELS)))


def snippet_html(example: EvidenceExample) -> Markup:
    """The example's tokens as spans: class `tok` (`peak` on its strongest token),
    data-level (the colour shown, true activation at first), data-true and
    data-predicted (the levels of both), and a title with both values."""
    peak = example.peak
    parts = []
    for index, (token, true, predicted) in enumerate(
        zip(example.tokens, example.activations, example.predicted, strict=True)
    ):
        text, shown = _token_html(token)
        true_level = _level(true)
        parts.append(
            f'<span class="tok{" peak" if index == peak else ""}" data-level="{true_level}" '
            f'data-true="{true_level}" data-predicted="{_level(predicted)}" '
            f'title="{shown} \u00b7 true {true:.3f} \u00b7 predicted {predicted:.3f}">'
            f"{text}</span>"
        )
    return Markup("".join(parts))


@dataclass(frozen=True)
class ExampleGroup:
    """Identical snippets (the same tokens) of a unit's evidence, shown once: the first
    one's colours (its strongest copy: evidence comes in rank order within a split)."""

    example: EvidenceExample
    copies: tuple[EvidenceExample, ...]

    @property
    def count(self) -> int:
        return len(self.copies)

    @property
    def splits(self) -> dict[str, int]:
        """How many copies are train windows, how many test ones (train first)."""
        counts = Counter(copy.split for copy in self.copies)
        return {split: counts[split] for split in ("train", "test") if counts[split]}

    @property
    def ranks(self) -> list[int]:
        return [copy.rank for copy in self.copies]


def group_examples(evidence: list[EvidenceExample]) -> list[ExampleGroup]:
    """The evidence with identical snippets (equal tokens) together, in the order each
    first appears."""
    groups: dict[tuple[str, ...], list[EvidenceExample]] = {}
    for example in evidence:
        groups.setdefault(tuple(example.tokens), []).append(example)
    return [ExampleGroup(copies[0], tuple(copies)) for copies in groups.values()]
