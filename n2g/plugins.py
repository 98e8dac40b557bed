"""Plug-ins: one named registry per kind (models, corpora, substitute helpers, scoring
methods), holding the built-ins and whatever installed distributions declare.

Why a registry per kind and not one: each kind has its own contract (a model factory, a
corpus factory, a helper factory, a `Scorer` subclass), checked when a plug-in loads.

Why lazy: reading the entry points of every installed distribution costs a scan of
site-packages, and loading one imports its code (a model plug-in imports torch). So
built-ins are looked up first and need no scan; the entry points are read only when a
name is not built in or when everything is listed, and a plug-in's code is imported only
when it is used (or listed with `load=True`).

Why built-in wins: a spelling that works today keeps meaning the same thing whatever is
installed; an installed plug-in of a built-in's name is ignored, with one warning line.

A broken plug-in (its module fails to import, or it is not what its kind expects) is one
`PluginError` naming the plug-in, its group and its distribution: the CLI prints it as
one `error:` line.

This module imports nothing of torch: the read side lists plug-ins too.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from n2g.errors import N2GError

if TYPE_CHECKING:
    from n2g.builder.substitutes import SubstituteHelper
    from n2g.models.base import NeuronModel
    from n2g.record.corpus import Corpus

T = TypeVar("T")

BUILT_IN = "built-in"
GROUP_PREFIX = "neuron2graph."


class PluginError(N2GError):
    """A plug-in that cannot be used: its distribution is named, so the user can act."""


# ---- the contracts: what an entry point of each group names -----------------------------
# Each factory gets the whole spec the user gave (`NAME` or `NAME:ARGUMENT`, see
# `spec_argument`) and raises N2GError (one line) for what it cannot do.


class ModelPlugin(Protocol):
    """`neuron2graph.models`: load a model. `NeuronModel.n_layers` is the whole model's;
    loading only the first `n_layers` (None: all) is allowed, not required. The model's
    `name` should be `spec`, so that later stages reopen it from the records."""

    def __call__(
        self, spec: str, /, *, n_layers: int | None, device: str, cache_dir: Path | None
    ) -> NeuronModel: ...


class CorpusPlugin(Protocol):
    """`neuron2graph.corpora`: open a corpus. Its `name` should be `spec`: the records
    name their corpus and the build reopens it from that name."""

    def __call__(self, spec: str, /, *, cache_dir: Path | None) -> Corpus: ...


class HelperPlugin(Protocol):
    """`neuron2graph.helpers`: make the substitute helper for the target `model`
    (`rerank`: whether the user asked a causal helper to re-rank its candidates)."""

    def __call__(
        self, spec: str, model: NeuronModel, /, *, device: str, rerank: bool
    ) -> SubstituteHelper: ...


# `neuron2graph.scorers`: a subclass of `n2g.scoring.Scorer` (its module imports no torch:
# the read side lists the scoring methods).


@dataclass(frozen=True)
class Plugin:
    """One entry of a registry, as `n2g plugins` lists it."""

    kind: str
    name: str
    source: str  # BUILT_IN, or the name of the distribution that declares it
    target: str  # where it lives: "module:attribute"
    problem: str | None = None  # why it cannot be used, when it was loaded and failed


@dataclass(frozen=True)
class _BuiltIn(Generic[T]):
    name: str
    value: T
    target: str
    matches: Callable[[str], bool] | None


def spec_head(spec: str) -> str:
    """The registry name a spec asks for: the part before the first ':' ("mlm:NAME")."""
    return spec.partition(":")[0]


def spec_argument(spec: str) -> str:
    """What follows the name in a spec ("" when nothing does): the plug-in's argument."""
    return spec.partition(":")[2]


