"""Where the converted SmolLM2 lives, and its tokenizer read from there: light on purpose.

`n2g like --text` and the service need only the tokenizer, and n2g.models.smollm2 imports
torch and transformer_lens (seconds) for the weights. Here, the cache's layout (written
by n2g.models.smollm2.build_cache) and the tokenizer: for reading (`cached_tokenizer`),
its `tokenizer.json` through the `tokenizers` library alone (no transformers, which imports
torch); the model's own (`tokenizer_at`, transformers') gives the same ids and texts.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from n2g.models.tokenizers import FileTokenizer, HFTokenizer
from n2g.paths import cache_dir as default_cache_dir

NAME = "smollm2-135m"
ENDOFTEXT = "<|endoftext|>"
TOKENIZER_FOLDER = "tokenizer"
CACHE_FORMAT = 1  # bump when the cached layout changes: old caches are rebuilt


def model_cache(cache_dir: Path | None = None) -> Path:
    """Where the converted model lives."""
    return default_cache_dir(cache_dir) / "models" / NAME


def is_complete(folder: Path) -> bool:
    marker = folder / "complete.json"
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("format") == CACHE_FORMAT
    except ValueError:
        return False


@functools.lru_cache(maxsize=4)
def tokenizer_at(folder: str) -> HFTokenizer:
    from transformers import AutoTokenizer

    tokenizer = HFTokenizer(AutoTokenizer.from_pretrained(folder, local_files_only=True))
    endoftext = tokenizer.hf.convert_tokens_to_ids(ENDOFTEXT)
    tokenizer.bos_token_id = endoftext
    tokenizer.pad_token_id = endoftext
    return tokenizer


@functools.lru_cache(maxsize=4)
def file_tokenizer_at(folder: str) -> FileTokenizer:
    """The cached tokenizer.json read by `tokenizers` alone; BOS = PAD = <|endoftext|>."""
    tokenizer = FileTokenizer(Path(folder) / "tokenizer.json", bos_token_id=None, pad_token_id=0)
    endoftext = tokenizer.backend.token_to_id(ENDOFTEXT)
    if endoftext is None:
        raise ValueError(f"{folder} has no {ENDOFTEXT} token")
    tokenizer.bos_token_id = tokenizer.pad_token_id = endoftext
    return tokenizer


def cached_tokenizer(cache_dir: Path | None = None) -> FileTokenizer | None:
    """The tokenizer of a complete cache, without touching the weights' libraries (nor
    transformers); None when the cache is still to be built (n2g.models.smollm2.
    load_tokenizer builds it)."""
    folder = model_cache(cache_dir)
    if not is_complete(folder):
        return None
    return file_tokenizer_at(str(folder / TOKENIZER_FOLDER))
