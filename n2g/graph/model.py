"""The neuron graph: the pydantic models every stage shares, validated on construction.

A unit's N2G graph is a trie stored as a node list plus explicit parent→child edges.
Activating nodes are the trie's first level (the paper's root children); each path walks
backwards through context or ignore nodes and finishes in an end node holding a
normalised activation. With it travel the unit's normaliser, its evaluation, the settings
it was built with and its evidence. Its scores are n2g.graph.evaluation; how a graph is
written to and read from a file, n2g.graph.file (its JSON Schema: n2g.graph.schema); how
it is stored in the database, n2g.db.mapping.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from n2g.graph.evaluation import (
    Evaluation,
    Probability,
    StrictModel,
)
from n2g.graph.histogram import ActivationHistogram
from n2g.graph.key import neuron_key

# 2: graphs carry their evidence (the windows they were built and tested on). Version-1
# files load unchanged: they simply have no evidence.
# 3: the baselines' scores are keyed by scoring method (`baselines`, n2g.scoring) instead
# of a field per method.
# 4: the unit set a latent belongs to is `unit_set` (the vocabulary of n2g.graph.key), not
# `sae`. Lines of formats 1-3 are upgraded on reading (n2g.graph.file.upgrade_graph_data).
# 5: a token's text is lossless (n2g.graph.token_text: `<0xNN>` for bytes that are not whole
# characters); older lines named such tokens U+FFFD, renamed from their ids on reading where
# the model's tokenizer can be had (n2g.graph.file.rename_byte_tokens).
# 6: a unit's output side, `output_tokens` (n2g.models.logit_lens): the tokens its write
# direction promotes and suppresses most. Older lines simply have none (None).
# 7: a unit's activation histogram over the corpus, `activation_histogram`
# (n2g.graph.histogram). Older lines simply have none (None).
FORMAT_VERSION = 7
LOSSLESS_TOKENS_FORMAT = 5


# What a graph predicts below firing (n2g.builder.grades): nothing, or each training
# token's mean or max level, kept in a table beside the trie (NeuronGraph.token_grades).
Grades = Literal["none", "mean", "max"]
# Context-free firing paths: kept as learnt, or checked against the token's training level.
BarePaths = Literal["keep", "verify"]


class NodeKind(StrEnum):
    ACTIVATING = "activating"
    CONTEXT = "context"
    IGNORE = "ignore"
    END = "end"


class TrieNode(StrictModel):
    """One trie node.

    - activating: `token`/`token_id` set; `activation` = the largest normalised activation
      of any end node beneath it.
    - context: `token`/`token_id` set; `importance` = the largest saliency of that token at
      this position over the examples that formed it.
    - ignore: no token (some token must stand here, which one does not matter).
    - end: `activation` = normalised activation of the example(s) that end here (max).
    `depth` is 0 for activating nodes, +1 per step back into the context.
    """

    id: Annotated[int, Field(ge=0)]
    kind: NodeKind
    depth: Annotated[int, Field(ge=0)]
    token: str | None = None
    token_id: Annotated[int, Field(ge=0)] | None = None
    importance: float | None = None
    activation: float | None = None

    @model_validator(mode="after")
    def _fields_match_kind(self) -> TrieNode:
        has_token = self.kind in (NodeKind.ACTIVATING, NodeKind.CONTEXT)
        if has_token and (self.token is None or self.token_id is None):
            raise ValueError(f"{self.kind.value} node {self.id} needs token and token_id")
        if not has_token and (self.token is not None or self.token_id is not None):
            raise ValueError(f"{self.kind.value} node {self.id} must not carry a token")
        if self.kind in (NodeKind.ACTIVATING, NodeKind.END) and self.activation is None:
            raise ValueError(f"{self.kind.value} node {self.id} needs an activation")
        if self.kind == NodeKind.CONTEXT and self.importance is None:
            raise ValueError(f"context node {self.id} needs an importance")
        for name in ("importance", "activation"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"node {self.id}: {name} must be finite")
        return self


class BuildSettings(StrictModel):
    """The settings a graph was built with (so results are reproducible)."""

    # Every setting is required: a graph records what it was built with, and the builder's
    # defaults are stated once, in n2g.builder.config. A line written before a setting
    # existed gets the value that meant "as before" from the graph file's one upgrade step
    # (n2g.graph.file.LEGACY_SETTINGS). Those that may be None default to None only
    # because a line leaves None out.

    prune_threshold: Probability
    importance_threshold: Probability
    augment_threshold: Probability
    helper: str
    n_substitutes: Annotated[int, Field(ge=0)]
    rerank_substitutes: bool
    augment_pivot: bool
    augment_context: bool
    train_fraction: Probability
    seed: int
    mask_token_id: Annotated[int, Field(ge=0)] | None = None
    pivots: Literal["argmax", "firing"]
    end_activation: Literal["rescaled", "pruned"]
    n_examples: Annotated[int, Field(ge=2)]
    extra_train_examples: Annotated[int, Field(ge=0)]
    sample_train_examples: Annotated[int, Field(ge=0)]
    max_context: Annotated[int, Field(ge=1)] | None = None
    fold_tokens: bool
    augmented_saliency: Literal["measure", "inherit"]
    dtype: Literal["float32", "bfloat16"]  # the builder's passes' number format
    grades: Grades
    grade_floor: Probability
    grade_tokens: Annotated[int, Field(ge=1)] | None = None
    bare_paths: BarePaths
    path_precision: Probability
    bigram_paths: Probability

    @classmethod
    def legacy(cls) -> BuildSettings:
        """The settings of a graph that records none: what every setting meant before it
        existed (a graph made in code without settings reads as such a line does)."""
        from n2g.graph.file import LEGACY_SETTINGS  # the upgrade step's, imported late

        return cls.model_validate(LEGACY_SETTINGS)


class EvidenceExample(StrictModel):
    """One window a graph was built (`train`) or tested (`test`) on, as a snippet.

    The snippet holds the window's strongest token and its other firing tokens nearby, with
    enough left context for the graph's longest path and a few tokens to the right. Per
    token: its text, the unit's true normalised activation (activation / a_max) and the
    graph's predicted one, both rounded to 3 decimals. Stored so that anyone can check why
    a graph says what it says (n2g.builder.evidence makes them).
    """

    split: Literal["train", "test"]
    rank: Annotated[int, Field(ge=0)] = Field(
        description="the window's rank among the unit's recorded windows (0: the strongest)"
    )
    start: Annotated[int, Field(ge=0)] = Field(
        description="position of the snippet's first token in its recorded window"
    )
    tokens: list[str] = Field(min_length=1)
    activations: list[float] = Field(description="true normalised activation per token")
    predicted: list[float] = Field(description="the graph's predicted normalised activation")

    @model_validator(mode="after")
    def _aligned(self) -> EvidenceExample:
        n = len(self.tokens)
        if len(self.activations) != n or len(self.predicted) != n:
            raise ValueError("tokens, activations and predicted must have the same length")
        if not all(math.isfinite(v) for v in (*self.activations, *self.predicted)):
            raise ValueError("evidence activations must be finite")
        return self

    @property
    def peak(self) -> int:
        """Index of the snippet's strongest token."""
        return max(range(len(self.activations)), key=self.activations.__getitem__)


