"""Local Hugging Face folders: a tiny Llama with a tokenizer trained here, saved and reloaded.

Cross-implementation check: the HookedTransformer's hook_post equals HF's own gated MLP
activation act_fn(gate_proj(x)) * up_proj(x) (the input of `down_proj`, read with a forward
pre-hook) on the same tokens.
"""

from __future__ import annotations

import pytest
import torch

from n2g.errors import N2GError
from n2g.models import load_model, load_tokenizer


def test_local_folder_matches_hf_mlp_activations(llama_folder, gated_mlp_inputs):
    from transformers import LlamaForCausalLM

    model = load_model(str(llama_folder))
    assert model.n_layers == 3 and model.n_units == 128
    ids = model.encode("Sphinx of black quartz, judge my vow.")
    ours = model.unit_activations([ids], [0, 2])

    hf = LlamaForCausalLM.from_pretrained(llama_folder).eval()
    seen = gated_mlp_inputs(hf, [model.tokenizer.bos_token_id, *ids], (0, 2))
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


def test_models_whose_checkpoints_are_unpickled_are_named_with_a_warning() -> None:
    from n2g.models.hub import official_name, pickle_warning

    solu = official_name("solu-6l-pile")  # the paper's model: a NeelNanda/ .pth checkpoint
    assert solu is not None and "weights_only=False" in (pickle_warning(solu) or "")
    gpt2 = official_name("gpt2-small")  # safetensors from the hub: no warning
    assert gpt2 is not None and pickle_warning(gpt2) is None
