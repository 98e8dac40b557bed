"""The tokenizer for "units that fire on this text": the one view that may need the model.

A graph predicts on token ids, so a text must be tokenised as the model tokenises it. The
tokenizer is found exactly as `n2g like --text` finds it (n2g.models.load_tokenizer: the
offline SmolLM2 copy, a local model folder, the byte tokenizer of the tiny test models, or
a transformer_lens name from the Hugging Face cache). Some of those paths import torch and
transformer_lens, so this module is imported only by that one view, on its first request,
never when the server starts (the rest of n2g.serve is held torch-free by
tests/test_layout.py). `n2g serve` sets HF_HUB_OFFLINE: a tokenizer that is not on this
machine is a one-line error (HTTP 422), never a request waiting on the network.
"""

from __future__ import annotations

from n2g.errors import N2GError
from n2g.search.text_match import TokenizerLike

BYTE = "byte"


def text_tokenizer(model: str, name: str | None = None) -> TokenizerLike:
    """The tokenizer named `name` ('byte', or a model name), else `model`'s own; N2GError
    (one line) when it cannot be loaded from this machine."""
    if name == BYTE:
        from n2g.models.tokenizers import ByteTokenizer

        return ByteTokenizer()
    wanted = name or model
    try:
        from n2g.models import load_tokenizer

        return load_tokenizer(wanted)
    except N2GError as exc:
        raise N2GError(f"no tokenizer for {wanted!r} on this machine: {exc}") from None
    except (OSError, ValueError, ImportError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise N2GError(f"no tokenizer for {wanted!r} on this machine: {first}") from None
