"""`n2g.build_graph`: one unit's graph from records, the same as `n2g build` makes it."""

from __future__ import annotations

import pytest

import n2g
from n2g.builder.stage import build_stage
from n2g.graph.file import iter_graph_file
from n2g.models import load_model


def test_build_graph_matches_the_build_stage(records_dir, tmp_path) -> None:
    graph = n2g.build_graph(records_dir, 0, 2)
    assert (graph.model, graph.layer, graph.neuron) == ("tiny-solu_ln-1l-s7", 0, 2)
    out = tmp_path / "graphs.jsonl"
    build_stage(load_model("tiny-solu_ln-1l-s7"), records_dir, out, neurons=[2], progress=False)
    [(_, built)] = list(iter_graph_file(out))
    assert graph == built
    with pytest.raises(n2g.N2GError, match="neuron 99 is out of range"):
        n2g.build_graph(records_dir, 0, 99)
