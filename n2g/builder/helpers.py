"""The substitute helpers by name: the `HELPERS` registry (n2g.plugins) of `--helper`.

Why a module of its own: the build config checks a helper's name when it is given, long
before a helper is made, and that check must not import torch (the helpers' own module,
n2g.builder.substitutes, does). So the names live here, and each built-in imports its
class only when it is made.

Spec spellings: `none`, `embed`, `mlm[:NAME]` (default distilbert-base-uncased),
`causal[:MODEL]` (default the target model itself), or `NAME[:ARGUMENT]` of an installed
plug-in (entry point group `neuron2graph.helpers`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from n2g.errors import N2GError
from n2g.plugins import HelperPlugin, Registry, spec_argument

if TYPE_CHECKING:
    from n2g.builder.substitutes import SubstituteHelper
    from n2g.models.base import NeuronModel

HELPER_SPELLINGS = "none, embed, mlm[:NAME] or causal[:MODEL]"


def _none(spec: str, model: NeuronModel, *, device: str, rerank: bool) -> SubstituteHelper:
    from n2g.builder.substitutes import NoHelper

    return NoHelper()


def _embed(spec: str, model: NeuronModel, *, device: str, rerank: bool) -> SubstituteHelper:
    from n2g.builder.substitutes import EmbeddingHelper

    return EmbeddingHelper(model)


def _mlm(spec: str, model: NeuronModel, *, device: str, rerank: bool) -> SubstituteHelper:
    from n2g.builder.substitutes import MaskedLMHelper

    name = spec_argument(spec) or "distilbert-base-uncased"
    return MaskedLMHelper(name, model.tokenizer, device)


def _causal(spec: str, model: NeuronModel, *, device: str, rerank: bool) -> SubstituteHelper:
    from n2g.builder.substitutes import CausalLMHelper, first_line

    pool = 2 if rerank else 1
    arg = spec_argument(spec) or model.name
    complete = model.loaded_layers == model.n_layers  # a truncated model's logits are noise
    if arg == model.name and complete:
        return CausalLMHelper(model, model.tokenizer, candidates_per_slot=pool)
    from n2g.models import load_model

    try:
        helper_model = load_model(arg, device=device, dtype=model.dtype)
    except N2GError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise N2GError(f"cannot load helper model {arg!r}: {first_line(exc)}") from None
    return CausalLMHelper(helper_model, model.tokenizer, candidates_per_slot=pool)


def _is_helper_factory(value: object) -> bool:
    return callable(value)


HELPERS: Registry[HelperPlugin] = Registry(
    "helpers", "a substitute helper factory (n2g.plugins.HelperPlugin)", _is_helper_factory
)
HELPERS.add("none", _none)
HELPERS.add("embed", _embed)
HELPERS.add("mlm", _mlm)
HELPERS.add("causal", _causal)


def unknown_helper(spec: str) -> str:
    """The message for a helper spec nothing names."""
    return f"unknown helper {spec!r}: use {HELPER_SPELLINGS}{HELPERS.installed_hint()}"
