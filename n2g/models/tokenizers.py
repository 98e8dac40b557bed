"""Tokenizers behind the `TokenizerLike` interface.

`ByteTokenizer` (tiny test models: one token a UTF-8 byte, plus BOS and PAD) and
`HFTokenizer` (any Hugging Face tokenizer, e.g. SmolLM2's, GPT-2's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ByteTokenizer:
    """One token per UTF-8 byte (ids 0..255), BOS = 256, PAD = 257. Vocabulary 258."""

    vocab_size = 258
    bos_token_id: int | None = 256
    pad_token_id = 257

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        specials = {256: "<bos>", 257: "<pad>"}
        # latin-1 maps every byte to one character, so each token has a printable name.
        return [specials.get(i) or bytes([i]).decode("latin-1") for i in ids]

    def decode(self, ids: Sequence[int]) -> str:
        return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")


class HFTokenizer:
    """Adapter for a Hugging Face (fast) tokenizer."""

    def __init__(self, tokenizer: Any) -> None:
        self.hf = tokenizer
        self.vocab_size = len(tokenizer)
        self.bos_token_id = tokenizer.bos_token_id
        pad = tokenizer.pad_token_id
        if pad is None:
            pad = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
        self.pad_token_id = int(pad)

    def encode(self, text: str) -> list[int]:
        return list(self.hf.encode(text, add_special_tokens=False))

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        # Decode one id at a time: the text a token contributes (" Paris", not "ĠParis").
        return [self.hf.decode([int(i)], clean_up_tokenization_spaces=False) for i in ids]

    def decode(self, ids: Sequence[int]) -> str:
        return self.hf.decode(list(ids), clean_up_tokenization_spaces=False)
