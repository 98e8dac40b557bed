"""Token text: one lossless, readable text per token id, whatever bytes the token holds.

Byte-level BPE vocabularies (GPT-2's, SmolLM2's) hold tokens that are not whole UTF-8
characters: the first two bytes of '→', a lone continuation byte. Decoded alone, each
becomes U+FFFD ('�'), so dozens of ids of one vocabulary shared one text, and everything
keyed by text (the store's `(:Token {text})`, search, similarity, groups) mixed them.
A token's text here is its bytes written so that no two ids of a tokenizer share one:

- bytes that form whole UTF-8 characters are written as those characters (' Paris');
- every other byte is written `<0xNN>` (two uppercase hex digits), the escape
  SentencePiece byte-fallback vocabularies already use for their byte tokens: the token of
  bytes E2 86 is '<0xE2><0x86>', the token ' ' + E2 is ' <0xE2>';
- so that an escape is never ambiguous, a literal '<' that begins '<0x' is itself written
  `<0x3C>` (its byte): every '<0x' in a token's text begins an escape of six characters.
  (SmolLM2's vocabulary has no such literal token; the rule keeps any other one lossless.)

`token_bytes` reverses `readable_bytes`, so a text names its bytes, and for a byte-level
vocabulary (where distinct ids have distinct bytes) its id. Special and added tokens
('<|endoftext|>') keep their own text. Texts with no such bytes are unchanged from the
plain decoding, so graphs of ordinary tokens read the same as before.

Pure Python (the read side parses texts too); the tokenizers (n2g.models.tokenizers) use it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

ESCAPE = "<0x"
_ESCAPE_RE = re.compile(r"<0x([0-9A-F]{2})>")
_SURROGATE_LOW, _SURROGATE_HIGH = 0xDC80, 0xDCFF  # where surrogateescape puts bad bytes


@functools.cache
def byte_level_decoder() -> dict[str, int]:
    """GPT-2's byte-level table, reversed: each of a vocabulary entry's characters → the
    byte it stands for (printable bytes stand for themselves, the others are shifted to
    U+0100 and above so that no byte is whitespace or a control character)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    table: dict[str, int] = {chr(b): b for b in printable}
    shifted = 0
    for b in range(256):
        if b not in printable:
            table[chr(256 + shifted)] = b
            shifted += 1
    return table


def escape_byte(byte: int) -> str:
    return f"<0x{byte:02X}>"


def readable_bytes(raw: bytes) -> str:
    """A token's bytes as its text: whole UTF-8 characters as themselves, every other
    byte (and a literal '<' that begins '<0x') as `<0xNN>`."""
    decoded = raw.decode("utf-8", errors="surrogateescape")
    out: list[str] = []
    for i, char in enumerate(decoded):
        code = ord(char)
        if _SURROGATE_LOW <= code <= _SURROGATE_HIGH:
            out.append(escape_byte(code - 0xDC00))
        elif char == "<" and decoded.startswith("0x", i + 1):
            out.append(escape_byte(ord("<")))
        else:
            out.append(char)
    return "".join(out)


def escape_text(text: str) -> str:
    """A text that is whole characters, with a literal '<0x' escaped (the decoded text of
    an ordinary token: identical to it unless it holds '<0x')."""
    return text.replace(ESCAPE, escape_byte(ord("<")) + "0x") if ESCAPE in text else text


def token_bytes(text: str) -> bytes:
    """The bytes a token's text (`readable_bytes`) stands for; ValueError when a '<0x'
    begins no escape (the text was not written by `readable_bytes`)."""
    out = bytearray()
    i = 0
    while i < len(text):
        if text.startswith(ESCAPE, i):
            match = _ESCAPE_RE.match(text, i)
            if match is None:
                raise ValueError(f"'<0x' at {i} of {text!r} begins no <0xNN> escape")
            out.append(int(match.group(1), 16))
            i = match.end()
            continue
        j = text.find(ESCAPE, i)
        j = len(text) if j < 0 else j
        out += text[i:j].encode("utf-8")
        i = j
    return bytes(out)


def piece_bytes(piece: str) -> bytes | None:
    """The bytes of a byte-level BPE vocabulary entry ('Ġâ' → b' \\xe2'); None when a
    character is outside the byte-level table (the entry is not byte-level)."""
    table = byte_level_decoder()
    try:
        return bytes(table[char] for char in piece)
    except KeyError:
        return None


# --- graphs written before token texts were lossless -----------------------------------
# Graph files of format 4 and older name a byte token by its plain decoding, U+FFFD. The
# ids are there, so the text can be made again, but only by the model's tokenizer, which
# the read side does not import (n2g.graph stands below n2g.models). The command line
# registers where tokenizers come from (`set_namer_source`); a Python caller may too.
TokenNamer = Callable[[Sequence[int]], list[str]]
REPLACEMENT = "\ufffd"
_namer_source: Callable[[str], TokenNamer | None] | None = None
_namers: dict[str, TokenNamer | None] = {}


def set_namer_source(source: Callable[[str], TokenNamer | None] | None) -> None:
    """Where the token texts of a model's ids come from (None: nowhere); `source(model)`
    answers a namer, or None when that model's tokenizer cannot be had."""
    global _namer_source
    _namer_source = source
    _namers.clear()


def namer_for(model: str) -> TokenNamer | None:
    """The registered namer of `model`'s token ids (asked once per model a process)."""
    if model not in _namers:
        _namers[model] = _namer_source(model) if _namer_source is not None else None
    return _namers[model]
