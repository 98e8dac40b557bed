"""Methods: named sets of record and build settings, so results can be compared by name.

- `paper`: Foote et al. exactly as its Table 1 was produced: the top 20 examples of
  1,024-token windows (Neuroscope's), split 10/10; one pivot per example (the argmax,
  eq. 1); prune, saliency and augmentation thresholds 0.5 / 0.75 / 0.5; 5 substitutes per
  important token, the pivot included; END nodes holding the pruned activation rescaled by
  original/pruned (what the authors' code stored).
- `n2g`: this project's default: the paper's method plus what measured better on the same
  neurons and the same test windows (bench/fidelity.py; figures in the README's quality
  section): 256-token windows, k = 30 with ranks 21-30 as extra training examples, every
  firing token of a training window a pivot. It is the config objects' own defaults, so
  it has no overrides here.

A method sets only the settings it names; everything else (corpus, helper, sizes) stays
as configured. `settle` is the one place that orders the three sources of a setting: a
setting given explicitly (a command-line flag) wins over the method's, and the method's
over the config's own default; `n2g record`, `n2g build` and `n2g run` all call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel

from n2g.builder.config import BuildConfig
from n2g.record.config import RecordConfig


class Method(StrEnum):
    N2G = "n2g"
    PAPER = "paper"


PAPER_RECORD: dict[str, Any] = {"window": 1024, "k": 20}
PAPER_BUILD: dict[str, Any] = {
    "n_examples": 20,
    "extra_train_examples": 0,
    "sample_train_examples": 0,
    "train_fraction": 0.5,
    "pivots": "argmax",
    "end_activation": "rescaled",
    "prune_threshold": 0.5,
    "importance_threshold": 0.75,
    "augment_threshold": 0.5,
    "firing_threshold": 0.5,
    "n_substitutes": 5,
    "augment_pivot": True,
    "augment_context": True,
    "max_context": None,
    "fold_tokens": False,
    "grades": "none",
    "bare_paths": "keep",
    "path_precision": 0.0,
    "bigram_paths": 0.0,
}
_OVERRIDES: dict[Method, dict[type[BaseModel], dict[str, Any]]] = {
    Method.N2G: {},
    Method.PAPER: {RecordConfig: PAPER_RECORD, BuildConfig: PAPER_BUILD},
}

C = TypeVar("C", bound=BaseModel)


def settle(
    defaults: C, method: Method = Method.N2G, explicit: Mapping[str, Any] | None = None
) -> C:
    """`defaults` with `method`'s settings over them and the `explicit` ones over those.

    A nested config (RunConfig's `record` and `build`) settles the same way, its explicit
    settings a mapping under its name (a config object there is taken whole). A name in
    `explicit` that is no field is refused by the config (ValidationError).
    """
    explicit = explicit or {}
    overrides = _OVERRIDES[method].get(type(defaults), {})
    dumped = defaults.model_dump()  # copies: the result shares no list with `defaults`
    values: dict[str, Any] = {}
    for name in type(defaults).model_fields:
        current, given = getattr(defaults, name), explicit.get(name)
        if isinstance(current, BaseModel) and not isinstance(given, BaseModel):
            values[name] = settle(current, method, given)
        elif name in explicit:
            values[name] = given
        else:
            values[name] = overrides.get(name, dumped[name])
    unknown = {name: value for name, value in explicit.items() if name not in values}
    return type(defaults).model_validate({**values, **unknown})


def method_values(defaults: BaseModel) -> dict[Method, BaseModel]:
    """`defaults` settled under each method (what `--method` would make of them)."""
    return {method: settle(defaults, method) for method in Method}
