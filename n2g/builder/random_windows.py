"""Random windows of a corpus and a layer's activations there, shared by every unit built.

Two scores need text the unit was not recorded on: the out-of-distribution check (windows
of another corpus) and the correlation score (random windows of the recording corpus).
Both are the same object: the windows, drawn once, and the model's activations of a
layer on them, computed by one forward pass for every unit of the layer (and, with the
layers known ahead, one pass for several layers). Kept apart from the batch builder
(n2g.builder.batch), which only reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from n2g.builder.delphi import tile_slices
from n2g.builder.evaluate import window_keys
from n2g.builder.plan import NeuronPlan, normalised
from n2g.graph.token_fold import TokenClasses
from n2g.models.base import NeuronModel


@dataclass
class RandomWindows:
    """Random windows of a corpus and the model's activations there: of another corpus
    for the out-of-distribution check, of the recording corpus for the correlation score."""

    corpus: str
    windows: list[np.ndarray]
    acts: np.ndarray  # float32 [n_windows, T, n_units] of the layer (0 past a window's end)
    _folded: dict[int, RandomWindows] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def compute(
        cls, model: NeuronModel, layer: int, corpus: str, windows: Sequence[Sequence[int]]
    ) -> RandomWindows:
        return cls.compute_layers(model, [layer], corpus, windows)[layer]

    @classmethod
    def compute_layers(
        cls,
        model: NeuronModel,
        layers: Sequence[int],
        corpus: str,
        windows: Sequence[Sequence[int]],
    ) -> dict[int, RandomWindows]:
        """The windows of several layers from one forward pass (to the deepest of them)."""
        arrays = [np.asarray(w, dtype=np.int64) for w in windows]
        acts = model.unit_activations([a.tolist() for a in arrays], list(layers))
        return {layer: cls(corpus, arrays, acts[layer].numpy()) for layer in layers}

    def folded(self, classes: TokenClasses) -> RandomWindows:
        """The same windows with token classes for ids (made once, shared by all neurons)."""
        if id(classes) not in self._folded:
            windows = [classes.map(w) for w in self.windows]
            self._folded[id(classes)] = RandomWindows(self.corpus, windows, self.acts)
        return self._folded[id(classes)]

    @cached_property
    def method_keys(self) -> dict[str, list[Any]]:
        """The scoring methods' keys of every window (n2g.scoring), made once for all
        neurons."""
        return window_keys(self.windows)

    @cached_property
    def tile_keys(self) -> dict[str, list[Any]]:
        """The scoring methods' keys of every window's tiles (delphi's non-activating
        contexts come from them: n2g.builder.delphi.tile_slices), made once for all units."""
        return window_keys([w[part] for w in self.windows for part in tile_slices(len(w))])

    def truth(self, plan: NeuronPlan) -> list[np.ndarray]:
        """The planned neuron's normalised activations on every window."""
        return [
            normalised(plan, self.acts[i, : len(w), plan.neuron])
            for i, w in enumerate(self.windows)
        ]


# Layers whose random-window activations one pass computes together: passes to layer L cost
# ~L layers each, so one pass per group of 6 instead of one per layer is ~5x less for all
# 30 layers of SmolLM2, while holding at most 6 layers' activations (~100 MB a layer for
# 64 windows of 256 tokens x 1,536 neurons).
WINDOW_LAYER_GROUP = 6


def random_windows_provider(
    model: NeuronModel,
    corpus: Any,
    n_windows: int,
    window: int,
    seed: int,
    layers: Sequence[int] | None = None,
) -> Callable[[int], RandomWindows]:
    """Per-layer `RandomWindows` from `n_windows` random windows of a corpus.

    `corpus` is a Corpus or a corpus spec; the windows are drawn once and shared by all
    layers, the activations computed once per layer (one forward pass for every neuron).
    With `layers` (those that will be asked for, in order), a request computes the next
    `WINDOW_LAYER_GROUP` of them in one pass and keeps them until asked; the values are
    the same as one pass per layer.
    """
    from n2g.record.corpus import open_corpus, random_windows

    source = open_corpus(corpus) if isinstance(corpus, str) else corpus
    drawn = [ids for _, ids in random_windows(source, model.tokenizer, window, n_windows, seed)]
    ahead = sorted(set(layers)) if layers is not None else []
    kept: dict[int, RandomWindows] = {}

    def provider(layer: int) -> RandomWindows:
        if layer not in kept:
            later = [x for x in ahead if x > layer][: WINDOW_LAYER_GROUP - 1]
            kept.update(RandomWindows.compute_layers(model, [layer, *later], source.name, drawn))
        return kept.pop(layer)

    return provider
