"""Neuron search over the graph database: token search, similarity, groups, "like X",
a neuron against the latents of its layer (splits).

The Cypher is in queries/*.cypher; `NeuronSearch` is the Python API over it.

The names below are imported on first use (PEP 562), not with the package: the parts that
need no database (the similarity join, the groups, which `n2g report` counts on graph
files) are modules of this package, and importing one of them runs this file first. Had
it imported the API, every such reader would pay for the database driver (neo4j and
asyncio, 0.2-0.4 s of a command's start on these machines; issue 40).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from n2g.search.api import NeuronSearch
    from n2g.search.communities import CommunityConfig
    from n2g.search.grouping import GroupHit, SimilarityReport
    from n2g.search.hits import LikeHit, PairHit, RepeatedTokenHit, TokenHit
    from n2g.search.output_tokens import OutputHit
    from n2g.search.similarity import (
        NeuronTokenSets,
        Relation,
        SimilarityConfig,
        SimilarPair,
        similarity_join,
    )
    from n2g.search.splits import SplitHit, SplitResult
    from n2g.search.text_match import NeuronOnText, TextMatch

# Each public name -> the module of this package that defines it.
_HOMES = {
    "LikeHit": "hits",
    "NeuronSearch": "api",
    "PairHit": "hits",
    "RepeatedTokenHit": "hits",
    "TokenHit": "hits",
    "CommunityConfig": "communities",
    "GroupHit": "grouping",
    "SimilarityReport": "grouping",
    "OutputHit": "output_tokens",
    "NeuronTokenSets": "similarity",
    "Relation": "similarity",
    "SimilarityConfig": "similarity",
    "SimilarPair": "similarity",
    "similarity_join": "similarity",
    "SplitHit": "splits",
    "SplitResult": "splits",
    "NeuronOnText": "text_match",
    "TextMatch": "text_match",
}

# The checkers read this list and the imports above; tests/search/test_lazy_package.py
# keeps it the same names as _HOMES.
__all__ = [
    "CommunityConfig",
    "GroupHit",
    "LikeHit",
    "NeuronOnText",
    "NeuronSearch",
    "NeuronTokenSets",
    "OutputHit",
    "PairHit",
    "Relation",
    "RepeatedTokenHit",
    "SimilarPair",
    "SimilarityConfig",
    "SimilarityReport",
    "SplitHit",
    "SplitResult",
    "TextMatch",
    "TokenHit",
    "similarity_join",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use (then kept as an attribute).
    Other names raise AttributeError, so `from n2g.search import store` finds the module."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