class TokenGrades(StrictModel):
    """Levels below firing (n2g.builder.grades): each token's typical normalised
    activation over the training windows, predicted wherever the token stands (the larger
    where a path also matches). Kept beside the trie, not in it: a table of a few hundred
    tokens, which the trie's nodes and the store's would hold many times larger, and the
    trie stays the readable account of what fires."""

    token_ids: list[Annotated[int, Field(ge=0)]]
    levels: list[float]

    @model_validator(mode="after")
    def _aligned(self) -> TokenGrades:
        if len(self.token_ids) != len(self.levels):
            raise ValueError("token_ids and levels must have the same length")
        if len(set(self.token_ids)) != len(self.token_ids):
            raise ValueError("token_ids must be distinct")
        if not all(math.isfinite(v) for v in self.levels):
            raise ValueError("levels must be finite")
        return self


class TokenLogits(StrictModel):
    """Tokens with their direct logit effect, strongest first: ids, their lossless texts
    (n2g.graph.token_text) and the logit each gains per unit of the unit's activation."""

    token_ids: list[Annotated[int, Field(ge=0)]]
    tokens: list[str]
    logits: list[float]

    @model_validator(mode="after")
    def _aligned(self) -> TokenLogits:
        if not len(self.token_ids) == len(self.tokens) == len(self.logits):
            raise ValueError("token_ids, tokens and logits must have the same length")
        if len(set(self.token_ids)) != len(self.token_ids):
            raise ValueError("token_ids must be distinct")
        if not all(math.isfinite(v) for v in self.logits):
            raise ValueError("logits must be finite")
        return self


