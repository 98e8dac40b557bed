"""Substitute helpers for augmentation (paper eq. 4): who proposes replacement tokens.

A helper gets requests "example tokens, position k" (ids of the target model's tokenizer)
and answers, per request, up to n single-token substitutes in the target vocabulary
(never the original token, no duplicates). Strategies:

- `NoHelper` ("none"): no augmentation.
- `MaskedLMHelper` ("mlm[:NAME|PATH]"): any Hugging Face masked LM, as the paper's
  DistilBERT (default `distilbert-base-uncased`); the example is rendered as text with a
  mask at k, its top predictions are re-encoded with the target tokenizer and kept when
  they are one token.
- `CausalLMHelper` ("causal[:MODEL]"): offline alternative over a NeuronModel sharing the
  target's vocabulary (e.g. SmolLM2): the top next tokens after the left context, re-ranked
  by the log-probability of the whole window with the substitute in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from n2g.errors import N2GError
from n2g.models.base import NeuronModel, TokenizerLike


@dataclass
class SubstituteRequest:
    tokens: np.ndarray  # int64 target-vocabulary ids of the example
    position: int  # the token to replace


class SubstituteHelper(Protocol):
    """Proposes substitutes for many requests at once (batched by the implementation)."""

    name: str

    def substitutes(self, requests: Sequence[SubstituteRequest], n: int) -> list[list[int]]: ...


class NoHelper:
    name = "none"

    def substitutes(self, requests: Sequence[SubstituteRequest], n: int) -> list[list[int]]:
        return [[] for _ in requests]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class MaskedLMHelper:
    """Substitutes from a Hugging Face masked LM (name on the hub or a local folder)."""

    def __init__(
        self, name_or_path: str, target_tokenizer: TokenizerLike, device: str = "cpu"
    ) -> None:
        from transformers import AutoModelForMaskedLM, AutoTokenizer

        self.name = f"mlm:{name_or_path}"
        self.target = target_tokenizer
        self.device = device
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(name_or_path)
            self.model = AutoModelForMaskedLM.from_pretrained(name_or_path).to(device).eval()
        except Exception as exc:  # noqa: BLE001 (hub, disk, format: all mean "cannot load")
            raise N2GError(
                f"cannot load helper model {name_or_path!r}: {_first_line(exc)}"
            ) from None
        if self.tokenizer.mask_token is None:
            raise N2GError(f"helper model {name_or_path!r} has no mask token: not a masked LM")
        self.special_ids = set(self.tokenizer.all_special_ids)

    def _masked_text(self, request: SubstituteRequest) -> tuple[str, str, int]:
        tokens, k = request.tokens, request.position
        original = int(tokens[k])
        lead = " " if self.target.token_strings([original])[0].startswith(" ") else ""
        left = self.target.decode(tokens[:k].tolist())
        right = self.target.decode(tokens[k + 1 :].tolist())
        return left + lead + self.tokenizer.mask_token + right, lead, original

    @torch.inference_mode()
    def substitutes(self, requests: Sequence[SubstituteRequest], n: int) -> list[list[int]]:
        if not requests or n == 0:
            return [[] for _ in requests]
        prepared = [self._masked_text(r) for r in requests]
        encoded = self.tokenizer(
            [p[0] for p in prepared], padding=True, truncation=True, return_tensors="pt"
        ).to(self.device)
        logits = self.model(**encoded).logits
        mask_id = self.tokenizer.mask_token_id
        out: list[list[int]] = []
        for row, (_, lead, original) in enumerate(prepared):
            where = (encoded["input_ids"][row] == mask_id).nonzero()
            if len(where) == 0:  # truncated away
                out.append([])
                continue
            ranked = logits[row, int(where[0])].argsort(descending=True)[: 8 * n + 8].tolist()
            found: list[int] = []
            for candidate in ranked:
                if candidate in self.special_ids:
                    continue
                word = self.tokenizer.convert_ids_to_tokens(candidate)
                if not word or word.startswith("##"):  # unknown id (padded vocab), subword
                    continue
                ids = self.target.encode(lead + word)
                if len(ids) == 1 and ids[0] != original and ids[0] not in found:
                    found.append(ids[0])
                    if len(found) == n:
                        break
            out.append(found)
        return out


class CausalLMHelper:
    """Substitutes from a causal LM sharing the target's vocabulary (e.g. SmolLM2)."""

    def __init__(
        self,
        model: NeuronModel,
        target_tokenizer: TokenizerLike,
        *,
        candidates_per_slot: int = 3,
        max_logit_elements: int = 32_000_000,
    ) -> None:
        if model.tokenizer.vocab_size != target_tokenizer.vocab_size:
            raise N2GError(
                f"causal helper {model.name} has a different vocabulary from the target model; "
                "use an mlm helper or a causal model with the same tokenizer"
            )
        self.name = f"causal:{model.name}"
        self.model = model
        self.candidates_per_slot = candidates_per_slot
        self.max_logit_elements = max_logit_elements
        tok = model.tokenizer
        self.banned = {t for t in (tok.bos_token_id, tok.pad_token_id) if t is not None}

    def _log_probs(self, seqs: list[list[int]]) -> list[torch.Tensor]:
        """Per sequence: log-probabilities [len, V] of the next token at each position
        (position i predicts token i; BOS makes position 0 predictable)."""
        padded, lengths = self.model._pad(seqs)  # noqa: SLF001 (shared padding rule)
        has_bos = padded.shape[1] > lengths.max()
        vocab = self.model.model.cfg.d_vocab
        rows = max(1, self.max_logit_elements // max(1, padded.shape[1] * vocab))
        out: list[torch.Tensor] = []
        for start in range(0, len(seqs), rows):
            logits = self.model.model(padded[start : start + rows].to(self.model.device))
            logp = torch.log_softmax(logits.float(), dim=-1).cpu()
            for r, length in enumerate(lengths[start : start + rows].tolist()):
                # with BOS: logits at i predict token i of the sequence; without, i-1.
                if has_bos:
                    out.append(logp[r, :length])
                else:
                    out.append(torch.cat([torch.zeros(1, vocab), logp[r, : length - 1]]))
        return out

    @torch.inference_mode()
    def substitutes(self, requests: Sequence[SubstituteRequest], n: int) -> list[list[int]]:
        if not requests or n == 0:
            return [[] for _ in requests]
        windows = [r.tokens.tolist() for r in requests]
        logps = self._log_probs(windows)
        pools: list[list[int]] = []
        for request, logp in zip(requests, logps, strict=True):
            original = int(request.tokens[request.position])
            ranked = logp[request.position].argsort(descending=True)
            pool = [
                int(t)
                for t in ranked[: self.candidates_per_slot * n + len(self.banned) + 1]
                if int(t) != original and int(t) not in self.banned
            ][: self.candidates_per_slot * n]
            pools.append(pool)
        variants: list[list[int]] = []
        for request, pool in zip(requests, pools, strict=True):
            for candidate in pool:
                seq = request.tokens.tolist()
                seq[request.position] = candidate
                variants.append(seq)
        scores: list[float] = []
        for seq, logp in zip(variants, self._log_probs(variants) if variants else [], strict=True):
            index = torch.arange(len(seq))
            scores.append(float(logp[index, torch.as_tensor(seq)].sum()))
        out: list[list[int]] = []
        start = 0
        for pool in pools:
            mine = scores[start : start + len(pool)]
            order = sorted(range(len(pool)), key=lambda i: (-mine[i], pool[i]))
            out.append([pool[i] for i in order[:n]])
            start += len(pool)
        return out


def make_helper(spec: str, model: NeuronModel, device: str = "cpu") -> SubstituteHelper:
    """Build the helper named by `spec` ("none", "mlm[:NAME]", "causal[:MODEL]")."""
    kind, _, arg = spec.partition(":")
    if kind == "none":
        return NoHelper()
    if kind == "mlm":
        return MaskedLMHelper(arg or "distilbert-base-uncased", model.tokenizer, device)
    if kind == "causal":
        complete = model.loaded_layers == model.n_layers  # a truncated model's logits are noise
        if (not arg or arg == model.name) and complete:
            return CausalLMHelper(model, model.tokenizer)
        arg = arg or model.name
        try:
            from n2g.models import load_model
        except ImportError:
            raise N2GError("causal helper models need n2g.models.load_model") from None
        try:
            helper_model = load_model(arg, device=device)
        except N2GError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise N2GError(f"cannot load helper model {arg!r}: {_first_line(exc)}") from None
        return CausalLMHelper(helper_model, model.tokenizer)
    raise N2GError(f"unknown helper {spec!r}: use none, mlm[:NAME] or causal[:MODEL]")
