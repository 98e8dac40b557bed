"""The registry: every module of n2g.scoring is a method, found without an import line."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import numpy as np
import pytest

import n2g.scoring
from n2g.scoring import N2G, Scorer, baseline_names, label, methods, scorer, scorers


def test_every_module_of_the_package_is_a_registered_method() -> None:
    modules = {
        m.name
        for m in pkgutil.iter_modules([str(Path(n2g.scoring.__file__).parent)])
        if m.name != "base" and not m.name.startswith("_")
    }
    assert {cls.__module__.rsplit(".", 1)[1] for cls in scorers()} == modules
    # token lookup and 5-gram keep their places; the bigram, added later, comes after them
    assert baseline_names() == ("token_lookup", "ngram", "bigram")
    assert methods() == (N2G, *baseline_names())
    assert [label(m) for m in methods()] == [
        "N2G",
        "Token lookup",
        "5-gram lookup",
        "Bigram lookup",
    ]
    assert scorer("bigram").__name__ == "BigramLookup"


@pytest.mark.parametrize("method", scorers(), ids=lambda cls: cls.name)
def test_every_method_answers_one_float32_per_token(method: type[Scorer]) -> None:
    train = [(np.array([3, 1, 4, 1, 5]), np.array([0.1, 0.9, 0.4, 0.7, 0.0], np.float32))]
    fitted = method(train)
    window = np.array([9, 3, 1, 4, 1])
    predicted = fitted.predict(window)
    assert predicted.dtype == np.float32 and predicted.shape == (5,)
    np.testing.assert_array_equal(fitted.predict_keys(method.keys(window)), predicted)
    assert method([]).predict(window).tolist() == [0.0] * 5


def test_a_method_name_is_a_key_not_n2g_and_unique() -> None:
    with pytest.raises(ValueError, match="lower_snake_case"):
        type("Bad", (Scorer,), {"name": "N-Gram", "label": "x", "short": "x", "order": 99})
    with pytest.raises(ValueError, match="lower_snake_case"):
        type("Bad", (Scorer,), {"name": N2G, "label": "x", "short": "x", "order": 99})
    with pytest.raises(ValueError, match="two scoring methods"):
        type("Other", (Scorer,), {"name": "ngram", "label": "x", "short": "x", "order": 99})
