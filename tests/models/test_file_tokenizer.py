"""The `tokenizers`-only reader of a tokenizer.json (FileTokenizer) agrees with the Hugging
Face tokenizer of the same file (HFTokenizer, through transformers) on every id's text, on
encoding and on decoding: `n2g like --text` and the read side use the first, the builder
the second, and a unit's tokens must be the same ids either way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from n2g.models.tokenizers import FileTokenizer, HFTokenizer

TEXTS = [
    "The capital of France is Paris.",
    "def parse(text):\n    return text.split(',')  # naïve → ok\n\n\n\tindent",
    "  leading and  double  spaces, trailing  ",
    "Unicode: 日本語のテキスト, émoji 🎉🎉, Ω≈ç√∫, ﬁ ligature, \u200b zero width",
    "<|endoftext|>special<|endoftext|> inside text",
    "https://docs.python.org/3/library/json.html#json.dumps; x[0] += 1 ** 2",
    "",
]


def _trained_tokenizer_file(folder: Path) -> Path:
    """A small byte-level BPE (GPT-2's scheme) trained here, with one added token."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    corpus = [*TEXTS, "the quick brown fox jumps over the lazy dog " * 20, json.__doc__ or ""]
    tokenizer.train_from_iterator(corpus, trainer)
    path = folder / "tokenizer.json"
    tokenizer.save(str(path))
    return path


def _assert_agree(file_tokenizer: FileTokenizer, hf_tokenizer: HFTokenizer) -> None:
    assert file_tokenizer.vocab_size == hf_tokenizer.vocab_size
    assert file_tokenizer.added_ids == hf_tokenizer.added_ids
    assert file_tokenizer.byte_level == hf_tokenizer.byte_level
    ids = range(hf_tokenizer.vocab_size)
    assert file_tokenizer.token_strings(ids) == hf_tokenizer.token_strings(ids)
    for text in TEXTS:
        encoded = hf_tokenizer.encode(text)
        assert file_tokenizer.encode(text) == encoded, text
        assert file_tokenizer.decode(encoded) == hf_tokenizer.decode(encoded)


def test_a_byte_level_bpe_reads_the_same(tmp_path: Path) -> None:
    from transformers import PreTrainedTokenizerFast

    path = _trained_tokenizer_file(tmp_path)
    hf = HFTokenizer(PreTrainedTokenizerFast(tokenizer_file=str(path)))
    ours = FileTokenizer(path, bos_token_id=None, pad_token_id=hf.pad_token_id)
    _assert_agree(ours, hf)
    assert ours.token_strings(ours.encode(" naïve")) == hf.token_strings(hf.encode(" naïve"))


@pytest.mark.slow
def test_smollm2_reads_the_same_without_transformers() -> None:
    """The whole 49,152-id vocabulary, the special tokens, and real text."""
    import inspect

    from n2g.models import smollm2, smollm2_cache

    hf = smollm2.load_tokenizer()  # builds the cache when it is not there yet
    ours = smollm2_cache.cached_tokenizer()
    assert isinstance(ours, FileTokenizer)
    assert (ours.bos_token_id, ours.pad_token_id) == (hf.bos_token_id, hf.pad_token_id)
    _assert_agree(ours, hf)
    source = inspect.getsource(json)
    assert ours.encode(source) == hf.encode(source)
