"""A unit's output tokens: its write direction read through the folded unembedding.

Tiny models built in code, whose write directions are set to a token's unembedding so
that the promoted (and suppressed) token is known by construction; the batched product
against the plain unit-by-unit reference; a model folded by transformer_lens itself
against the same model unfolded.
"""

from __future__ import annotations

import pytest
import torch

from n2g.models.base import NeuronModel
from n2g.models.logit_lens import direction_logits, output_tokens, write_directions
from n2g.models.tiny import tiny_model
from n2g.sae.units import SAEUnits
from n2g.testing.output_tokens import plain_output_tokens

PROMOTED, SUPPRESSED = ord("i"), ord("q")  # byte tokens: their text is the character


def _model(seed: int = 11) -> NeuronModel:
    torch.set_num_threads(1)
    model = tiny_model(n_layers=2, d_model=16, d_mlp=24, act_fn="gelu", seed=seed)
    with torch.no_grad():  # a final norm whose scale differs per dimension, not folded
        model.model.ln_final.w.copy_(torch.linspace(0.5, 2.0, 16))
    return model


def _direction_for(model: NeuronModel) -> torch.Tensor:
    """A mean-zero direction that token PROMOTED's unembedding column is made to point
    along (and SUPPRESSED's against), through the final norm's scale."""
    direction = torch.zeros(16)
    direction[0], direction[1] = 1.0, -1.0
    hooked = model.model
    with torch.no_grad():
        column = direction / hooked.ln_final.w * 10.0  # the scale folded back out
        hooked.W_U[:, PROMOTED] = column
        hooked.W_U[:, SUPPRESSED] = -column
    return direction


def _units(model: NeuronModel, transcoder: bool) -> SAEUnits:
    from sae_lens import StandardSAE, StandardSAEConfig, Transcoder, TranscoderConfig

    torch.manual_seed(0)
    if transcoder:
        sae = Transcoder(TranscoderConfig(d_in=16, d_sae=8, d_out=16, apply_b_dec_to_input=False))
        sae.cfg.metadata.hook_name = "blocks.1.ln2.hook_normalized"
        sae.cfg.metadata.hook_name_out = "blocks.1.hook_mlp_out"
    else:
        sae = StandardSAE(StandardSAEConfig(d_in=16, d_sae=8))
        sae.cfg.metadata.hook_name = "blocks.1.hook_mlp_out"
    return SAEUnits.from_sae("made", sae)


def test_a_neuron_writing_along_a_token_promotes_it_and_suppresses_its_opposite() -> None:
    model = _model()
    direction = _direction_for(model)
    with torch.no_grad():
        model.model.blocks[1].mlp.W_out[5] = direction
    (out,) = output_tokens(model, 1, [5], k=3) or []
    assert out.promoted.token_ids[0] == PROMOTED and out.promoted.tokens[0] == "i"
    assert out.suppressed.token_ids[0] == SUPPRESSED and out.suppressed.tokens[0] == "q"
    assert out.promoted.logits == sorted(out.promoted.logits, reverse=True)
    assert out.suppressed.logits == sorted(out.suppressed.logits)
    assert out.promoted.logits[0] > 0 > out.suppressed.logits[0]


@pytest.mark.parametrize("transcoder", [False, True], ids=["sae", "transcoder"])
def test_a_latent_writes_along_its_decoder_row(transcoder: bool) -> None:
    model = _model()
    direction = _direction_for(model)
    units = _units(model, transcoder)
    with torch.no_grad():
        units.sae.W_dec[3] = direction * 0.5
    latents = model.with_units(units)
    assert torch.equal(write_directions(latents, 1, [3])[0], direction * 0.5)
    (out,) = output_tokens(latents, 1, [3], k=2) or []
    assert out.promoted.tokens[0] == "i" and out.suppressed.tokens[0] == "q"


def test_the_batched_product_equals_the_plain_unit_by_unit_way() -> None:
    model = _model()
    units = list(range(24))
    batched = output_tokens(model, 0, units, k=5, units_per_pass=7)
    plain = plain_output_tokens(model, 0, units, k=5)
    assert batched is not None and plain is not None
    for fast, slow in zip(batched, plain, strict=True):
        assert fast.promoted.token_ids == slow.promoted.token_ids
        assert fast.suppressed.token_ids == slow.suppressed.token_ids
        assert fast.promoted.tokens == slow.promoted.tokens
        assert fast.promoted.logits == pytest.approx(slow.promoted.logits, rel=1e-4, abs=1e-5)
        assert fast.suppressed.logits == pytest.approx(slow.suppressed.logits, rel=1e-4, abs=1e-5)


def test_the_same_model_folded_by_transformer_lens_gives_the_same_logits() -> None:
    unfolded, folded = _model(), _model()
    folded.model.process_weights_(fold_ln=True, center_writing_weights=True, center_unembed=True)
    assert folded.model.cfg.normalization_type == "LNPre"  # the norm has no scale left
    for layer in (0, 1):
        units = list(range(24))
        a = direction_logits(unfolded, write_directions(unfolded, layer, units))
        b = direction_logits(folded, write_directions(folded, layer, units))
        assert torch.allclose(a, b, atol=1e-4)


def test_a_changed_unembedding_is_read_afresh() -> None:
    model = _model()
    before = output_tokens(model, 1, [5], k=1)
    direction = _direction_for(model)  # changes W_U in place
    with torch.no_grad():
        model.model.blocks[1].mlp.W_out[5] = direction
    after = output_tokens(model, 1, [5], k=1)
    assert before != after and after is not None and after[0].promoted.tokens == ["i"]


def test_k_beyond_the_vocabulary_ranks_every_named_token() -> None:
    model = _model()
    (out,) = output_tokens(model, 0, [0], k=1000) or []
    assert len(out.promoted.token_ids) == model.tokenizer.vocab_size
    with pytest.raises(ValueError):
        output_tokens(model, 0, [0], k=0)
