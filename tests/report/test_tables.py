"""The report's numbers, recomputed independently from hand-made graphs."""

import random

import pytest

from n2g.graph.evaluation import BaselineOutOfDistribution, Evaluation, OutOfDistribution, Scores
from n2g.graph.model import NeuronGraph, NodeKind, TrieNode
from n2g.report.tables import build_report, to_markdown, write_plot


def graph(layer: int, neuron: int, firing: int, n2g, lookup, ngram, ood=None) -> NeuronGraph:
    nodes = [
        TrieNode(id=0, kind=NodeKind.ACTIVATING, depth=0, token="a", token_id=1, activation=0.9),
        TrieNode(id=1, kind=NodeKind.CONTEXT, depth=1, token="b", token_id=2, importance=0.8),
        TrieNode(id=2, kind=NodeKind.END, depth=2, activation=0.9),
    ]
    return NeuronGraph(
        model="m",
        layer=layer,
        neuron=neuron,
        a_max=2.0,
        nodes=nodes,
        edges=[(0, 1), (1, 2)],
        evaluation=Evaluation(
            n_train_examples=10,
            n_test_examples=10,
            n_test_tokens=100,
            n_test_firing=firing,
            n2g=Scores(**n2g),
            baselines={"token_lookup": Scores(**lookup), "ngram": Scores(**ngram)},
            out_of_distribution=ood,
        ),
    )


def prf(p, r):
    f1 = None if p is None or r is None or p + r == 0 else 2 * p * r / (p + r)
    return {"precision": p, "recall": r, "f1": f1}


def test_layer_means_follow_the_papers_protocol():
    rng = random.Random(3)
    graphs, expected = [], {}
    for layer in (0, 1):
        f1s = {"n2g": [], "token_lookup": [], "ngram": []}
        for neuron in range(6):
            firing = 0 if neuron == 5 else rng.randint(1, 9)  # neuron 5: nothing fires in test
            scores = {m: prf(round(rng.random(), 3), round(rng.random(), 3)) for m in f1s}
            if neuron == 4:
                scores["ngram"] = prf(None, 0.0)  # predicted nothing: precision undefined
            graphs.append(graph(layer, neuron, firing, *scores.values()))
            if firing:
                for m in f1s:
                    f1s[m].append(scores[m]["f1"] or 0.0)
        expected[layer] = {m: sum(v) / len(v) for m, v in f1s.items()}
    report = build_report(graphs)
    for row in report.layers:
        assert row.n_neurons == 6 and row.n_scored == 5 and row.n_no_firing == 1
        for method, value in expected[row.layer].items():
            assert row.methods[method].f1 == pytest.approx(value)
    md = to_markdown(report)
    assert "| 0 |" in md and "2 of 12 (16.7%)" in md


def test_out_of_distribution_and_sizes(tmp_path):
    ood_a = OutOfDistribution(
        corpus="c",
        n_tokens=50,
        n_true_firing=2,
        false_positive_rate=0.1,
        scores=Scores(**prf(0.5, 1.0)),
        baselines={
            "token_lookup": BaselineOutOfDistribution(
                false_positive_rate=0.6, scores=Scores(f1=0.0)
            ),
            "ngram": BaselineOutOfDistribution(false_positive_rate=0.0, scores=Scores()),
        },
    )
    ood_b = OutOfDistribution(
        corpus="c",
        n_tokens=50,
        n_true_firing=0,
        false_positive_rate=0.3,
        scores=Scores(),
        baselines={
            "token_lookup": BaselineOutOfDistribution(false_positive_rate=0.4, scores=Scores())
        },
    )
    graphs = [
        graph(0, 0, 1, prf(1, 1), prf(1, 1), prf(1, 1), ood_a),
        graph(0, 1, 1, prf(1, 1), prf(1, 1), prf(1, 1), ood_b),
    ]
    report = build_report(graphs, similar_pairs=3, subset_pairs=1, groups=2, largest_group=2)
    row = report.layers[0]
    assert row.ood["n2g"].false_positive_rate == pytest.approx(0.2)
    assert row.ood["n2g"].f1 == pytest.approx(2 * 0.5 / 1.5)  # only the neuron that fires
    assert row.ood["token_lookup"].false_positive_rate == pytest.approx(0.5)
    assert row.ood["token_lookup"].f1 == pytest.approx(0.0)
    assert "ngram" not in row.ood  # a neuron without 5-gram OOD scores: no partial mean
    assert report.sizes.nodes_mean == 3 and report.sizes.depth_max == 2
    assert "similar pairs (both overlaps ≥ threshold): 3" in to_markdown(report)
    write_plot(report, tmp_path / "q.png")
    assert (tmp_path / "q.png").read_bytes()[:4] == b"\x89PNG"


def test_correlation_and_intervals():
    from n2g.graph.evaluation import Correlation
    from n2g.graph.quality import bootstrap_interval

    graphs = []
    for neuron, r in enumerate([0.9, 0.85, 0.3, None]):
        g = graph(0, neuron, 2, prf(1, 1), prf(0.5, 0.5), prf(0, 0))
        assert g.evaluation is not None
        g.evaluation.correlation = Correlation(
            n_top_windows=10,
            n_random_windows=10,
            n2g=r,
            baselines={"token_lookup": 0.5, "ngram": None},
        )
        graphs.append(g)
    row = build_report(graphs).layers[0]
    n2g = row.correlation["n2g"]
    assert n2g.n_neurons == 4 and n2g.mean.mean == pytest.approx((0.9 + 0.85 + 0.3 + 0) / 4)
    assert n2g.share_well_correlated == pytest.approx(0.5)
    assert row.correlation["ngram"].mean.mean == 0.0  # undefined counts as 0
    assert n2g.mean.low <= n2g.mean.mean <= n2g.mean.high
    assert "r ≥ 0.8" in to_markdown(build_report(graphs))
    same = bootstrap_interval([0.2, 0.4, 0.9])
    assert same == bootstrap_interval([0.2, 0.4, 0.9])  # seeded
    assert same.low < same.mean < same.high
    assert bootstrap_interval([0.5] * 5).low == pytest.approx(0.5)


