"""The neuron key `model/layer/neuron`: how files, the database and the CLI name a neuron.

The model name may itself contain slashes (a local folder's path), so a key is split from
the right: the last two parts are the layer and the neuron index.
"""

from __future__ import annotations

from typing import NamedTuple

from n2g.errors import N2GError

KEY_EXAMPLE = "smollm2-135m/3/286"


class NeuronId(NamedTuple):
    """A neuron's identity: model name, layer, index within the layer's MLP."""

    model: str
    layer: int
    neuron: int

    @property
    def key(self) -> str:
        return neuron_key(self.model, self.layer, self.neuron)


def neuron_key(model: str, layer: int, neuron: int) -> str:
    """The stable key used in files and in the database: `model/layer/neuron`."""
    return f"{model}/{layer}/{neuron}"


def parse_neuron_key(key: str) -> NeuronId:
    """`model/layer/neuron` -> NeuronId; N2GError (one line) when it is not one."""
    parts = key.rsplit("/", 2)
    if len(parts) != 3 or not parts[0] or not parts[1].isdigit() or not parts[2].isdigit():
        raise N2GError(f"neuron {key!r} is not MODEL/LAYER/INDEX, e.g. {KEY_EXAMPLE}")
    return NeuronId(parts[0], int(parts[1]), int(parts[2]))
