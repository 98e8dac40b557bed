"""Every token id keeps its own text: lossless, readable, reversible (n2g.graph.token_text).

The whole SmolLM2 vocabulary is checked with the real offline tokenizer: 49,152 ids,
49,152 distinct texts, each naming back its id's bytes, and unchanged wherever the plain
decoding was already a whole text.
"""

from __future__ import annotations

import pytest

from n2g.graph.token_text import escape_text, piece_bytes, readable_bytes, token_bytes
from n2g.models import smollm2
from n2g.models.tokenizers import ByteTokenizer


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b" Paris", " Paris"),
        (b"\xe2", "<0xE2>"),
        (b" \xe2\x80", " <0xE2><0x80>"),
        ("→".encode(), "→"),
        (b"<0x41>", "<0x3C>0x41>"),  # a literal '<0x' is escaped, so it cannot collide
        (b"<0", "<0"),
        (b"<\xe2", "<<0xE2>"),
        ("\ufffd".encode(), "\ufffd"),  # the real replacement character is a character
        (b"\xed\xa0\x80", "<0xED><0xA0><0x80>"),  # an encoded surrogate is not UTF-8
    ],
)
def test_readable_bytes_and_back(raw: bytes, text: str) -> None:
    assert readable_bytes(raw) == text
    assert token_bytes(text) == raw


def test_a_stray_escape_start_is_refused() -> None:
    with pytest.raises(ValueError, match="begins no"):
        token_bytes("<0xZZ>")
    assert escape_text("a<0xE2>") == "a<0x3C>0xE2>" and escape_text("plain") == "plain"


def test_byte_level_pieces() -> None:
    assert piece_bytes("ĠParis") == b" Paris"
    assert piece_bytes("â") == b"\xe2"
    assert piece_bytes("▁x") is None  # SentencePiece's space is no byte-level character


def test_byte_tokenizer_names_every_byte_apart() -> None:
    tokenizer = ByteTokenizer()
    texts = tokenizer.token_strings(range(tokenizer.vocab_size))
    assert len(set(texts)) == tokenizer.vocab_size
    assert texts[ord("a")] == "a" and texts[0xE2] == "<0xE2>" and texts[256] == "<bos>"
    assert all(token_bytes(texts[i]) == bytes([i]) for i in range(256))


@pytest.mark.slow
def test_whole_smollm2_vocabulary_is_distinct_and_reversible() -> None:
    # transformers' tokenizer; the read side's reader of the same file names every id the
    # same (tests/models/test_file_tokenizer.py)
    tokenizer = smollm2.load_tokenizer()
    hf = tokenizer.hf
    ids = range(tokenizer.vocab_size)
    texts = tokenizer.token_strings(ids)
    assert tokenizer.vocab_size == len(texts) == len(set(texts)) == 49_152
    plain = [hf.decode([i], clean_up_tokenization_spaces=False) for i in ids]
    assert sum("\ufffd" in text for text in plain) == 314  # before: 48,843 distinct texts
    assert sum("\ufffd" in text for text in texts) == 1  # the real U+FFFD token
    assert [texts[i] for i in (117, 118, 5549, 13993)] == [
        "<0xA7>",
        "<0xA8>",
        " <0xC3>",
        "<0xE2><0x84>",
    ]
    added = {int(i) for i in hf.added_tokens_decoder}
    for token_id, (text, old) in enumerate(zip(texts, plain, strict=True)):
        if "\ufffd" not in old:
            assert text == old  # a whole text reads as before
        if token_id not in added:
            assert token_bytes(text) == piece_bytes(hf.convert_ids_to_tokens(token_id))
