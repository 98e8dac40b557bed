"""Where the command line finds the texts of old graph files' byte tokens.

Graph files of format 4 and older named every byte token that is not a whole character
U+FFFD; reading such a line renames those tokens from their ids (n2g.graph.file), which
needs the model's tokenizer. n2g.graph does not import the models, so the command line
tells it where tokenizers come from: n2g.models, loaded only when such a line is met
(the read side's commands stay free of torch otherwise). A model whose tokenizer cannot be
loaded here keeps its old texts, said once in one line.
"""

from __future__ import annotations

from n2g.cli.common import echo
from n2g.errors import missing_extra
from n2g.graph import token_text


def _namer_from_models(model: str) -> token_text.TokenNamer | None:
    try:
        from n2g.models import load_tokenizer

        return load_tokenizer(model).token_strings
    except Exception as exc:  # any failure to load: the graphs stay readable as they were
        extra = missing_extra(exc) if isinstance(exc, ImportError) else None
        exc = extra or exc
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        echo(
            f"warning: graphs of {model} were written before byte tokens had texts of their "
            f"own; their '\ufffd' tokens stay until rebuilt (its tokenizer: {reason})",
            err=True,
        )
        return None


def install() -> None:
    """Make the command line's graph reading rename old byte tokens through n2g.models."""
    token_text.set_namer_source(_namer_from_models)
