"""Augmentation and its helpers: a tiny masked LM built in code, a causal LM, none."""

from __future__ import annotations

import numpy as np
import pytest

from n2g.builder.augment import augment_examples, candidate_examples
from n2g.builder.examples import Example
from n2g.builder.substitutes import (
    CausalLMHelper,
    MaskedLMHelper,
    NoHelper,
    SubstituteRequest,
    make_helper,
)
from n2g.errors import N2GError
from n2g.models.tokenizers import ByteTokenizer
from n2g.testing.plain_builder import pivot_activation


def _example(model, neuron: int, text: str, layer: int = 1) -> Example:
    tokens = np.asarray(model.encode(text), dtype=np.int64)
    example = Example(neuron, tokens, pivot_activation(model, layer, neuron, tokens))
    example.importances = np.ones(len(tokens), dtype=np.float32)
    return example


def test_masked_lm_helper_gives_single_target_tokens(tiny_mlm_path):
    helper = MaskedLMHelper(str(tiny_mlm_path), ByteTokenizer())
    tokens = np.asarray(list(b"hello world"), dtype=np.int64)
    requests = [SubstituteRequest(tokens, k) for k in (0, 4, 6)]
    answers = helper.substitutes(requests, 4)
    assert len(answers) == 3
    for request, found in zip(requests, answers, strict=True):
        assert 1 <= len(found) <= 4
        assert len(set(found)) == len(found)
        assert int(request.tokens[request.position]) not in found
        assert all(0 <= t < 256 for t in found)  # one byte token each
    assert helper.substitutes(requests, 0) == [[], [], []]


def test_unloadable_helper_is_one_clear_error(tmp_path, gelu_model):
    with pytest.raises(N2GError, match="cannot load helper model"):
        MaskedLMHelper(str(tmp_path / "no-such-model"), gelu_model.tokenizer)
    with pytest.raises(N2GError, match="unknown helper"):
        make_helper("magic", gelu_model, rerank=True)


def test_causal_helper_ranks_whole_window(gelu_model):
    helper = make_helper("causal", gelu_model, rerank=True)
    assert isinstance(helper, CausalLMHelper)
    tokens = np.asarray(gelu_model.encode("the lazy dog"), dtype=np.int64)
    (found,) = helper.substitutes([SubstituteRequest(tokens, 4)], 3)
    assert len(found) == 3 and int(tokens[4]) not in found
    assert gelu_model.tokenizer.bos_token_id not in found


def _plain_causal(model, tokens, k, n, pool_size):
    """The documented method, one full forward per window: top next tokens after
    tokens[:k], re-ranked by the log-probability of the whole window."""
    import torch

    def whole_window_logps(seq):
        ids = torch.as_tensor([[model.tokenizer.bos_token_id, *seq]])
        with torch.no_grad():
            logp = torch.log_softmax(model.model(ids)[0].float(), dim=-1)
        return logp[torch.arange(len(seq)), torch.as_tensor(seq)], logp

    _, logp = whole_window_logps(tokens.tolist())
    banned = {model.tokenizer.bos_token_id, model.tokenizer.pad_token_id, int(tokens[k])}
    pool = [int(t) for t in logp[k].argsort(descending=True) if int(t) not in banned][:pool_size]
    scores = {}
    for c in pool:
        seq = tokens.tolist()
        seq[k] = c
        scores[c] = float(whole_window_logps(seq)[0].sum())
    return sorted(pool, key=lambda c: (-scores[c], c))[:n]


def test_causal_helper_equals_the_plain_method(gelu_model):
    helper = CausalLMHelper(gelu_model, gelu_model.tokenizer, batch_rows=3, batch_tokens=16)
    texts = ["the lazy dog", "fox jumps", "ab", "def main(): return"]
    requests = []
    for text in texts:
        tokens = np.asarray(gelu_model.encode(text), dtype=np.int64)
        requests += [SubstituteRequest(tokens, k) for k in range(len(tokens))]
    requests.append(requests[1])  # a repeat is answered like the first
    answers = helper.substitutes(requests, 3)
    assert answers[-1] == answers[1]
    for request, found in zip(requests, answers, strict=True):
        expected = _plain_causal(gelu_model, request.tokens, request.position, 3, 6)
        assert found == expected


def test_causal_helper_without_reranking_takes_the_top_next_tokens(gelu_model):
    """candidates_per_slot=1 (`rerank_substitutes=False`): the n best next tokens after the
    left context, the same set the re-ranking of a pool of n keeps, from the proposal
    pass alone (one pass over the distinct windows, none per candidate)."""

    class Counting(CausalLMHelper):
        calls = 0

        def _next_token_log_probs(self, seqs, wanted):
            Counting.calls += 1
            return super()._next_token_log_probs(seqs, wanted)

    helper = Counting(gelu_model, gelu_model.tokenizer, candidates_per_slot=1)
    assert isinstance(make_helper("causal", gelu_model, rerank=False), CausalLMHelper)
    requests = []
    for text in ["the lazy dog", "fox jumps", "def main(): return"]:
        tokens = np.asarray(gelu_model.encode(text), dtype=np.int64)
        requests += [SubstituteRequest(tokens, k) for k in range(len(tokens))]
    answers = helper.substitutes(requests, 3)
    assert Counting.calls == 1
    for request, found in zip(requests, answers, strict=True):
        reranked = _plain_causal(gelu_model, request.tokens, request.position, 3, 3)
        assert sorted(found) == sorted(reranked) and len(found) == 3


