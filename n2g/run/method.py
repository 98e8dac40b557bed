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
as configured.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

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
    "max_context": None,
    "fold_tokens": False,
}
_OVERRIDES: dict[Method, tuple[dict[str, Any], dict[str, Any]]] = {
    Method.N2G: ({}, {}),
    Method.PAPER: (PAPER_RECORD, PAPER_BUILD),
}


def record_settings(method: Method, record: RecordConfig | None = None) -> RecordConfig:
    """`record` (default: the defaults) with the method's record settings."""
    base = record or RecordConfig()
    return RecordConfig.model_validate({**base.model_dump(), **_OVERRIDES[method][0]})


def build_settings(method: Method, build: BuildConfig | None = None) -> BuildConfig:
    """`build` (default: the defaults) with the method's build settings."""
    base = build or BuildConfig()
    return BuildConfig.model_validate({**base.model_dump(), **_OVERRIDES[method][1]})
