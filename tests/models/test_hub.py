"""Local Hugging Face folders: a tiny Llama with a tokenizer trained here, saved and reloaded.

Cross-implementation check: the HookedTransformer's hook_post equals HF's own gated MLP
activation act_fn(gate_proj(x)) * up_proj(x) (the input of `down_proj`, read with a forward
pre-hook) on the same tokens.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from n2g.errors import N2GError
from n2g.models import load_model, load_tokenizer

TEXT = (
    "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. "
    "How vexingly quick daft zebras jump! Sphinx of black quartz, judge my vow. "
) * 4


def save_tiny_llama(folder: Path, seed: int = 0) -> Path:
    """A 3-layer random Llama with a byte-level BPE tokenizer trained on TEXT."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator([TEXT], trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<|endoftext|>", eos_token="<|endoftext|>"
    )
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=128,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = LlamaForCausalLM(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def llama_folder(tmp_path_factory) -> Path:
    return save_tiny_llama(tmp_path_factory.mktemp("tiny_llama"))


def test_local_folder_matches_hf_mlp_activations(llama_folder):
    from transformers import LlamaForCausalLM

    model = load_model(str(llama_folder))
    assert model.n_layers == 3 and model.d_mlp == 128
    ids = model.encode("Sphinx of black quartz, judge my vow.")
    ours = model.mlp_activations([ids], [0, 2])

    hf = LlamaForCausalLM.from_pretrained(llama_folder).eval()
    seen = {}
    handles = [
        hf.model.layers[layer].mlp.down_proj.register_forward_pre_hook(
            lambda mod, args, layer=layer: seen.__setitem__(layer, args[0])
        )
        for layer in (0, 2)
    ]
    with torch.no_grad():
        hf(torch.tensor([[model.tokenizer.bos_token_id, *ids]]))
    for handle in handles:
        handle.remove()
    for layer in (0, 2):
        torch.testing.assert_close(ours[layer][0], seen[layer][0, 1:], atol=1e-4, rtol=1e-4)


def test_local_folder_first_layers_only(llama_folder):
    model = load_model(str(llama_folder), n_layers=1)
    assert model.loaded_layers == 1 and model.n_layers == 3
    with pytest.raises(ValueError, match="not loaded"):
        model.check_layer(2)
    with pytest.raises(N2GError, match="has 3"):
        load_model(str(llama_folder), n_layers=4)
    tokenizer = load_tokenizer(str(llama_folder))
    assert tokenizer.decode(tokenizer.encode("quick fox")) == "quick fox"


def test_folder_without_config_is_one_line(tmp_path):
    with pytest.raises(N2GError, match="no config.json"):
        load_model(str(tmp_path))