class OutputTokens(StrictModel):
    """What a unit does, its output side: the tokens its write direction promotes most
    (largest logit first) and suppresses most (most negative first), read through the
    unembedding with the final norm folded (the direct path alone; n2g.models.logit_lens)."""

    promoted: TokenLogits
    suppressed: TokenLogits


class NeuronGraph(StrictModel):
    """One neuron's N2G graph: the trie, its normaliser, its evaluation, its settings.

    A trie's nodes and edges are sets, so they have one canonical order, kept here and
    nowhere else: nodes by id, edges by child id (each child has one parent; the order the
    builder creates them in). A graph from any file order or read back from the database
    is then equal to the original, and dumps to the same line (and content hash).
    """

    format_version: int = FORMAT_VERSION
    model: Annotated[str, Field(min_length=1)]
    layer: Annotated[int, Field(ge=0)]
    neuron: Annotated[int, Field(ge=0)]
    unit_set: Annotated[str, Field(pattern=r"^(sae|tc):[^/]+$")] | None = Field(
        None,
        description="the unit set whose latent `neuron` this graph explains: an SAE "
        "(sae:NAME, e.g. sae:L3-mlp-8x) or a transcoder (tc:NAME, e.g. tc:L3-tc-8x); "
        "`layer` is its hook's block; None: an MLP neuron",
    )
    hook_name: str | None = Field(
        None,
        description="the hook the SAE or transcoder reads (e.g. blocks.3.hook_mlp_out); "
        "None: neuron",
    )
    a_max: float = Field(description="largest activation of the neuron seen in the data")
    activation_histogram: ActivationHistogram | None = Field(
        None,
        description="every token position the unit was recorded on, by activation "
        "(format 7; None in older files, or built from records without a histogram)",
    )
    n_examples: Annotated[int, Field(ge=0)] = Field(
        0, description="examples (train + kept augmentations) the trie was built from"
    )
    nodes: list[TrieNode] = Field(default_factory=list)
    edges: list[tuple[int, int]] = Field(
        default_factory=list, description="(parent id, child id) pairs"
    )
    token_grades: TokenGrades | None = Field(
        None, description="levels below firing, per token (settings.grades; None: none)"
    )
    evaluation: Evaluation | None = None
    output_tokens: OutputTokens | None = Field(
        None,
        description="the tokens the unit's write direction promotes and suppresses most "
        "(format 6; None in older files, or where the unit has no write direction)",
    )
    settings: BuildSettings = Field(default_factory=BuildSettings.legacy)
    evidence: list[EvidenceExample] = Field(
        default_factory=list,
        description="the train and test windows the graph was built and scored on "
        "(format 2; empty in older files)",
    )

    @field_validator("nodes")
    @classmethod
    def _nodes_by_id(cls, nodes: list[TrieNode]) -> list[TrieNode]:
        return sorted(nodes, key=lambda node: node.id)

    @field_validator("evidence")
    @classmethod
    def _evidence_by_rank(cls, evidence: list[EvidenceExample]) -> list[EvidenceExample]:
        ranks = [e.rank for e in evidence]
        if len(set(ranks)) != len(ranks):
            raise ValueError("evidence ranks must be unique")
        return sorted(evidence, key=lambda example: example.rank)

    @field_validator("edges")
    @classmethod
    def _edges_by_child(cls, edges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return sorted(edges, key=lambda edge: edge[1])

    @property
    def key(self) -> str:
        """Stable unique key: `model/layer/neuron`, or `model/sae:NAME/latent` (`tc:NAME`
        for a transcoder's latent)."""
        return neuron_key(self.model, self.layer, self.neuron, self.unit_set)

    @model_validator(mode="after")
    def _is_a_trie(self) -> NeuronGraph:
        if not math.isfinite(self.a_max):
            raise ValueError("a_max must be finite")
        if self.a_max <= 0 and self.nodes:  # it divides every activation the graph holds
            raise ValueError("a_max must be positive (only a silent unit's empty graph has none)")
        ids = [n.id for n in self.nodes]
        if len(set(ids)) != len(ids):
            raise ValueError("node ids must be unique")
        by_id = {n.id: n for n in self.nodes}
        parents: dict[int, int] = {}
        for parent, child in self.edges:
            if parent not in by_id or child not in by_id:
                raise ValueError(f"edge ({parent}, {child}) names a missing node")
            if child in parents:
                raise ValueError(f"node {child} has two parents: not a trie")
            if by_id[parent].kind == NodeKind.END:
                raise ValueError(f"end node {parent} cannot have children")
            if by_id[child].kind == NodeKind.ACTIVATING:
                raise ValueError(f"activating node {child} must be at the first level")
            if by_id[child].depth != by_id[parent].depth + 1:
                raise ValueError(f"edge ({parent}, {child}) skips a depth")
            parents[child] = parent
        for node in self.nodes:
            if node.kind != NodeKind.ACTIVATING and node.id not in parents:
                raise ValueError(f"{node.kind.value} node {node.id} has no parent")
            if node.kind == NodeKind.ACTIVATING and node.depth != 0:
                raise ValueError(f"activating node {node.id} must have depth 0")
        return self

    def node_by_id(self) -> dict[int, TrieNode]:
        return {n.id: n for n in self.nodes}

    def children(self) -> dict[int, list[int]]:
        """Parent id → child ids, in edge order."""
        out: dict[int, list[int]] = {}
        for parent, child in self.edges:
            out.setdefault(parent, []).append(child)
        return out

    def activating_tokens(self) -> dict[str, float]:
        """Activating token → its largest normalised activation."""
        out: dict[str, float] = {}
        for n in self.nodes:
            if n.kind == NodeKind.ACTIVATING:
                assert n.token is not None and n.activation is not None
                out[n.token] = max(out.get(n.token, 0.0), n.activation)
        return out

    def context_tokens(self) -> dict[str, float]:
        """Context token → its largest importance anywhere in the trie."""
        out: dict[str, float] = {}
        for n in self.nodes:
            if n.kind == NodeKind.CONTEXT:
                assert n.token is not None and n.importance is not None
                out[n.token] = max(out.get(n.token, 0.0), n.importance)
        return out

    def to_networkx(self) -> Any:  # a networkx.DiGraph (networkx is imported lazily: slow)
        """The trie as a networkx DiGraph; node attributes are the node fields."""
        import networkx as nx

        graph = nx.DiGraph(model=self.model, layer=self.layer, neuron=self.neuron)
        for n in self.nodes:
            graph.add_node(n.id, **n.model_dump(exclude={"id"}, mode="json"))
        graph.add_edges_from(self.edges)
        return graph
