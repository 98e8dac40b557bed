"""Models from the Hugging Face world: transformer_lens pretrained names and local HF folders.

Both end as a `HookedTransformer` with LayerNorm folded (the activations read are those of
the original model; folding only moves weights around) holding only the first `n_layers`
blocks when asked: layer L's activations depend on layers 0..L alone.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch
from transformer_lens import HookedTransformer
from transformer_lens import loading_from_pretrained as tl_loading

from n2g.errors import N2GError
from n2g.models.base import NeuronModel
from n2g.models.tokenizers import HFTokenizer

# Enough for any window n2g uses; TL allocates an n_ctx x n_ctx mask per layer, so the
# 8k-32k contexts of modern models would cost seconds and gigabytes for nothing.
DEFAULT_N_CTX = 2048


def official_name(name: str) -> str | None:
    """The transformer_lens official name for `name` (or an alias), None when unknown."""
    try:
        return tl_loading.get_official_model_name(name)
    except ValueError:
        return None


# Official names whose weights transformer_lens reads from a pickled `.pth` file with
# torch.load(weights_only=False) (transformer_lens.loading_from_pretrained): loading one
# runs whatever code its checkpoint holds. Among them: solu-6l-pile, the paper's model.
PICKLED_CHECKPOINT_OWNERS = ("NeelNanda/", "ArthurConmy/", "Baidicoot/")


def pickle_warning(official: str) -> str | None:
    """The warning for a model whose checkpoint is unpickled on load, else None."""
    if official.startswith(PICKLED_CHECKPOINT_OWNERS):
        return (
            f"warning: transformer_lens loads {official}'s weights with "
            "torch.load(weights_only=False), which runs code the checkpoint holds: load "
            "only checkpoints from a source you trust"
        )
    return None


def known_names_hint(limit: int = 6) -> str:
    """A short list of example transformer_lens names for error messages."""
    examples = ["solu-6l-pile", "gpt2-small", "pythia-70m"]
    return ", ".join(examples[:limit])


def _network_error(name: str, exc: BaseException) -> N2GError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return N2GError(
        f"cannot fetch model {name!r} from the Hugging Face hub (no network or no access?): "
        f"{first[:200]}; use the offline model 'smollm2-135m' or a local HF folder"
    )


def hooked_from_hf(
    hf_model: Any,  # a transformers PreTrainedModel (config, save_pretrained, state_dict)
    *,
    n_layers: int | None = None,
    device: str = "cpu",
    n_ctx: int | None = DEFAULT_N_CTX,
) -> HookedTransformer:
    """Convert a loaded HF causal LM into a (first `n_layers` blocks) HookedTransformer.

    Nothing is downloaded: the architecture comes from the model's own config, the weights
    from `hf_model`.
    """
    hf_cfg = hf_model.config.to_dict()
    full_ctx = hf_cfg.get("max_position_embeddings") or hf_cfg.get("n_positions")
    ctx = min(n_ctx, full_ctx) if (n_ctx and full_ctx) else (n_ctx or None)
    # TL reads the config from a folder, and guesses the architecture from the folder's
    # *name* when it contains "llama" or "gemma" (then fails): use a neutral folder name.
    with tempfile.TemporaryDirectory(prefix="n2g-") as tmp:
        config_path = str(Path(tmp) / "model")
        hf_model.config.save_pretrained(config_path)
        cfg = tl_loading.get_pretrained_model_config(
            config_path,
            hf_cfg=hf_cfg,
            fold_ln=True,
            device=device,
            first_n_layers=n_layers,
            n_ctx=ctx,
        )
        state = tl_loading.get_pretrained_state_dict(config_path, cfg, hf_model=hf_model)
    cfg.tokenizer_name = None  # n2g carries its own tokenizer; avoid a second load
    model = HookedTransformer(cfg, move_to_device=False)
    model.load_and_process_state_dict(
        state,
        fold_ln=True,
        center_writing_weights=cfg.normalization_type in ("LN", "LNPre"),
        center_unembed=True,
        fold_value_biases=True,
    )
    return model if device == "cpu" else model.to(device)


def load_local_hf(folder: Path, *, n_layers: int | None = None, device: str = "cpu") -> NeuronModel:
    """A causal LM saved with `save_pretrained` (config.json, weights, tokenizer files)."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise N2GError(f"{folder} is not a Hugging Face model folder (no config.json)")
    try:
        config = AutoConfig.from_pretrained(folder, local_files_only=True)
        total = int(getattr(config, "num_hidden_layers", None) or config.n_layer)
        _check_n_layers(n_layers, total, str(folder))
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        hf_model = AutoModelForCausalLM.from_pretrained(
            folder, local_files_only=True, dtype=torch.float32
        )
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise N2GError(f"cannot load the model folder {folder}: {first[:200]}") from None
    hf_model.eval()
    hooked = hooked_from_hf(hf_model, n_layers=n_layers, device=device)
    return NeuronModel(
        name=str(folder.resolve()),
        model=hooked,
        tokenizer=HFTokenizer(tokenizer),
        n_layers=total,
        prepend_bos=tokenizer.bos_token_id is not None,
        device=device,
    )


def load_pretrained(name: str, *, n_layers: int | None = None, device: str = "cpu") -> NeuronModel:
    """A transformer_lens pretrained model by name (needs the Hugging Face hub)."""
    official = official_name(name)
    if official is None:
        raise N2GError(f"unknown model {name!r}")
    warning = pickle_warning(official)
    if warning is not None:
        print(warning, file=sys.stderr)
    # TL logs chatty warnings (e.g. about folding); the user only needs errors.
    logging.getLogger("transformer_lens").setLevel(logging.ERROR)
    try:
        full_cfg = tl_loading.get_pretrained_model_config(official)
        _check_n_layers(n_layers, full_cfg.n_layers, name)
        hooked = HookedTransformer.from_pretrained(
            official,
            device=device,
            first_n_layers=n_layers,
            n_ctx=min(DEFAULT_N_CTX, full_cfg.n_ctx),
            fold_ln=True,
        )
    except N2GError:
        raise
    except Exception as exc:  # requests/hf_hub/OSError: all mean "could not fetch"
        raise _network_error(name, exc) from None
    tokenizer = HFTokenizer(hooked.tokenizer)
    return NeuronModel(
        name=name,
        model=hooked,
        tokenizer=tokenizer,
        n_layers=int(full_cfg.n_layers),
        prepend_bos=bool(hooked.cfg.default_prepend_bos) and tokenizer.bos_token_id is not None,
        device=device,
    )


def _check_n_layers(n_layers: int | None, total: int, name: str) -> None:
    if n_layers is not None and not 1 <= n_layers <= total:
        raise N2GError(f"cannot load {n_layers} layers: {name} has {total} (layers 0..{total - 1})")