class Registry(Generic[T]):
    """Built-ins registered in code, then the entry points of group `neuron2graph.KIND`."""

    def __init__(self, kind: str, contract: str, check: Callable[[object], bool]) -> None:
        self.kind = kind
        self.group = GROUP_PREFIX + kind
        self.contract = contract  # what a plug-in of this kind must be, for error lines
        self._check = check
        self._builtins: dict[str, _BuiltIn[T]] = {}

    def add(
        self,
        name: str,
        value: T,
        *,
        matches: Callable[[str], bool] | None = None,
        target: str | None = None,
    ) -> None:
        """Register built-in `name` (a factory importing what it needs when called, or a
        scorer class); `matches(spec)` claims specs other than the name itself (a path, a
        pattern); `target` says where it lives (else `value`'s module and name)."""
        module, qualname = getattr(value, "__module__", "?"), getattr(value, "__qualname__", "?")
        self._builtins[name] = _BuiltIn(name, value, target or f"{module}:{qualname}", matches)

    def builtin_names(self) -> list[str]:
        return list(self._builtins)

    def names(self) -> list[str]:
        """Every usable name: the built-ins, then the installed plug-ins (not loaded)."""
        return [*self._builtins, *self._installed()]

    def installed_hint(self) -> str:
        """The end of an error line naming the installed plug-ins ("" when none is)."""
        installed = list(self._installed())
        return f"; installed plug-ins: {', '.join(installed)}" if installed else ""

    def knows(self, spec: str) -> bool:
        """Whether `spec` names a built-in or an installed plug-in (nothing is loaded)."""
        return self._builtin_for(spec) is not None or spec_head(spec) in self._installed()

    def find(self, spec: str) -> T | None:
        """What `spec` names: the first built-in that claims it, else the installed plug-in
        named by its head (loaded now); None when neither. PluginError when it is broken."""
        builtin = self._builtin_for(spec)
        if builtin is not None:
            return builtin.value
        entry = self._installed().get(spec_head(spec))
        return None if entry is None else self._load(entry)

    def listing(self, load: bool = False) -> list[Plugin]:
        """Every entry with its source; `load`: import each plug-in, noting any problem."""
        found = [Plugin(self.kind, b.name, BUILT_IN, b.target) for b in self._builtins.values()]
        for entry in self._installed().values():
            problem = None
            if load:
                try:
                    self._load(entry)
                except PluginError as exc:
                    problem = str(exc)
            found.append(Plugin(self.kind, entry.name, _distribution(entry), entry.value, problem))
        return found

    def plugins(self) -> list[T]:
        """Every installed plug-in, loaded (PluginError at the first broken one)."""
        return [self._load(entry) for entry in self._installed().values()]

    def _builtin_for(self, spec: str) -> _BuiltIn[T] | None:
        head = spec_head(spec)
        for builtin in self._builtins.values():
            if builtin.matches(spec) if builtin.matches else head == builtin.name:
                return builtin
        return None

    @functools.cache  # noqa: B019 (registries live as long as the process)
    def _installed(self) -> dict[str, metadata.EntryPoint]:
        found: dict[str, metadata.EntryPoint] = {}
        for entry in sorted(metadata.entry_points(group=self.group), key=lambda e: e.name):
            if entry.name in self._builtins:
                print(
                    f"warning: plug-in {entry.name!r} ({self.group}) of distribution "
                    f"{_distribution(entry)} is ignored: n2g's own {entry.name!r} comes first",
                    file=sys.stderr,
                )
            elif entry.name not in found:
                found[entry.name] = entry
        return found

    def _load(self, entry: metadata.EntryPoint) -> T:
        where = f"plug-in {entry.name!r} ({self.group} = {entry.value}) of distribution "
        where += _distribution(entry)
        try:
            loaded = entry.load()
        except Exception as exc:  # noqa: BLE001 (any failure of foreign code: one line)
            why = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise PluginError(
                f"{where} cannot be loaded: {type(exc).__name__}" + (f": {why}" if why else "")
            ) from None
        if not self._check(loaded):
            raise PluginError(f"{where} is not {self.contract}")
        return loaded


def _distribution(entry: metadata.EntryPoint) -> str:
    dist = entry.dist
    return f"{dist.name} {dist.version}" if dist is not None else "(unknown)"


def registries() -> list[Registry]:
    """The four registries, in the order `n2g plugins` lists them (imports no torch)."""
    from n2g.builder.helpers import HELPERS
    from n2g.models import MODELS
    from n2g.record.corpus import CORPORA
    from n2g.scoring.base import SCORERS, scorers

    scorers()  # registers the built-in methods
    return [MODELS, CORPORA, HELPERS, SCORERS]
