"""The model behind `n2g serve --live-model`: a unit's true activation on a visitor's text.

The one part of the service that runs a language model, so it is imported only by the
"test your text" view on its first request (never at start: tests/test_layout.py keeps
the rest of n2g.serve torch-free) and only when the operator allowed it. Models load
from the same offline places every command loads them from (n2g.models.load_model:
the offline SmolLM2 copy, a local folder, the tiny test models, the Hugging Face cache;
`n2g serve` sets HF_HUB_OFFLINE, so nothing is fetched while serving), whole, once, and
are kept (the last MAX_MODELS used). A model that cannot be loaded here is remembered
as such and reported in one line; the prediction is still shown. Passes run one at a
time under a lock: torch already spreads one pass over the cores.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from n2g.errors import N2GError, missing_extra
from n2g.serve.unit_text import OWN_TOKENIZER, Unavailable

if TYPE_CHECKING:  # torch comes with the model, on the first request
    from n2g.models.base import NeuronModel

MAX_MODELS = 2


class LiveModels:
    """Models loaded on demand, kept by name; thread-safe."""

    def __init__(self, max_models: int = MAX_MODELS) -> None:
        self.max_models = max_models
        self._models: OrderedDict[str, NeuronModel | str] = OrderedDict()
        self._lock = threading.Lock()

    def _model(self, name: str) -> NeuronModel:
        """The loaded model `name`; Unavailable (one line) when it cannot be loaded here."""
        held = self._models.get(name)
        if held is None:
            held = _load(name)
            self._models[name] = held
            while len(self._models) > self.max_models:
                self._models.popitem(last=False)
        self._models.move_to_end(name)
        if isinstance(held, str):
            raise Unavailable(held)
        return held

    def activations(
        self, model: str, layer: int, index: int, text: str, token_ids: Sequence[int]
    ) -> list[float]:
        """Neuron `index` of `layer` on each of `token_ids`, `text` as split by another
        tokenizer (BOS prepended as when it was recorded). Unavailable for a model not
        here or ids its own tokenizer does not give; N2GError for a text longer than its
        context."""
        with self._lock:
            neuron_model = self._model(model)
            if neuron_model.encode(text) != list(token_ids):
                raise Unavailable(OWN_TOKENIZER)
            limit = neuron_model.model.cfg.n_ctx - int(neuron_model.prepend_bos)
            if len(token_ids) > limit:
                raise N2GError(
                    f"the text is {len(token_ids):,} tokens long: {model} reads at most {limit:,}"
                )
            try:
                neuron_model.check_layer(layer)
            except ValueError as exc:
                raise N2GError(str(exc)) from None
            if not 0 <= index < neuron_model.n_units:
                raise N2GError(f"{model} has no neuron {index} in layer {layer}")
            if not token_ids:
                return []
            values = neuron_model.unit_activations([list(token_ids)], [layer])[layer]
            return [float(v) for v in values[0, :, index]]


def _load(name: str) -> NeuronModel | str:
    """The model, or why it cannot be loaded on this machine (kept, so not retried)."""
    try:
        from n2g.models import load_model

        return load_model(name)
    except N2GError as exc:
        return f"the model {name!r} is not available to the service: {exc}"
    except ImportError as exc:  # a core install serves without the build extra
        extra = missing_extra(exc)
        return f"the model {name!r} is not available to the service: {extra or exc}"
    except (OSError, ValueError, RuntimeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"the model {name!r} is not available to the service: {first}"
