"""An out-of-tree neuron2graph plug-in of each kind, as a distribution declares them
(pyproject.toml: the entry point groups neuron2graph.models, .corpora, .helpers and
.scorers). docs/plugins.md walks through it; tests/test_plugins.py installs it
and runs it through `n2g run`.

- model `example-tiny[:SEED]`: n2g's seeded tiny GELU model, under the spec's name;
- corpus `example-texts[:upper]`: a few fixed sentences (upper-cased with `:upper`);
- helper `example-vowels`: proposes the one-token vowels, whatever the context;
- scorer `always_fires`: predicts that every token fires (its recall is 1 by design).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from n2g.models.base import NeuronModel
from n2g.plugins import spec_argument
from n2g.record.corpus import Corpus
from n2g.scoring import Scorer

SENTENCES = (
    "The cat sat on the mat and looked at the door for a long time.",
    "def add(a, b):\n    return a + b  # the sum of two numbers\n",
    "Rivers run to the sea, and the sea is never full; the wind goes round again.",
    "for i in range(10):\n    print(i * i, end=' ')\n",
    "A quick brown fox jumps over the lazy dog while the owl watches quietly.",
    "import os\nprint(os.path.join('a', 'b'), os.sep)\n",
)


def model(spec: str, *, n_layers: int | None, device: str, cache_dir: Path | None) -> NeuronModel:
    from n2g.models.tiny import tiny_model

    seed = int(spec_argument(spec) or 0)
    return tiny_model(n_layers=2, act_fn="gelu", seed=seed, name=spec, device=device)


class FixedTexts(Corpus):
    """The sentences, each repeated into a document of a few hundred characters."""

    def __init__(self, spec: str) -> None:
        self.name = spec  # its spec: the build reopens the corpus from the records' name
        self.version = "0.1.0"
        upper = spec_argument(spec) == "upper"
        self.texts = [(s.upper() if upper else s) * 8 for s in SENTENCES]

    def documents_from(self, first: int) -> Iterator[tuple[int, str]]:
        for doc_id in range(first, len(self.texts)):
            yield doc_id, self.texts[doc_id]

    def sized_items(self) -> list[tuple[int, int]]:
        return [(doc_id, len(text)) for doc_id, text in enumerate(self.texts)]

    def document(self, doc_id: int) -> str:
        return self.texts[doc_id]


def corpus(spec: str, *, cache_dir: Path | None) -> Corpus:
    return FixedTexts(spec)


class Vowels:
    """Substitutes: the vowels that are one token of the target's tokenizer."""

    name = "example-vowels"

    def __init__(self, model: NeuronModel) -> None:
        encoded = [model.tokenizer.encode(v) for v in "aeiou"]
        self.vowels = [ids[0] for ids in encoded if len(ids) == 1]

    def substitutes(self, requests: Sequence, n: int) -> list[list[int]]:
        out = []
        for request in requests:
            original = int(request.tokens[request.position])
            out.append([v for v in self.vowels if v != original][:n])
        return out


def helper(spec: str, model: NeuronModel, *, device: str, rerank: bool) -> Vowels:
    return Vowels(model)


class AlwaysFires(Scorer):
    """Predicts the highest normalised activation at every token."""

    name = "always_fires"
    label = "Always fires"
    short = "Always"
    order = 90

    def __init__(self, examples: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        pass

    def predict(self, tokens: np.ndarray) -> np.ndarray:
        return np.ones(len(tokens), dtype=np.float32)
