"""Graph files of formats 1 and 2 (one field per baseline) still read, through the one
upgrade step (n2g.graph.file.upgrade_graph_data), into format 3's per-method scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from n2g.graph.file import (
    GraphFileError,
    dump_graph_line,
    iter_graph_file,
    parse_graph_line,
    upgrade_graph_data,
)
from n2g.graph.model import FORMAT_VERSION

# A unit's line as format 2 wrote it: the baselines as fields of the evaluation, of its
# out-of-distribution check and of its correlation (an undefined r left out, as
# `exclude_none` wrote it), evidence beside the trie.
OLD_LINE: dict = {
    "format_version": 2,
    "model": "smollm2-135m", "layer": 3, "neuron": 286, "a_max": 1.75, "n_examples": 12,
    "nodes": [
        {"id": 0, "kind": "activating", "depth": 0, "token": " except", "token_id": 4035,
         "activation": 0.93},
        {"id": 1, "kind": "end", "depth": 1, "activation": 0.93},
    ],
    "edges": [[0, 1]],
    "evaluation": {
        "firing_threshold": 0.5, "n_train_examples": 10, "n_test_examples": 10,
        "n_test_tokens": 640, "n_test_firing": 7,
        "n2g": {"precision": 0.75, "recall": 0.857142857142857, "f1": 0.8},
        "token_lookup": {"precision": 0.5, "recall": 1.0, "f1": 0.6666666666666666},
        "ngram": {"recall": 0.0, "f1": 0.0},
        "out_of_distribution": {
            "corpus": "python-docs", "n_tokens": 4096, "n_true_firing": 3,
            "false_positive_rate": 0.000244140625, "scores": {"f1": 0.5},
            "token_lookup": {"false_positive_rate": 0.0031, "scores": {"f1": 0.1}},
            "ngram": {"false_positive_rate": 0.0, "scores": {}},
        },
        "correlation": {"n_top_windows": 10, "n_random_windows": 32, "n2g": 0.61,
                        "token_lookup": 0.42},
    },
    "settings": {"prune_threshold": 0.5, "seed": 0},
    "evidence": [{"split": "test", "rank": 0, "start": 0, "tokens": [" all", " except"],
                  "activations": [0.0, 0.93], "predicted": [0.0, 0.93]}],
}  # fmt: skip


def test_a_format_2_line_reads_into_per_method_scores() -> None:
    graph = parse_graph_line(json.dumps(OLD_LINE))
    assert graph.format_version == 2  # what wrote it
    evaluation = graph.evaluation
    assert evaluation is not None and evaluation.out_of_distribution is not None
    assert evaluation.baselines["token_lookup"].f1 == pytest.approx(2 / 3)
    assert evaluation.baselines["ngram"].precision is None and evaluation.baselines["ngram"].f1 == 0
    assert "bigram" not in evaluation.baselines  # not run when the file was written
    ood = evaluation.out_of_distribution
    assert ood.baselines["token_lookup"].false_positive_rate == 0.0031
    assert ood.baselines["ngram"].scores.f1 is None
    assert evaluation.correlation is not None
    assert evaluation.correlation.baselines == {"token_lookup": 0.42}
    assert evaluation.correlation.of("ngram") is None
    # Written back in the current shape, it reads again as the same graph (no upgrade).
    line = dump_graph_line(graph)
    assert '"baselines"' in line and '"token_lookup":{' in line
    assert '"evaluation":{"firing_threshold":0.5' in line
    assert parse_graph_line(line) == graph


def test_the_upgrade_is_one_explicit_step_and_leaves_current_data_alone() -> None:
    data = json.loads(json.dumps(OLD_LINE))
    assert upgrade_graph_data(data) is True
    assert set(data["evaluation"]) >= {"baselines"} and "ngram" not in data["evaluation"]
    assert data["evaluation"]["correlation"]["baselines"] == {"token_lookup": 0.42}
    assert upgrade_graph_data(data) is False  # the current shape: nothing to move
    assert upgrade_graph_data({"model": "m"}) is False  # no evaluation: nothing to move
    # A null baseline of a hand-written old line stands for an absent one.
    nulls = json.loads(json.dumps(OLD_LINE))
    nulls["evaluation"]["correlation"]["ngram"] = None
    nulls["evaluation"]["out_of_distribution"]["ngram"] = None
    graph = parse_graph_line(json.dumps(nulls))
    assert graph.evaluation is not None and graph.evaluation.out_of_distribution is not None
    assert "ngram" not in graph.evaluation.out_of_distribution.baselines


def test_format_1_and_2_files_read_beside_format_3_lines(tmp_path: Path) -> None:
    version_1 = {k: v for k, v in OLD_LINE.items() if k != "evidence"} | {"format_version": 1}
    current = parse_graph_line(json.dumps(OLD_LINE)).model_copy(update={"neuron": 7})
    current.format_version = FORMAT_VERSION
    path = tmp_path / "graphs.jsonl"
    lines = [json.dumps(version_1), json.dumps(OLD_LINE | {"neuron": 5}), dump_graph_line(current)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    graphs = [graph for _, graph in iter_graph_file(path)]
    assert [g.format_version for g in graphs] == [1, 2, FORMAT_VERSION]
    assert graphs[0].evidence == [] and graphs[1].evidence
    assert graphs[0].evaluation == graphs[1].evaluation == graphs[2].evaluation


def test_an_old_line_that_is_still_invalid_names_its_fault() -> None:
    broken = json.loads(json.dumps(OLD_LINE))
    broken["evaluation"]["token_lookup"]["f1"] = 2.0
    with pytest.raises(GraphFileError, match="evaluation.baselines.token_lookup.f1"):
        parse_graph_line(json.dumps(broken))
    unknown = json.loads(json.dumps(OLD_LINE))
    unknown["evaluation"]["oracle"] = {}
    with pytest.raises(GraphFileError, match="oracle"):
        parse_graph_line(json.dumps(unknown))
