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
  by the log-probability of the whole window with the substitute in place (computed
  cheaply: see the class docstring; the pool re-ranked is 2n candidates).
- `EmbeddingHelper` ("embed"): the target model's own nearest tokens, by cosine of its
  input embeddings, whatever the context: the model's notion of "a similar token", which
  finds the case, spacing and spelling variants a token-level unit also fires on and the
  training windows never showed (an MLM proposes what fits the sentence instead).
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


def first_line(exc: BaseException) -> str:
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
                f"cannot load helper model {name_or_path!r}: {first_line(exc)}"
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
                word = str(self.tokenizer.convert_ids_to_tokens(candidate))
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
    """Substitutes from a causal LM sharing the target's vocabulary (e.g. SmolLM2).

    Method: the candidates for position k are the top `candidates_per_slot * n` next tokens
    after the left context tokens[:k]; they are re-ranked by the log-probability of the
    whole window with the candidate in place, and the best n kept. The cost is kept low
    without changing that ranking:

    - log p(window) = log p(tokens[:k]) + log p(c | tokens[:k]) + log p(tokens[k+1:] | ..).
      The first term is the same for every candidate of a request, so it is dropped; the
      second comes from the SAME forward pass that proposed the candidates; only the third
      needs a pass over the candidate window, and none at all when k is the last token
      (the pivot, whose substitutes are then ranked by the proposal pass alone).
    - One proposal pass per DISTINCT window gives the next-token distribution at every
      requested position; identical requests are answered once.
    - Passes are batched over all requests of a call (all neurons of a build batch),
      sorted by length and right-padded (causal, so padding changes nothing), and the
      vocabulary projection is applied only at the positions whose log-probabilities are
      used, not at every position.
    - `candidates_per_slot` defaults to 2 (the re-ranking pool is 2n). With 1 the pool is
      the answer: no re-ranking pass runs (they were ~90% of the helper's passes: every
      candidate window is a full-depth pass, the proposal one pass per distinct window),
      and the n substitutes are the top next tokens after the left context.
    """

    def __init__(
        self,
        model: NeuronModel,
        target_tokenizer: TokenizerLike,
        *,
        candidates_per_slot: int = 2,
        batch_rows: int = 256,
        batch_tokens: int = 4096,
    ) -> None:
        if model.tokenizer.vocab_size != target_tokenizer.vocab_size:
            raise N2GError(
                f"causal helper {model.name} has a different vocabulary from the target model; "
                "use an mlm helper or a causal model with the same tokenizer"
            )
        self.name = f"causal:{model.name}"
        self.model = model
        self.candidates_per_slot = candidates_per_slot
        self.batch_rows = batch_rows
        self.batch_tokens = batch_tokens
        tok = model.tokenizer
        self.banned = {t for t in (tok.bos_token_id, tok.pad_token_id) if t is not None}

    def _chunks(self, seqs: Sequence[tuple[int, ...]]) -> list[list[int]]:
        """Indices of `seqs` by ascending length, in chunks of at most `batch_rows` rows and
        `batch_tokens` padded tokens (similar lengths together: little padding)."""
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
        chunks: list[list[int]] = []
        for i in order:
            width = len(seqs[i]) + 1
            if (
                not chunks
                or len(chunks[-1]) >= self.batch_rows
                or (len(chunks[-1]) + 1) * width > self.batch_tokens
            ):
                chunks.append([])
            chunks[-1].append(i)
        return chunks

    def _next_token_log_probs(
        self, seqs: Sequence[tuple[int, ...]], wanted: Sequence[Sequence[int]]
    ) -> list[torch.Tensor]:
        """Per sequence s: log-probabilities [len(wanted[s]), V] of token i given the tokens
        before it, for each i in wanted[s] (position 0 is predictable only after a BOS;
        without one its row is all zeros)."""
        transformer = self.model.model
        vocab = transformer.cfg.d_vocab
        out: list[torch.Tensor] = [torch.zeros(0, vocab)] * len(seqs)
        for chunk in self._chunks(seqs):
            padded, lengths = self.model._pad([list(seqs[i]) for i in chunk])  # noqa: SLF001
            shift = 1 if padded.shape[1] > int(lengths.max()) else 0  # BOS column
            rows, cols, owners = [], [], []
            for r, i in enumerate(chunk):
                for p in wanted[i]:
                    if p + shift - 1 >= 0:
                        rows.append(r)
                        cols.append(p + shift - 1)  # the residual that predicts token p
                        owners.append((i, p))
            residual = transformer(
                padded.to(self.model.device), stop_at_layer=len(transformer.blocks)
            )
            picked = residual[torch.as_tensor(rows), torch.as_tensor(cols)][None]
            if transformer.cfg.normalization_type is not None:
                picked = transformer.ln_final(picked)
            logp = torch.log_softmax(transformer.unembed(picked)[0].float(), dim=-1).cpu()
            found = {owner: logp[j] for j, owner in enumerate(owners)}
            for i in chunk:
                zeros = torch.zeros(vocab)
                out[i] = torch.stack([found.get((i, p), zeros) for p in wanted[i]])
        return out

    @torch.inference_mode()
    def substitutes(self, requests: Sequence[SubstituteRequest], n: int) -> list[list[int]]:
        if not requests or n == 0:
            return [[] for _ in requests]
        keys = [(tuple(int(t) for t in r.tokens), int(r.position)) for r in requests]
        distinct = list(dict.fromkeys(keys))
        windows = list(dict.fromkeys(w for w, _ in distinct))
        positions: dict[tuple[int, ...], list[int]] = {w: [] for w in windows}
        for window, k in distinct:
            positions[window].append(k)
        proposal = self._next_token_log_probs(windows, [positions[w] for w in windows])
        logp_at = {
            (w, k): row
            for w, rows in zip(windows, proposal, strict=True)
            for k, row in zip(positions[w], rows, strict=True)
        }
        size = self.candidates_per_slot * n
        pools: dict[tuple, list[int]] = {}
        for window, k in distinct:
            row = logp_at[(window, k)]
            top = torch.topk(row, min(len(row), size + len(self.banned) + 1)).indices.tolist()
            pools[(window, k)] = [t for t in top if t != window[k] and t not in self.banned][:size]
        if size <= n:  # re-ranking cannot change which n are kept (class docstring)
            return [list(pools[key]) for key in keys]
        # Re-ranking passes: every candidate window whose substituted token is not the last,
        # scored on the tokens after the substitute (keyed by window and position).
        tails: dict[tuple[tuple[int, ...], int], list[int]] = {}
        for window, k in distinct:
            if k < len(window) - 1:
                for c in pools[(window, k)]:
                    tails[((*window[:k], c, *window[k + 1 :]), k)] = list(range(k + 1, len(window)))
        variants = list(tails)
        variant_logps = (
            self._next_token_log_probs([v for v, _ in variants], [tails[v] for v in variants])
            if variants
            else []
        )
        tail_score = {
            (seq, k): float(
                logp[torch.arange(len(seq) - k - 1), torch.as_tensor(seq[k + 1 :])].sum()
            )
            for (seq, k), logp in zip(variants, variant_logps, strict=True)
        }
        answers: dict[tuple, list[int]] = {}
        for window, k in distinct:
            pool = pools[(window, k)]
            own = logp_at[(window, k)]
            score = {}
            for c in pool:
                variant = (*window[:k], c, *window[k + 1 :])
                rest = tail_score[(variant, k)] if k < len(window) - 1 else 0.0
                score[c] = float(own[c]) + rest
            answers[(window, k)] = sorted(pool, key=lambda c: (-score[c], c))[:n]
        return [list(answers[key]) for key in keys]


