"""Nested model data rebuilt from flat properties: a value put at its path, empty parts restored.

A node's properties are flat (Neo4j stores no maps), each with its path into the graph
model (n2g.db.mapping). Reading puts every value back at its path; a part of the model
that stored nothing (a `Scores` whose scores are all undefined) is then absent, where
the model requires it present, so it is restored empty before validation. Both are
about pydantic models in general, not about neuron graphs: apart from the mapping.
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel


def put_path(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    *parents, leaf = path
    for part in parents:
        data = data.setdefault(part, {})
    data[leaf] = value


def part_model(annotation: Any) -> type[BaseModel] | None:
    """The model class of a field holding a sub-model (`Scores`, `X | None`), else None."""
    options = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else ()
    for option in options or (annotation,):
        if isinstance(option, type) and issubclass(option, BaseModel):
            return option
    return None


def restore_empty_parts(model: type[BaseModel], data: dict[str, Any]) -> None:
    """Add the required parts that stored nothing because every value in them is absent
    (a Scores whose scores are all undefined): present with all fields absent."""
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if get_origin(annotation) is dict:  # parts keyed by scoring method: each as above
            part = part_model(get_args(annotation)[1])
            for value in (data.get(name) or {}).values():
                if part is not None and isinstance(value, dict):
                    restore_empty_parts(part, value)
            continue
        part = part_model(annotation)
        if part is None:
            continue
        if name not in data and field.is_required():
            if any(f.is_required() for f in part.model_fields.values()):
                continue  # cannot be rebuilt from nothing: validation names it
            data[name] = {}
        if isinstance(data.get(name), dict):
            restore_empty_parts(part, data[name])
