"""Tokenizers behind the `TokenizerLike` interface.

`ByteTokenizer` (tiny test models: one token a UTF-8 byte, plus BOS and PAD),
`HFTokenizer` (any Hugging Face tokenizer, e.g. SmolLM2's, GPT-2's) and `FileTokenizer`
(a `tokenizer.json` read by the `tokenizers` library alone: the same ids and texts as the
Hugging Face tokenizer of that file, without importing transformers, which imports torch:
seconds of every `n2g like --text` otherwise; tests/models/test_file_tokenizer.py checks
they agree on every id and on text).

`token_strings` names every id by one lossless text (n2g.graph.token_text): a byte that
is not part of a whole character is `<0xNN>`, never the '�' that decoding it alone gives,
so no two ids of a tokenizer share a text (everything downstream is keyed by it).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from n2g.graph.token_text import escape_byte, escape_text, piece_bytes, readable_bytes

_BYTE_PIECE = re.compile(r"<0x[0-9A-F]{2}>")  # a SentencePiece byte-fallback token


class ByteTokenizer:
    """One token per UTF-8 byte (ids 0..255), BOS = 256, PAD = 257. Vocabulary 258."""

    vocab_size = 258
    bos_token_id: int | None = 256
    pad_token_id = 257

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        specials = {256: "<bos>", 257: "<pad>"}
        # An ASCII byte is its character; any other is not a whole character alone: <0xNN>.
        return [specials.get(i) or (chr(i) if i < 0x80 else escape_byte(i)) for i in ids]

    def decode(self, ids: Sequence[int]) -> str:
        return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")


class _PieceTokenizer(ABC):
    """Names ids by their pieces (the vocabulary's strings) and single-id decodes."""

    added_ids: frozenset[int]
    byte_level: bool

    @abstractmethod
    def _piece(self, token_id: int) -> str | None:
        """The vocabulary's string of one id (None for an id it does not hold)."""

    @abstractmethod
    def decode(self, ids: Sequence[int]) -> str:
        """The text of a sequence of ids."""

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """Each id's lossless text: the text it contributes (" Paris", not "ĠParis"), with
        the bytes that are not whole characters as `<0xNN>` (n2g.graph.token_text)."""
        return [self._token_text(int(i)) for i in ids]

    def _token_text(self, token_id: int) -> str:
        if token_id in self.added_ids:
            return self.decode([token_id])
        piece = self._piece(token_id)
        if self.byte_level and isinstance(piece, str):
            raw = piece_bytes(piece)
            if raw is not None:
                return readable_bytes(raw)
        if isinstance(piece, str) and _BYTE_PIECE.fullmatch(piece):
            return piece  # SentencePiece byte fallback: already the <0xNN> form
        return escape_text(self.decode([token_id]))


class HFTokenizer(_PieceTokenizer):
    """Adapter for a Hugging Face (fast) tokenizer."""

    def __init__(self, tokenizer: Any) -> None:
        self.hf = tokenizer
        self.vocab_size = len(tokenizer)
        self.bos_token_id = tokenizer.bos_token_id
        pad = tokenizer.pad_token_id
        if pad is None:
            pad = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
        self.pad_token_id = int(pad)
        # Added tokens ('<|endoftext|>') keep their own text; the others are named by bytes.
        self.added_ids = frozenset(int(i) for i in getattr(tokenizer, "added_tokens_decoder", {}))
        self.byte_level = _is_byte_level(tokenizer)

    def encode(self, text: str) -> list[int]:
        return list(self.hf.encode(text, add_special_tokens=False))

    def _piece(self, token_id: int) -> str | None:
        piece = self.hf.convert_ids_to_tokens(token_id)
        return piece if isinstance(piece, str) else None

    def decode(self, ids: Sequence[int]) -> str:
        return self.hf.decode(list(ids), clean_up_tokenization_spaces=False)


class FileTokenizer(_PieceTokenizer):
    """A Hugging Face `tokenizer.json` through the `tokenizers` library (Rust, a tenth of
    a second to load), for reading: encoding text and naming ids. BOS and PAD are given
    (they live in the model's own config, not in the file)."""

    def __init__(self, path: str | Path, *, bos_token_id: int | None, pad_token_id: int) -> None:
        from tokenizers import Tokenizer

        self.backend = Tokenizer.from_file(str(path))
        self.vocab_size = self.backend.get_vocab_size(with_added_tokens=True)
        self.bos_token_id = bos_token_id
        self.pad_token_id = pad_token_id
        self.added_ids = frozenset(int(i) for i in self.backend.get_added_tokens_decoder())
        decoder = self.backend.decoder
        self.byte_level = decoder is not None and "ByteLevel" in repr(decoder)

    def encode(self, text: str) -> list[int]:
        return list(self.backend.encode(text, add_special_tokens=False).ids)

    def _piece(self, token_id: int) -> str | None:
        return self.backend.id_to_token(token_id)

    def decode(self, ids: Sequence[int]) -> str:
        return str(self.backend.decode(list(ids), skip_special_tokens=False))


def _is_byte_level(tokenizer: Any) -> bool:
    """Whether the tokenizer's decoder is byte-level (GPT-2's table: its vocabulary
    entries are bytes written as characters)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    decoder = getattr(backend, "decoder", None)
    return decoder is not None and "ByteLevel" in repr(decoder)
