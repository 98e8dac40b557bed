"""The graphs the serve tests load: the hand-made ones, given scores and evidence here,
plus one unit whose tokens are hostile to every context they are shown in (HTML, URLs,
attributes, terminal markup, bidirectional text, NUL)."""

from __future__ import annotations

import pytest

from n2g.db.connection import Database
from n2g.graph.evaluation import (
    BaselineOutOfDistribution,
    Correlation,
    Evaluation,
    OutOfDistribution,
    Scores,
)
from n2g.graph.model import EvidenceExample, NeuronGraph
from n2g.search import NeuronSearch
from n2g.search.circuits import write_feeds
from n2g.search.group_ablation import SetAblation, Spread
from n2g.testing.handmade import handmade_graphs, make_graph, with_output

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
MARKUP = "[/]"
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: reverses the text after it when shown raw
NUL = "\x00"
HOSTILE_TOKENS = [SCRIPT, IMG, MARKUP, RLO, NUL]
HOSTILE_KEY = "hand/2/99"
EVERYONE_KEY = "hand/0/0"  # fires on " everyone" after " except" (handmade_graphs)
NO_EVIDENCE_KEY = "hand/1/3"  # neither evidence nor scores: built before they were kept
SAE = "sae:L1-mlp-2x"
SAE_KEY = f"hand/{SAE}/5"
TRANSCODER = "tc:L1-tc-2x"
TRANSCODER_KEY = f"hand/{TRANSCODER}/7"
SLASHED_KEY = "org/tiny/0/1"  # the model's name holds a slash
DOTTED_KEY = "../up/0/2"  # a '..' part: browsers would resolve it in a URL path
REPEATED_EVIDENCE_KEY = "hand/2/5"  # 4 windows, 3 of them the same snippet
GROUP_MEMBERS = ["hand/1/10", "hand/2/12", "hand/3/11"]  # similar at 0.9 (handmade_graphs)


def evaluation(f1: float, lookup_f1: float, ngram_f1: float) -> Evaluation:
    """A complete evaluation: test scores, correlation and an out-of-distribution check."""
    return Evaluation(
        n_train_examples=10,
        n_test_examples=10,
        n_test_tokens=640,
        n_test_firing=12,
        n2g=Scores(precision=f1, recall=f1, f1=f1),
        baselines={
            "token_lookup": Scores(precision=lookup_f1, recall=lookup_f1, f1=lookup_f1),
            "ngram": Scores(precision=ngram_f1, recall=ngram_f1, f1=ngram_f1),
        },
        out_of_distribution=OutOfDistribution(
            corpus="python-docs",
            n_tokens=4096,
            n_true_firing=3,
            false_positive_rate=0.01,
            scores=Scores(precision=0.5, recall=0.5, f1=0.5),
            baselines={
                "token_lookup": BaselineOutOfDistribution(
                    false_positive_rate=0.03, scores=Scores(precision=0.2, recall=0.6, f1=0.3)
                ),
                "ngram": BaselineOutOfDistribution(
                    false_positive_rate=0.02, scores=Scores(precision=0.4, recall=0.5, f1=0.44)
                ),
            },
        ),
        correlation=Correlation(
            n_top_windows=5,
            n_random_windows=5,
            n2g=0.8,
            baselines={"token_lookup": 0.6, "ngram": 0.7},
        ),
    )


def example(
    split: str, rank: int, tokens: list[str], activations: list[float], predicted: list[float]
) -> EvidenceExample:
    return EvidenceExample.model_validate(
        {
            "split": split,
            "rank": rank,
            "start": 3,
            "tokens": tokens,
            "activations": activations,
            "predicted": predicted,
        }
    )


def everyone_evidence() -> list[EvidenceExample]:
    return [
        example(
            "train",
            0,
            ["Thanks", " to", " all", " except", " everyone", "."],
            [0.0, 0.0, 0.1, 0.2, 1.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.9, 0.0],
        ),
        example(
            "test",
            1,
            [" nobody", " except", " everyone", " here"],
            [0.0, 0.05, 0.75, 0.0],
            [0.0, 0.0, 0.9, 0.1],
        ),
    ]


def repeated_evidence() -> list[EvidenceExample]:
    """Four windows, three reading alike (a corpus repeating itself): two snippets."""
    same = [" nobody", " except", " you"]
    return [
        example("train", 0, same, [0.0, 0.1, 0.9], [0.0, 0.0, 0.4]),
        example("train", 1, [" everyone", " loves"], [0.8, 0.0], [0.8, 0.0]),
        example("train", 2, same, [0.0, 0.1, 0.85], [0.0, 0.0, 0.4]),
        example("test", 3, same, [0.0, 0.1, 0.8], [0.0, 0.0, 0.4]),
    ]


