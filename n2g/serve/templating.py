"""The Jinja2 environment of the pages: autoescape on for every template, strict names.

Templates ship inside the package (n2g/serve/templates, package data), so a wheel serves
the same pages as a checkout. Every value a template writes is escaped for HTML text and
attributes by autoescape; the filters give tokens their visible form and build URLs with
n2g.serve.text, so no template joins a URL or a token by hand. A name a template uses
but was not given is an error (StrictUndefined), not an empty string.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from n2g.scoring import baseline_names, label
from n2g.serve import text
from n2g.serve.evidence import group_examples, snippet_html
from n2g.serve.unit_text import activations_html

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(
        visible=text.visible,
        visible_in_text=text.visible_in_text,
        form_value=text.form_value,
        snippet=snippet_html,
        grouped=group_examples,
        activations=activations_html,
        level=text.level,
        number=text.number,
        unit_url=text.unit_url,
        unit_api_url=text.unit_api_url,
    )
    env.globals.update(
        search_url=text.search_url,
        compare_url=text.compare_url,
        query_url=text.query_url,
        unit_activations_url=text.unit_activations_url,
        # The scoring methods' columns of every score table (n2g.scoring), in order:
        # (name, label, short label).
        baselines=[
            (name, label(name).lower(), label(name, short=True)) for name in baseline_names()
        ],
    )
    return env


class Pages:
    """Renders a template into an HTML response."""

    def __init__(self) -> None:
        self.env = environment()

    def html(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)

    def response(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.html(name, **context), status_code=status)

    def error(self, status: int, message: str) -> HTMLResponse:
        """The small page every failed page request answers (n2g.serve.errors)."""
        return self.response("error.html", status=status, status_code=status, message=message)
