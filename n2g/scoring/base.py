"""The scoring-method protocol and its registry.

A method is a `Scorer` subclass: constructing it fits it on a unit's training examples
((tokens, normalised activations) pairs of numpy arrays, one per recorded window), and
`predict` gives a normalised activation per token of a window. The builder compares each
prediction with the firing threshold exactly as it does N2G's.

Speed: the builder asks every unit of a layer about the same random windows (tens of
thousands of tokens). Whatever a method derives from a window alone (the 5-gram keys, the
bigram codes) is made once per window by `keys` and shared by every unit, which then calls
`predict_keys`; a method with nothing to share keeps the defaults (the keys are the
tokens). Everything stays plain numpy arrays.

Registration: subclassing in the `n2g.scoring` package registers (`__init_subclass__`),
and `scorers()` imports every module of the package once, so a new module is found without
an import line anywhere. Methods of other distributions come through the entry point
group `neuron2graph.scorers` (`SCORERS`, n2g.plugins): a plug-in of a built-in's name is
ignored with a warning. `order` places a method in every table (token lookup 10, 5-gram 20, ...),
so existing columns keep their places when a method is added.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
import sys
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from n2g.plugins import Registry

# The graph's own predictor: its scores are `Evaluation.n2g`, never a plug-in's name.
N2G = "n2g"
N2G_LABEL = "N2G"

Examples = Sequence[tuple[np.ndarray, np.ndarray]]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_REGISTRY: dict[str, type[Scorer]] = {}


class Scorer(ABC):
    """A baseline scoring method, fitted on one unit's training examples."""

    # The key everywhere: graph files, database properties (`{name}_f1`), `n2g top --by`.
    name: ClassVar[str]
    # Shown in the report and the service ("Token lookup"); `short` where room is scarce.
    label: ClassVar[str]
    short: ClassVar[str]
    # Position among the methods in every table and plot (ascending).
    order: ClassVar[int]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if name is None:
            return  # an abstract helper class, not a method
        if not _NAME.match(name) or name == N2G:
            raise ValueError(f"scoring method name {name!r}: lower_snake_case, not {N2G!r}")
        known = _REGISTRY.get(name)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ValueError(f"two scoring methods named {name!r}")
        if cls.__module__.startswith("n2g.scoring."):  # a plug-in's comes through SCORERS
            _REGISTRY[name] = cls

    @abstractmethod
    def __init__(self, examples: Examples) -> None:
        """Fit on the training examples."""

    @abstractmethod
    def predict(self, tokens: np.ndarray) -> np.ndarray:
        """float32 normalised activation per token of one window."""

    @classmethod
    def keys(cls, tokens: np.ndarray) -> Any:
        """What `predict_keys` needs of one window, made once and shared by every unit."""
        return tokens

    def predict_keys(self, keys: Any) -> np.ndarray:
        """`predict` from a window's `keys`."""
        return self.predict(keys)


def _is_scorer(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, Scorer) and "name" in value.__dict__


SCORERS: Registry[type[Scorer]] = Registry(
    "scorers", "a subclass of n2g.scoring.Scorer with a name", _is_scorer
)


@functools.cache
def scorers() -> tuple[type[Scorer], ...]:
    """Every scoring method: the `n2g.scoring` package's, then the installed plug-ins', in
    table order (PluginError naming a broken plug-in)."""
    package = importlib.import_module("n2g.scoring")
    for module in pkgutil.iter_modules(package.__path__, "n2g.scoring."):
        if not module.name.rsplit(".", 1)[1].startswith("_") and module.name != __name__:
            importlib.import_module(module.name)
    found = dict(_REGISTRY)
    for cls in found.values():
        SCORERS.add(cls.name, cls)
    for cls in SCORERS.plugins():
        if cls.name in found:
            print(
                f"warning: scoring plug-in {cls.__module__}:{cls.__qualname__} is ignored: "
                f"a built-in method is named {cls.name!r}",
                file=sys.stderr,
            )
            continue
        found[cls.name] = cls
    return tuple(sorted(found.values(), key=lambda cls: (cls.order, cls.name)))


def baseline_names() -> tuple[str, ...]:
    """The plug-ins' names, in table order."""
    return tuple(cls.name for cls in scorers())


def methods() -> tuple[str, ...]:
    """N2G, then every plug-in: the columns of every score table."""
    return (N2G, *baseline_names())


def scorer(name: str) -> type[Scorer]:
    """The method called `name`; KeyError when none is."""
    return {cls.name: cls for cls in scorers()}[name]


def label(name: str, short: bool = False) -> str:
    """A method's human label (N2G's too)."""
    if name == N2G:
        return N2G_LABEL
    cls = scorer(name)
    return cls.short if short else cls.label