def hostile_graph() -> NeuronGraph:
    """A unit whose activating and context tokens, and evidence, are all hostile."""
    paths = [
        (token, [HOSTILE_TOKENS[(i + 1) % 5]], 0.5 + i / 10)
        for i, token in enumerate(HOSTILE_TOKENS)
    ]
    graph = make_graph("hand", 2, 99, paths)
    graph.evaluation = evaluation(0.6, 0.5, 0.55)
    graph.evidence = [
        example(
            "train",
            0,
            ["a", SCRIPT, IMG, MARKUP, RLO, NUL, "z"],
            [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.0],
            [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.0],
        ),
    ]
    return with_output(graph, HOSTILE_TOKENS[:3], HOSTILE_TOKENS[3:])


def sae_graph() -> NeuronGraph:
    """An SAE latent of model 'hand' (its key holds the SAE's name, not a layer)."""
    graph = make_graph("hand", 1, 5, [(" latent", [" ctx2"], 0.7)])
    graph.unit_set = SAE
    graph.hook_name = "blocks.1.hook_mlp_out"
    return with_output(graph, [" latent", " import"], [" nope"])


def transcoder_graph() -> NeuronGraph:
    """A transcoder latent of model 'hand' (its key holds `tc:`; it reads the MLP input)."""
    graph = make_graph("hand", 1, 7, [(" transcoded", [" ctx5"], 0.65)])
    graph.unit_set = TRANSCODER
    graph.hook_name = "blocks.1.ln2.hook_normalized"
    return with_output(graph, [" transcoded"], [" import"])


def serve_graphs() -> list[NeuronGraph]:
    """handmade_graphs() with scores on some and evidence on one, the hostile unit, an SAE
    latent, a transcoder latent, and units of models whose names hold slashes (one a path
    a URL cannot carry).

    hand/1/3 keeps no evidence and no evaluation (a graph built before either existed)."""
    graphs = handmade_graphs()
    by_key = {graph.key: graph for graph in graphs}
    by_key[EVERYONE_KEY].evaluation = evaluation(0.8, 0.6, 0.7)
    by_key[EVERYONE_KEY].evidence = everyone_evidence()
    by_key["hand/2/5"].evaluation = evaluation(0.4, 0.5, 0.45)
    by_key[REPEATED_EVIDENCE_KEY].evidence = repeated_evidence()
    slashed = make_graph("org/tiny", 0, 1, [(" slash", [" ctx3"], 0.6)])
    dotted = make_graph("../up", 0, 2, [(" dots", [" ctx4"], 0.6)])
    return [*graphs, hostile_graph(), sae_graph(), transcoder_graph(), slashed, dotted]


GRAPHS_BY_KEY = {graph.key: graph for graph in serve_graphs()}

# Hand-written FEEDS edges among the serve units (the circuit API and views draw them).
FEEDS_EDGES = [
    {"source": EVERYONE_KEY, "target": NO_EVIDENCE_KEY, "virtual_weight": -0.8, "rank": 0},
    {"source": NO_EVIDENCE_KEY, "target": HOSTILE_KEY, "virtual_weight": 0.5, "rank": 0},
    {"source": EVERYONE_KEY, "target": HOSTILE_KEY, "virtual_weight": 0.25, "rank": 1},
]


@pytest.fixture(scope="module")
def feeds_stored(serve_db: Database) -> None:
    """FEEDS_EDGES written into the module's database (`pytestmark = usefixtures`)."""
    assert write_feeds(serve_db, "hand", FEEDS_EDGES) == len(FEEDS_EDGES)


def first_group_ablation(db: Database) -> tuple[str, SetAblation]:
    """The first level-0 group of these graphs (once `similar` has run) and an ablation
    result for it, not yet written (n2g.search.group_ablation.write_group_ablation)."""
    group = NeuronSearch(db).groups(model="hand", level=0)[0]
    result = SetAblation(
        model="hand",
        units=sorted(group.members),
        layers=group.layers,
        mode="zero",
        group=group.key,
        held_out=True,
        firing_windows=12,
        control_windows=16,
        clean_loss_firing=3.2,
        clean_loss_control=3.9,
        firing=Spread(mean=0.125, low=0.1, high=0.15, n=12),
        control=Spread(mean=0.004, low=-0.001, high=0.009, n=16),
        random_sets=8,
        random_firing=Spread(mean=0.01, low=0.0, high=0.03, n=8),
        above_random=1.0,
    )
    return group.key, result
