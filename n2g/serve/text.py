"""Token text as pages show it, and every URL a page links to: escaping in one place.

A token may hold anything (`<script>`, quotes, `[/]`, a NUL, a right-to-left override),
so each context gets its own treatment, and only here:

- HTML text and attributes: Jinja's autoescape (on for every template), given the token
  made *visible* first: spaces, newlines, tabs and control characters as symbols (NUL as
  U+2400), other invisible or direction-changing characters as their escape (U+202E as
  `\\u202e`), following n2g.graph.render, so a token can neither vanish nor reorder the page;
- URLs: built from parts by `urllib.parse.quote`/`urlencode` (never by pasting text), so a
  token is always a query value and a key always a path, whatever they contain;
- JavaScript never sees data except through `data-*` attributes (escaped as attributes).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from n2g.graph.render import _visible

EMPTY_TOKEN = "\u2205"  # the empty token, drawn as the empty-set sign (as render.py does)
LEVELS = 10  # colour levels 0..LEVELS (CSS classes, so no inline style is needed)


def visible(token: str) -> str:
    """Every character of `token` visible (spaces as U+2423): graph nodes, lists, titles."""
    if token.isprintable():  # the common case, fast: only the spaces change
        return token.replace(" ", "\u2423") or EMPTY_TOKEN
    return "".join(_visible(char) for char in token)


def visible_in_text(token: str) -> str:
    """`visible`, but spaces kept as spaces: tokens inside a running snippet, shown with
    `white-space: pre` on a coloured background, read as text while nothing is hidden."""
    if token.isprintable():
        return token or EMPTY_TOKEN
    return "".join(char if char == " " else _visible(char) for char in token)


def form_value(value: str | None) -> str:
    """A value to echo in a form field: as given when a field can carry it back exactly,
    else empty (a NUL, a newline or an invisible character would be changed or dropped
    by the browser, so resubmitting the form would ask something else; the page shows
    the query visibly beside its results instead)."""
    return value if value is not None and value.isprintable() else ""


def level(value: float | None) -> int:
    """A value in [0, 1] as a colour level 0..LEVELS (outside values clamped; None is 0)."""
    if value is None:
        return 0
    return round(min(max(value, 0.0), 1.0) * LEVELS)


def number(value: float | None, digits: int = 3) -> str:
    """A float for a table cell; None (undefined, not stored) as an en dash."""
    return "\u2013" if value is None else f"{value:.{digits}f}"


def _needs_query_form(key: str) -> bool:
    """A key with a '.' or '..' segment cannot travel in a URL path: browsers resolve such
    segments (percent-encoded too) before sending the request."""
    return any(part in (".", "..") for part in key.split("/"))


def unit_url(key: str) -> str:
    """The page of unit `key`: `/units/<key>`, each character quoted but the slashes that
    separate its parts (model names may hold slashes); `/units?key=...` for the rare key
    a path cannot carry."""
    if _needs_query_form(key):
        return "/units?" + urlencode({"key": key})
    return "/units/" + quote(key, safe="/:")


def unit_api_url(key: str) -> str:
    if _needs_query_form(key):
        return "/api/units?" + urlencode({"key": key})
    return "/api/units/" + quote(key, safe="/:")


def unit_activations_url(key: str, text: str, tokenizer: str | None = None) -> str | None:
    """The JSON of `text` run through unit `key` (None for a key a path cannot carry)."""
    if _needs_query_form(key):
        return None
    path = "/api/unit/" + quote(key, safe="/:") + "/activations"
    return query_url(path, text=text, tokenizer=tokenizer)


def query_url(path: str, **params: str | int | float | bool | None) -> str:
    """`path?a=...&b=...` with the parameters that are not None, each quoted as a value."""
    given = {
        name: ("true" if value is True else "false" if value is False else value)
        for name, value in params.items()
        if value is not None
    }
    return f"{path}?{urlencode(given)}" if given else path


def search_url(
    token: str | None = None, context: str | None = None, model: str | None = None
) -> str:
    """The search page for an activating and/or context token (optionally in one model)."""
    return query_url("/search", token=token, context=context, model=model)


def compare_url(a: str, b: str | None = None) -> str:
    return query_url("/compare", a=a, b=b)
