"""Neuron search over the graph database: token search, similarity, groups, "like X",
a neuron against the latents of its layer (splits).

The Cypher is in queries/*.cypher; `NeuronSearch` is the Python API over it.
"""

from n2g.search.api import LikeHit, NeuronSearch, PairHit, RepeatedTokenHit, TokenHit
from n2g.search.communities import CommunityConfig
from n2g.search.grouping import GroupHit, SimilarityReport
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
