"""Token folding: the rule, the class map of a vocabulary, and its use on any ids."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.graph.token_fold import TokenClasses, fold_token, vocabulary_classes
from n2g.models.tokenizers import ByteTokenizer


@pytest.mark.parametrize(
    ("token", "folded"),
    [
        (" Paris", "paris"),
        ("PARIS\n", "paris"),
        ("paris", "paris"),
        (" ", " "),  # whitespace-only tokens keep their own class
        ("\n\n", "\n\n"),
        ("", ""),
        (" Ünïcode", "ünïcode"),
        ("\tdef ", "def"),
    ],
)
def test_fold_token(token, folded):
    assert fold_token(token) == folded
    assert fold_token(folded) == folded  # folding twice changes nothing


def test_classes_are_named_by_their_smallest_member():
    classes = TokenClasses.from_strings([" the", "The", "x", "the", " ", "\n", "THE "])
    assert classes.canon.tolist() == [0, 0, 2, 0, 4, 5, 0]
    assert classes.n_classes == 4
    # ids outside the vocabulary (and negative ones) are left alone
    assert classes.map([6, 3, 7, -1]).tolist() == [0, 0, 7, -1]


def test_byte_vocabulary_folds_ascii_case():
    tokenizer = ByteTokenizer()
    classes = vocabulary_classes(tokenizer)
    assert vocabulary_classes(tokenizer) is classes  # made once per tokenizer
    ids = np.asarray(tokenizer.encode("Ab c"))
    assert classes.map(ids).tolist() == classes.map(tokenizer.encode("aB c")).tolist()
    assert classes.map(tokenizer.encode(" ")).tolist() == [32]
    assert classes.canon[ord("a")] == ord("A")
