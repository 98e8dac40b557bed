"""A token id to the one text the store keys it by.

Token texts are lossless per id (n2g.graph.token_text), so searching by id is searching by
that id's text in the model's own tokenizer: the command line (`n2g search --token-id`) and
the service (`/api/search?token_id=`) both come here, each with the tokenizer it loads.
"""

from __future__ import annotations

from n2g.errors import N2GError
from n2g.search.text_match import TokenizerLike


def text_of_token_id(tokenizer: TokenizerLike, token_id: int) -> str:
    """The text of `token_id` in `tokenizer`; N2GError (one line) past its vocabulary."""
    size = tokenizer.vocab_size
    if not 0 <= token_id < size:
        raise N2GError(f"token id {token_id} is outside the tokenizer's 0..{size - 1:,}")
    return tokenizer.token_strings([token_id])[0]


def check_token_or_id(token: str | None, token_id: int | None, model: str | None) -> None:
    """One of a token and an id, and a model for an id (an id names a token of one
    tokenizer); N2GError otherwise."""
    if token_id is None:
        return
    if token is not None:
        raise N2GError("give the token or a token id, not both")
    if model is None:
        raise N2GError("a token id needs a model: an id names a token of one tokenizer")
