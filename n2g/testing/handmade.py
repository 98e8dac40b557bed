"""Hand-made neuron graphs with known answers, for the search tests.

A graph is described by its paths: (activating token, context tokens walking backwards,
end activation); None in the context stands for an IGNORE node. Single-byte tokens get
their byte as token id (so a ByteTokenizer text lines up with them); longer tokens get
stable ids from 1000 up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from n2g.graph.model import NeuronGraph, NodeKind, OutputTokens, TokenLogits, TrieNode

_MULTI_BYTE_IDS: dict[str, int] = {}

Path = tuple[str, Sequence[str | None], float]


def token_id(token: str) -> int:
    """A stable id: the byte for one-byte tokens, else a registry id from 1000."""
    raw = token.encode("utf-8")
    if len(raw) == 1:
        return raw[0]
    return _MULTI_BYTE_IDS.setdefault(token, 1000 + len(_MULTI_BYTE_IDS))


def make_graph(
    model: str, layer: int, neuron: int, paths: Sequence[Path], a_max: float = 2.0
) -> NeuronGraph:
    """A trie holding `paths`, sharing common prefixes like the builder's trie."""
    nodes: list[TrieNode] = []
    edges: list[tuple[int, int]] = []
    child_index: dict[tuple[int, str, str | None], int] = {}

    def node_for(
        parent: int | None, kind: NodeKind, depth: int, token: str | None, **kw: Any
    ) -> int:
        lookup = (-1 if parent is None else parent, kind.value, token)
        if kind != NodeKind.END and lookup in child_index:
            return child_index[lookup]
        new_id = len(nodes)
        tid = token_id(token) if token is not None else None
        nodes.append(TrieNode(id=new_id, kind=kind, depth=depth, token=token, token_id=tid, **kw))
        if parent is not None:
            edges.append((parent, new_id))
        child_index[lookup] = new_id
        return new_id

    for activating, context, activation in paths:
        current = node_for(None, NodeKind.ACTIVATING, 0, activating, activation=activation)
        root = nodes[current]
        root.activation = max(root.activation or 0.0, activation)
        for depth, token in enumerate(context, start=1):
            if token is None:
                current = node_for(current, NodeKind.IGNORE, depth, None)
            else:
                current = node_for(current, NodeKind.CONTEXT, depth, token, importance=0.8)
        node_for(current, NodeKind.END, len(context) + 1, None, activation=activation)
    return NeuronGraph(
        model=model, layer=layer, neuron=neuron, a_max=a_max, nodes=nodes, edges=edges
    )


def with_output(
    graph: NeuronGraph, promoted: Sequence[str], suppressed: Sequence[str], top: float = 3.0
) -> NeuronGraph:
    """`graph` with output tokens: `promoted` from logit `top` down by 0.5 a rank,
    `suppressed` from -`top` up (a unit's output side, n2g.models.logit_lens)."""

    def side(tokens: Sequence[str], sign: float) -> TokenLogits:
        logits = [sign * (top - rank / 2) for rank in range(len(tokens))]
        return TokenLogits(
            token_ids=[token_id(t) for t in tokens], tokens=list(tokens), logits=logits
        )

    graph.output_tokens = OutputTokens(
        promoted=side(promoted, 1.0), suppressed=side(suppressed, -1.0)
    )
    return graph


# Quotes, Cypher, Unicode, parameter and escape syntax, and terminal markup (rich's "[/]"
# closes a style that was never opened: printed as markup it crashes the table).
TRICKY_TOKENS = [
    "'quote\"s",
    "MATCH (n) DETACH DELETE n",
    "ü日本",
    "$token",
    "}",
    "\\",
    " RETURN",
    "[/]",
    "[bold red]x[/bold red]",
    ":smile:",
]


def handmade_graphs() -> list[NeuronGraph]:
    """Graphs with known answers (model 'hand', plus one copy under model 'other')."""
    everyone: list[Path] = [
        (" everyone", [" except"], 0.9),
        (" all", [" except", None, " for"], 0.5),
    ]
    shared: list[Path] = [(f" w{i}", [" ctx"], 0.6) for i in range(10)]
    # Output tokens (known answers for "units that promote ' import'"): hand/0/0 promotes
    # it most, hand/1/3 second, hand/0/7 suppresses it; the tricky tokens are output too.
    return [
        with_output(make_graph("hand", 0, 0, everyone), [" import", " from"], [" the", " a"]),
        with_output(
            make_graph("hand", 1, 3, [(" everyone", [" loves"], 0.7)]),
            [" def", " import"],
            [" from"],
            top=4.0,
        ),
        # " everyone" and " except" on different paths: not "everyone after except".
        make_graph("hand", 2, 5, [(" everyone", [" loves"], 0.8), (" nobody", [" except"], 0.4)]),
        make_graph("hand", 1, 4, [("b", ["a", None, "b"], 1.0)]),  # in-context learning
        with_output(
            make_graph(
                "hand", 0, 7, [(tok, [tok], 0.5 + i / 20) for i, tok in enumerate(TRICKY_TOKENS)]
            ),
            TRICKY_TOKENS[:5],
            [" import", *TRICKY_TOKENS[5:]],
        ),
        make_graph("hand", 1, 10, shared),
        make_graph("hand", 3, 11, shared),  # identical to hand/1/10
        make_graph("hand", 2, 12, shared[:9]),  # 9/10 of them: similar at 0.9
        make_graph("hand", 0, 13, shared[:3]),  # a subset of all three
        make_graph("hand", 3, 14, []),  # an empty graph
        make_graph("other", 0, 0, everyone),
    ]


def folded_graphs() -> list[NeuronGraph]:
    """Graphs built with token folding (model 'fold'): token names are folded texts and
    one-byte token ids are ByteTokenizer class ids (the smallest byte of the class)."""
    from n2g.graph.token_fold import vocabulary_classes
    from n2g.models.tokenizers import ByteTokenizer

    classes = vocabulary_classes(ByteTokenizer())
    graphs = [
        make_graph("fold", 0, 0, [("b", ["a"], 0.9), ("x", [None, "c"], 0.6)]),
        make_graph("fold", 1, 1, [("everyone", ["except"], 0.8)]),
    ]
    for graph in graphs:
        graph.settings.fold_tokens = True
        for node in graph.nodes:
            if node.token_id is not None and node.token_id < len(classes.canon):
                node.token_id = int(classes.canon[node.token_id])
    return graphs


def random_graphs(model: str, n: int, seed: int) -> list[NeuronGraph]:
    """Random single-byte-token graphs with planted near copies (so similarity occurs)."""
    import random

    rng = random.Random(seed)
    vocab = list("abcdefghijklmnop ,.")
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    paths_of: list[list[Path]] = []
    graphs = []
    for i in range(n):
        if paths_of and rng.random() < 0.3:
            paths = list(rng.choice(paths_of))
            if len(paths) > 1 and rng.random() < 0.5:
                paths.pop(rng.randrange(len(paths)))
        else:
            paths = []
            for _ in range(rng.randint(1, 4)):
                context = [
                    None if rng.random() < 0.2 else rng.choices(vocab, weights)[0]
                    for _ in range(rng.randint(0, 3))
                ]
                paths.append((rng.choices(vocab, weights)[0], context, round(rng.random(), 3)))
        paths_of.append(paths)
        graphs.append(make_graph(model, i % 3, i, paths))
    return graphs
