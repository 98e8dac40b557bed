"""Write docs/api.md, the Python API's reference, from the docstrings of n2g.api.

    python scripts/api_reference.py          # rewrite docs/api.md
    python scripts/api_reference.py --check  # exit 1 when docs/api.md is out of date

The docstrings are the one source: tests/test_api.py fails when the page drifts from them.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

PAGE = Path(__file__).resolve().parent.parent / "docs" / "api.md"
HEADER = """# The Python API

Generated from the docstrings of `n2g/api.py` by `python scripts/api_reference.py`; do not
edit by hand. Every name here is imported with `import n2g` (`n2g.connect`, ...): `import
n2g` itself loads nothing else until a name is used, and `build_graph` needs the `build`
extra (torch). Errors are `n2g.N2GError`, one line.
"""


def _annotation(value: Any) -> str:
    return value if isinstance(value, str) else inspect.formatannotation(value)


def signature(item: Any, name: str) -> str:
    """`name(params) -> result`, annotations as written (postponed, so strings)."""
    sig = inspect.signature(item)
    parts: list[str] = []
    star_done = False
    for param in sig.parameters.values():
        if param.name == "self":
            continue
        if param.kind is param.KEYWORD_ONLY and not star_done:
            parts.append("*")
            star_done = True
        text = ("*" if param.kind is param.VAR_POSITIONAL else "") + param.name
        star_done = star_done or param.kind is param.VAR_POSITIONAL
        if param.annotation is not param.empty:
            text += f": {_annotation(param.annotation)}"
        if param.default is not param.empty:
            default = param.default
            shown = repr(default) if isinstance(default, str | int | float | None) else "..."
            text += f" = {shown}"
        parts.append(text)
    result = ""
    if sig.return_annotation is not sig.empty:
        result = f" -> {_annotation(sig.return_annotation)}"
    return f"{name}({', '.join(parts)}){result}"


def _doc(item: Any) -> str:
    return inspect.getdoc(item) or ""


def _public_methods(cls: type) -> list[tuple[str, Any]]:
    methods = []
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        member = inspect.getattr_static(cls, name)
        if isinstance(member, property) or inspect.isfunction(member):
            methods.append((name, member))
    return methods


def render() -> str:
    """The whole page."""
    from n2g import api

    out = [HEADER]
    for name in api.__all__:
        item = getattr(api, name)
        if inspect.isfunction(item):
            out += [f"## `n2g.{signature(item, name)}`\n", _doc(item) + "\n"]
        elif name == "Store":
            out += [f"## `n2g.{name}`\n", _doc(item) + "\n"]
            for method, member in _public_methods(item):
                if isinstance(member, property):
                    head = f"### `{name}.{method}` (property)"
                    doc = _doc(member.fget)
                else:
                    head = f"### `{name}.{signature(member, method)}`"
                    doc = _doc(member)
                out += [head + "\n", doc + "\n"]
        else:
            first = _doc(item).split("\n\n")[0]
            out += [f"## `n2g.{name}` (from `{item.__module__}`)\n", first + "\n"]
    return "\n".join(out)


def main() -> int:
    page = render()
    if "--check" in sys.argv[1:]:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != page:
            print(f"{PAGE} is out of date: run python scripts/api_reference.py", file=sys.stderr)
            return 1
        return 0
    from n2g.files import write_text_atomic

    write_text_atomic(PAGE, page)
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