class EmbeddingHelper:
    """Substitutes: the tokens nearest to the original in the model's input embedding
    (cosine), special tokens excluded; one matrix product per batch of distinct tokens."""

    def __init__(self, model: NeuronModel, chunk: int = 1024) -> None:
        self.name = "embed"
        weights = model.model.W_E.detach().float()
        self.unit = weights / weights.norm(dim=-1, keepdim=True).clamp_min(1e-8)
        tok = model.tokenizer
        specials = (tok.bos_token_id, tok.pad_token_id)
        self.banned = torch.as_tensor(sorted({t for t in specials if t is not None}))
        self.chunk = chunk

    @torch.inference_mode()
    def substitutes(self, requests: Sequence[SubstituteRequest], n: int) -> list[list[int]]:
        if not requests or n == 0:
            return [[] for _ in requests]
        originals = [int(r.tokens[r.position]) for r in requests]
        distinct = sorted(set(originals))
        nearest: dict[int, list[int]] = {}
        for start in range(0, len(distinct), self.chunk):
            ids = torch.as_tensor(distinct[start : start + self.chunk])
            similarity = self.unit[ids] @ self.unit.T
            similarity[:, self.banned] = -2.0
            similarity[torch.arange(len(ids)), ids] = -2.0  # never the original
            top = similarity.topk(min(n, similarity.shape[1] - 1), dim=-1).indices
            nearest.update(zip(ids.tolist(), top.tolist(), strict=True))
        return [list(nearest[t]) for t in originals]


def make_helper(
    spec: str, model: NeuronModel, device: str = "cpu", *, rerank: bool
) -> SubstituteHelper:
    """Build the helper named by `spec` ("none", "mlm[:NAME]", "causal[:MODEL]", "embed", or
    an installed plug-in's name: n2g.builder.helpers); `rerank`: a causal helper re-ranks a
    pool of 2n candidates by the whole window (else takes the top n next tokens,
    `CausalLMHelper`)."""
    from n2g.builder.helpers import HELPERS, unknown_helper

    factory = HELPERS.find(spec)
    if factory is None:
        raise N2GError(unknown_helper(spec))
    return factory(spec, model, device=device, rerank=rerank)
