"""The build stage keeps each unit's output tokens with its graph, in the graph file."""

from __future__ import annotations

from n2g.builder.batch import build_neuron_graphs
from n2g.builder.config import BuildConfig
from n2g.graph.file import dump_graph_line, parse_graph_line
from n2g.graph.model import FORMAT_VERSION
from n2g.models.logit_lens import output_tokens
from n2g.testing.handmade import handmade_graphs

CONFIG = BuildConfig(n_examples=8, neurons_per_batch=8, batch_rows=64, random_windows=0)


def test_each_graph_carries_its_units_output_tokens(gelu_model, gelu_records) -> None:
    _, records = gelu_records
    config = CONFIG.model_copy(update={"output_tokens": 4})
    graphs = build_neuron_graphs(gelu_model, records[1], [2, 7], config)
    expected = output_tokens(gelu_model, 1, [2, 7], k=4)
    assert [g.output_tokens for g in graphs] == expected
    line = dump_graph_line(graphs[0])
    assert '"output_tokens"' in line and f'"format_version":{FORMAT_VERSION}' in line
    assert parse_graph_line(line) == graphs[0]


def test_output_tokens_can_be_left_out(gelu_model, gelu_records) -> None:
    _, records = gelu_records
    config = CONFIG.model_copy(update={"output_tokens": 0})
    (graph,) = build_neuron_graphs(gelu_model, records[1], [3], config)
    assert graph.output_tokens is None
    assert '"output_tokens"' not in dump_graph_line(graph)


def test_lines_of_format_5_load_without_output_tokens() -> None:
    graph = next(g for g in handmade_graphs() if g.output_tokens is None)
    line = dump_graph_line(graph).replace(
        f'"format_version":{FORMAT_VERSION}', '"format_version":5'
    )
    old = parse_graph_line(line)
    assert old.format_version == 5 and old.output_tokens is None
    assert dump_graph_line(old) == line  # read and written back unchanged
