"""The stage API (n2g.stages): the model loaded as deep as the layers need, placed once;
the record and build stages reading the units it returns; the report on graph files; and
no heavy import until a stage runs (the CLI's start-up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from n2g import stages
from n2g.builder.config import BuildConfig
from n2g.cluster.executor import Executor
from n2g.errors import N2GError
from n2g.graph.file import iter_graph_file
from n2g.record.config import RecordConfig
from n2g.record.corpus import CorpusConfig, open_corpus
from n2g.testing.handmade import handmade_graphs

TINY = "tiny-gelu-2l-s0"  # built in code by n2g.models: no download


def test_open_model_loads_as_deep_as_the_layers_need_and_places_it_so() -> None:
    """(A tiny model is built whole whatever the depth asked: the placement says it.)"""
    neurons = stages.open_model(TINY, [0], device="cpu", dtype="float32")
    assert neurons.layers == [0] and neurons.noun == "neurons"
    assert neurons.placement.executor is Executor.local
    assert (neurons.placement.spec, neurons.placement.n_layers) == (TINY, 1)
    deeper = stages.open_model(TINY, [0], device="cpu", dtype="float32", deeper=[1])
    assert (deeper.layers, deeper.placement.n_layers) == ([0], 2)  # the workers load as deep
    every = stages.open_model(TINY, None, device="cpu", dtype="float32")
    assert (every.layers, every.placement.n_layers) == ([0, 1], None)


def test_record_and_build_run_on_the_units(tmp_path: Path) -> None:
    text = tmp_path / "corpus.txt"
    text.write_text("the cat sat on the mat. " * 200, encoding="utf-8")
    corpus = open_corpus(CorpusConfig(spec=str(text)))
    neurons = stages.open_model(TINY, [1], device="cpu", dtype="float32")
    records = tmp_path / "records"
    config = RecordConfig(window=16, k=8, max_tokens=1024)
    manifest = stages.record(neurons, corpus, records, config, progress=False)
    assert manifest.layers == [1] and manifest.model == neurons.model.name
    out = tmp_path / "graphs.jsonl"
    build = BuildConfig(n_examples=4, extra_train_examples=0, helper="none")
    summary = stages.build(
        neurons, records, out, build, device="cpu", progress=False, neurons=[0, 3]
    )
    assert summary.n_written == 2
    graphs = [graph for _, graph in iter_graph_file(out)]
    assert [(g.layer, g.neuron) for g in graphs] == [(1, 0), (1, 3)]
    assert all(g.settings.n_examples == 4 for g in graphs)  # as built, not a legacy value


def test_report_on_graphs_and_on_none(tmp_path: Path) -> None:
    graphs = handmade_graphs()
    made = stages.report(graphs, "n2g report g.jsonl", tmp_path / "report")
    assert made.markdown.startswith("#") and "n2g report g.jsonl" in made.markdown
    assert (tmp_path / "report" / "report.md").read_text(encoding="utf-8") == made.markdown + "\n"
    assert made.numbers is not None
    with pytest.raises(N2GError, match="no valid neuron graph"):
        stages.report([], "n2g report empty.jsonl", None)


def test_importing_the_stages_imports_nothing_heavy() -> None:
    probe = (
        "import sys\nimport n2g.stages\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'transformer_lens', 'transformers', 'neo4j', 'sae_lens')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]", result.stdout
