"""The builder end to end on tiny models: equal to the plain reference, resumable, sharded."""

from __future__ import annotations

import json

import numpy as np
import pytest

from n2g.build import BuildConfig, OODData, Shard, build_graphs, build_neuron_graphs
from n2g.build.helpers import MaskedLMHelper, NoHelper
from n2g.build.plain import graph_signature, plain_neuron_graphs
from n2g.errors import N2GError
from n2g.graph_file import NodeKind, iter_graph_file

QUICK = BuildConfig(n_examples=8, n_substitutes=2, neurons_per_batch=3, batch_rows=64)


def test_batched_equals_plain_reference(gelu_model, gelu_records, tiny_mlm_path):
    _, records = gelu_records
    helper = MaskedLMHelper(str(tiny_mlm_path), gelu_model.tokenizer)
    neurons = [0, 3, 5, 9]
    fast = build_neuron_graphs(gelu_model, records[1], neurons, QUICK, helper)
    plain = plain_neuron_graphs(gelu_model, records[1], neurons, QUICK, helper)
    assert [graph_signature(g) for g in fast] == [graph_signature(g) for g in plain]
    assert any(g.n_examples > QUICK.n_examples // 2 for g in fast), "augmentation kept some"
    for graph in fast:
        assert graph.evaluation is not None and graph.evaluation.n_train_examples == 4
        assert sum(n.kind == NodeKind.ACTIVATING for n in graph.nodes) >= 1
        assert graph.settings.helper == QUICK.helper


def test_out_of_distribution_is_evaluated(gelu_model, gelu_records):
    _, records = gelu_records
    windows = [gelu_model.encode("completely different text, 12345 !?"), gelu_model.encode("zzz")]
    ood = OODData.compute(gelu_model, 1, "other", windows)
    (graph,) = build_neuron_graphs(gelu_model, records[1], [4], QUICK, NoHelper(), ood)
    result = graph.evaluation.out_of_distribution
    assert result.corpus == "other" and result.n_tokens == sum(len(w) for w in windows)
    assert 0.0 <= result.false_positive_rate <= 1.0


def test_build_graphs_resumes_after_a_torn_line(gelu_model, gelu_records, tmp_path):
    folder, _ = gelu_records
    out = tmp_path / "graphs.jsonl"
    first = build_graphs(gelu_model, folder, QUICK, out, False, layers=[0, 1], neurons=range(4))
    assert first.n_written == 8 and first.n_skipped == 0
    lines = out.read_text().splitlines(keepends=True)
    kept = "".join(lines[:5])
    out.write_text(kept + lines[5][: len(lines[5]) // 2])  # died mid-write
    second = build_graphs(gelu_model, folder, QUICK, out, False, layers=[0, 1], neurons=range(4))
    assert second.n_skipped == 5 and second.n_written == 3
    text = out.read_text()
    assert text.startswith(kept)  # nothing already written was lost or rewritten
    graphs = [g for _, g in iter_graph_file(out)]
    assert sorted((g.layer, g.neuron) for g in graphs) == [
        (ly, n) for ly in (0, 1) for n in range(4)
    ]
    assert {row["layer"] for row in second.quality} == {0, 1}


def test_interrupted_build_keeps_finished_batches(gelu_model, gelu_records, tmp_path):
    folder, _ = gelu_records
    out = tmp_path / "graphs.jsonl"

    class InterruptSecondBatch:
        name = "interrupting"
        calls = 0

        def substitutes(self, requests, n):
            self.calls += 1
            if self.calls == 2:
                raise KeyboardInterrupt
            return [[] for _ in requests]

    config = QUICK.model_copy(update={"neurons_per_batch": 2})
    with pytest.raises(KeyboardInterrupt):
        build_graphs(gelu_model, folder, config, out, False, layers=[1], neurons=range(5),
                     helper=InterruptSecondBatch())  # fmt: skip
    assert len(out.read_text().splitlines()) == 2
    summary = build_graphs(gelu_model, folder, config, out, False, layers=[1], neurons=range(5))
    assert summary.n_skipped == 2 and summary.n_written == 3


def test_shards_split_the_work(gelu_model, gelu_records, tmp_path):
    folder, _ = gelu_records
    out = tmp_path / "g.jsonl"
    seen = []
    for index in range(3):
        summary = build_graphs(gelu_model, folder, QUICK, out, False, layers=[0, 1],
                               neurons=range(3), shard=Shard(index=index, count=3))  # fmt: skip
        assert summary.out_path.endswith(f"g.shard-{index}-of-3.jsonl")
        seen += [(g.layer, g.neuron) for _, g in iter_graph_file(summary.out_path)]
    assert sorted(seen) == [(ly, n) for ly in (0, 1) for n in range(3)]
    assert Shard.parse("2/4") == Shard(index=2, count=4)
    for bad in ("4/4", "x", "1/0"):
        with pytest.raises(N2GError):
            Shard.parse(bad)


def test_bad_input_is_one_clear_error(gelu_model, solu_model, gelu_records, tmp_path):
    folder, _ = gelu_records
    out = tmp_path / "g.jsonl"
    with pytest.raises(N2GError, match="from model"):
        build_graphs(solu_model, folder, QUICK, out, False)
    with pytest.raises(N2GError, match="neuron 99 is out of range"):
        build_graphs(gelu_model, folder, QUICK, out, False, neurons=[99])
    with pytest.raises(N2GError, match="not 5"):
        build_graphs(gelu_model, folder, QUICK, out, False, layers=[5])
    build_graphs(gelu_model, folder, QUICK, out, False, layers=[0], neurons=range(3))
    lines = out.read_text().splitlines(keepends=True)
    broken = json.loads(lines[1])
    broken["nodes"] = "oops"
    corrupt = lines[0] + json.dumps(broken) + "\n" + lines[2]
    out.write_text(corrupt)
    with pytest.raises(N2GError, match=r"g\.jsonl:2"):
        build_graphs(gelu_model, folder, QUICK, out, False, layers=[0], neurons=range(4))
    assert out.read_text() == corrupt  # nothing touched
    errors = []
    assert len(list(iter_graph_file(out, errors=errors))) == 2 and len(errors) == 1


def test_empty_and_silent_neurons_still_get_a_graph(gelu_model, gelu_records):
    _, records = gelu_records
    silent = type(records[1])(**{**records[1].__dict__})
    silent.acts = np.where(np.arange(16)[:, None, None] == 2, -1.0, records[1].acts)
    silent.a_max = np.where(np.arange(16) == 2, -1.0, records[1].a_max).astype(np.float32)
    (graph,) = build_neuron_graphs(gelu_model, silent, [2], QUICK)
    assert graph.nodes == [] and graph.evaluation.n_test_firing == 0