def test_candidates_are_deduplicated(gelu_model):
    first = _example(gelu_model, 2, "ab")
    second = _example(gelu_model, 2, "cb")

    class Fixed:
        name = "fixed"

        def substitutes(self, requests, n):
            # 'c' at position 0 of "ab" recreates the second example; 'z' twice.
            return [[ord("c"), ord("z"), ord("z")] for _ in requests]

    pairs = candidate_examples(
        [first, second], Fixed(), importance_threshold=0.5, n_substitutes=3, include_pivot=False
    )
    keys = [candidate.key for _, candidate in pairs]
    assert len(keys) == len(set(keys))
    assert second.key not in keys and first.key not in keys
    assert (ord("z"), ord("b")) in keys


def test_augment_keeps_only_firing_substitutes(gelu_model, tiny_mlm_path):
    helper = MaskedLMHelper(str(tiny_mlm_path), gelu_model.tokenizer)
    examples = [_example(gelu_model, n, "over the lazy") for n in range(8)]
    examples = [e for e in examples if e.activation > 0]
    kept = augment_examples(
        gelu_model,
        1,
        examples,
        helper,
        importance_threshold=0.5,
        augment_threshold=0.5,
        n_substitutes=5,
        include_pivot=True,
        batch_rows=16,
    )
    assert kept, "some substitutes should keep a tiny neuron firing"
    origin_act = {e.neuron: e.activation for e in examples}
    for example in kept:
        assert example.augmented
        recomputed = pivot_activation(gelu_model, 1, example.neuron, example.tokens)
        assert recomputed == pytest.approx(example.activation, rel=1e-4, abs=1e-5)
        assert example.activation >= 0.5 * origin_act[example.neuron] - 1e-6
    assert NoHelper().substitutes([SubstituteRequest(examples[0].tokens, 0)], 3) == [[]]


def test_inherited_importances_are_the_origins(gelu_model, tiny_mlm_path):
    helper = MaskedLMHelper(str(tiny_mlm_path), gelu_model.tokenizer)
    examples = [_example(gelu_model, n, "over the lazy") for n in range(8)]
    examples = [e for e in examples if e.activation > 0]
    for i, example in enumerate(examples):  # distinct per origin, to tell them apart
        example.importances = np.linspace(0.5, 1.0, len(example.tokens), dtype=np.float32) + i
    settings = dict(
        importance_threshold=0.5, augment_threshold=0.5, n_substitutes=5, include_pivot=True,
        batch_rows=16,
    )  # fmt: skip
    measured = augment_examples(gelu_model, 1, examples, helper, **settings)
    inherited = augment_examples(
        gelu_model, 1, examples, helper, **settings, inherit_importances=True
    )
    assert [e.key for e in inherited] == [e.key for e in measured] and inherited
    assert all(len(e.importances) == 0 for e in measured)  # measured later, by saliency
    for example in inherited:
        origins = [
            o
            for o in examples
            if o.neuron == example.neuron and int((o.tokens != example.tokens).sum()) == 1
        ]
        assert any(np.array_equal(example.importances, o.importances) for o in origins)
        assert all(example.importances is not o.importances for o in examples)


def test_embedding_helper_proposes_the_models_nearest_tokens(gelu_model):
    import torch

    helper = make_helper("embed", gelu_model, rerank=False)
    tokens = np.asarray(gelu_model.encode("the lazy dog"), dtype=np.int64)
    requests = [SubstituteRequest(tokens, k) for k in (0, 2, 4)]
    answers = helper.substitutes(requests, 3)
    weights = gelu_model.model.W_E.detach().float()
    unit = weights / weights.norm(dim=-1, keepdim=True)
    for request, found in zip(requests, answers, strict=True):
        original = int(request.tokens[request.position])
        assert len(found) == 3 and original not in found
        assert gelu_model.tokenizer.bos_token_id not in found
        cosine = (unit @ unit[original]).tolist()
        others = [t for t in range(len(cosine)) if t not in (original, *found)]
        assert min(cosine[t] for t in found) >= max(cosine[t] for t in others) - 1e-6
        assert torch.tensor([cosine[t] for t in found]).diff().le(1e-6).all()  # nearest first
    assert helper.substitutes(requests, 0) == [[], [], []]


def test_augmenting_the_pivot_alone_asks_for_no_context_substitute(gelu_model):
    example = _example(gelu_model, 3, "the lazy dog")
    last = len(example.tokens) - 1

    class Recording(NoHelper):
        asked: list[int] = []

        def substitutes(self, requests, n):
            self.asked += [r.position for r in requests]
            return [[] for _ in requests]

    both, pivot_only = Recording(), Recording()
    both.asked, pivot_only.asked = [], []
    for helper, context in ((both, True), (pivot_only, False)):
        candidate_examples(
            [example],
            helper,
            importance_threshold=0.5,
            n_substitutes=2,
            include_pivot=True,
            include_context=context,
        )
    assert sorted(both.asked) == list(range(last + 1))  # every token is important here
    assert pivot_only.asked == [last]
