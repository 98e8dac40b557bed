"""Units and their names: the one vocabulary of n2g, and the keys files and the database use.

The words every layer uses (file format, records, config, model wrapper, database):

- a **unit** is one scalar n2g explains: an MLP neuron, or a latent of a dictionary read
  from one hook of the model (an SAE's, a transcoder's; later other dictionaries);
- a **unit set** is the units of one layer explained together: a layer's MLP neurons, or
  one dictionary's latents. It is named by `unit_set`: None for MLP neurons, else
  `sae:NAME` (an SAE) or `tc:NAME` (a transcoder), the dictionary's name (n2g.sae.spec);
  a graph file line, a (:Neuron) node and the model wrapper (`NeuronModel.unit_set`) all
  carry it under that name. `unit_set_spec` is the spec a unit set is loaded from (what a
  records folder keeps, so a build reloads it);
- `n_units` is how many units a layer's unit set has (`d_mlp` for neurons, the
  dictionary's width for latents), and `unit_activations` what is recorded: every unit's
  activation on every token. Names that say neuron or MLP are for neurons only.

The keys (stable: users store them, and the database's unique constraint is on them):

- an MLP neuron: `model/layer/neuron`, e.g. `smollm2-135m/3/286`;
- a latent of an SAE: `model/sae:NAME/latent`, e.g. `smollm2-135m/sae:L3-mlp-8x/1234` (the
  SAE's name, n2g.sae.spec, never holds a slash; its layer is the SAE's hook's);
- a latent of a transcoder: `model/tc:NAME/latent`, e.g. `smollm2-135m/tc:L3-tc-8x/12`.

The model name may itself contain slashes (a local folder's path), so a key is split from
the right: the last two parts are the layer (or the unit set) and the index.
"""

from __future__ import annotations

from typing import NamedTuple

from n2g.errors import N2GError

KEY_EXAMPLE = "smollm2-135m/3/286"
SAE_PREFIX = "sae:"
TRANSCODER_PREFIX = "tc:"
UNIT_SET_PREFIXES = (SAE_PREFIX, TRANSCODER_PREFIX)


class UnitId(NamedTuple):
    """A unit's identity as its key gives it: model, then the layer (neurons) or the unit
    set's name (an SAE's or a transcoder's latents), and the index within either."""

    model: str
    layer: int | None
    unit_set: str | None
    unit: int


def neuron_key(model: str, layer: int, neuron: int, unit_set: str | None = None) -> str:
    """The stable key used in files and in the database (module docstring)."""
    return f"{model}/{unit_set if unit_set is not None else layer}/{neuron}"


def _is_number(part: str) -> bool:
    """ASCII digits only: str.isdigit() also takes '²', which int() refuses."""
    return part.isascii() and part.isdigit()


def parse_neuron_key(key: str) -> UnitId:
    """A neuron's or a latent's key -> UnitId; N2GError (one line) when it is neither."""
    parts = key.rsplit("/", 2)
    if len(parts) == 3 and parts[0] and _is_number(parts[2]):
        if _is_number(parts[1]):
            return UnitId(parts[0], int(parts[1]), None, int(parts[2]))
        prefix = next((p for p in UNIT_SET_PREFIXES if parts[1].startswith(p)), None)
        if prefix is not None and len(parts[1]) > len(prefix):
            return UnitId(parts[0], None, parts[1], int(parts[2]))
    raise N2GError(
        f"neuron {key!r} is not MODEL/LAYER/INDEX, MODEL/sae:NAME/INDEX or MODEL/tc:NAME/INDEX, "
        f"e.g. {KEY_EXAMPLE}"
    )