def test_a_tie_is_shown_as_a_tie():
    graphs = [graph(0, 0, 2, prf(1, 0.5), prf(1, 0.5), prf(0.5, 0.5))]
    row = next(
        line for line in to_markdown(build_report(graphs)).splitlines() if line.startswith("| 0 |")
    )
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3].startswith("**") and cells[6].startswith("**")  # N2G and lookup both
    assert not cells[9].startswith("**")


def test_a_layer_where_n2g_does_not_win_is_said_plainly():
    graphs = [
        graph(0, 0, 2, prf(1, 0.5), prf(1, 0.5), prf(0.5, 0.5)),
        graph(1, 0, 2, prf(0.5, 0.5), prf(1, 1), prf(0.5, 0.5)),
        graph(2, 0, 2, prf(1, 1), prf(0.5, 0.5), prf(0.5, 0.5)),
    ]
    md = to_markdown(build_report(graphs))
    assert "Layer 0: N2G ties with token lookup on F1 (0.67 vs 0.67)." in md
    assert "Layer 1: N2G loses to token lookup on F1 (0.50 vs 1.00)." in md
    assert "Layer 2: N2G" not in md


def _delphi(sizes, n2g, lookup):
    """delphi's scores: per method (detection TPR hits per decile, TNR, fuzzing BA)."""
    from n2g.graph.evaluation import Classification, Delphi, DelphiMethod

    def method(hits, tnr, fuzzing):
        tpr = sum(hits) / sum(sizes) if sum(sizes) else None
        ba = None if tpr is None else (tpr + tnr) / 2
        detection = Classification(balanced_accuracy=ba, true_positive_rate=tpr,
                                   true_negative_rate=tnr, decile_hits=hits)  # fmt: skip
        fuzz = Classification(balanced_accuracy=fuzzing if ba is not None else None,
                              decile_hits=[0] * len(sizes))  # fmt: skip
        return DelphiMethod(detection=detection, fuzzing=fuzz)

    return Delphi(context_tokens=32, decile_sizes=sizes, n_non_activating=4, n_highlighted=1,
                  n2g=method(*n2g), baselines={"token_lookup": method(*lookup)})  # fmt: skip


def test_delphi_means_per_layer_and_decile():
    sizes_a, sizes_b, none = [2, 0, 0], [1, 1, 0], [0, 0, 0]
    scored = [  # (layer, neuron, delphi): A and B scored, C has no activating context
        (0, 0, _delphi(sizes_a, ([1, 0, 0], 0.5, 0.6), ([2, 0, 0], 0.25, 0.2))),
        (0, 1, _delphi(sizes_b, ([1, 0, 0], 1.0, 0.8), ([1, 1, 0], 0.75, 0.4))),
        (0, 2, _delphi(none, ([0, 0, 0], 1.0, 0.0), ([0, 0, 0], 1.0, 0.0))),
        (0, 3, None),  # built without random windows: not counted
    ]
    graphs = []
    for layer, neuron, delphi in scored:
        g = graph(layer, neuron, 2, prf(1, 1), prf(1, 1), prf(1, 1))
        assert g.evaluation is not None
        g.evaluation.delphi = delphi
        graphs.append(g)
    report = build_report(graphs, command="n2g report g.jsonl")
    n2g, lookup = (report.layers[0].delphi[m] for m in ("n2g", "token_lookup"))
    # N2G detection: A TPR 1/2, TNR 0.5 -> 0.5; B TPR 1/2, TNR 1 -> 0.75; mean 0.625
    assert n2g.n_units == 2 and n2g.detection.mean == pytest.approx(0.625)
    assert n2g.fuzzing.mean == pytest.approx(0.7)  # (0.6 + 0.8) / 2
    # decile 1: A 1/2, B 1/1 -> 0.75; decile 2: only B has one, missed -> 0; decile 3: none
    assert n2g.deciles == [pytest.approx(0.75), 0.0, None]
    assert n2g.non_activating == pytest.approx(0.75)
    assert n2g.detection_quartiles == pytest.approx((0.5625, 0.625, 0.6875))  # of 0.5, 0.75
    # token lookup: A TPR 1, TNR 0.25 -> 0.625; B TPR 1, TNR 0.75 -> 0.875
    assert lookup.detection.mean == pytest.approx(0.75) and lookup.deciles[:2] == [1.0, 1.0]
    assert "ngram" not in report.layers[0].delphi  # no graph has its delphi scores
    md = to_markdown(report)
    assert "Tables made by `n2g report g.jsonl`." in md
    assert f"| 0 | 0.62 [{n2g.detection.low:.2f}, {n2g.detection.high:.2f}] | 0.70 [" in md
    assert "| 0 | N2G | 0.75 | 0.00 | – | 0.75 |" in md
    assert "| 0 | 0.62 (0.56–0.69) | 0.70 (0.65–0.75) | 0.75 (0.69–0.81) |" in md
    assert "| 0 | Token lookup | 1.00 | 1.00 | – | 0.50 |" in md
