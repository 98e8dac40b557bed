"""Graph files of formats 1 to 3 still read, through the one upgrade step
(n2g.graph.file.upgrade_graph_data): formats 1 and 2 held one field per baseline (format 3
keys the scores by method), formats 1 to 3 named a latent's unit set `sae` (format 4:
`unit_set`).

tests/data/format-3-latents.jsonl holds two lines written by n2g's format-3 writer (commit
f4c0bed): latents 5 of `L0-mlp-4x` (an SAE) and 3 of `L0-tc-4x` (a transcoder), built by
the record and build stages on the SAE tests' tiny model, corpus and training settings
(tests/sae/conftest.py, tests/sae/test_latent_graphs.py's RECORD and BUILD).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from n2g.graph import token_text
from n2g.graph.file import (
    LEGACY_SETTINGS,
    GraphFileError,
    dump_graph_line,
    iter_graph_file,
    parse_graph_line,
    upgrade_graph_data,
)
from n2g.graph.key import parse_neuron_key
from n2g.graph.model import FORMAT_VERSION, BuildSettings

DATA = Path(__file__).resolve().parents[1] / "data"
MAIN_JOB_SAMPLE = DATA / "format-3-main-job-sample.jsonl.gz"  # format 3: the main job's neurons
FORMAT_3_LATENTS = DATA / "format-3-latents.jsonl"

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
    current = {"model": "m", "settings": dict(LEGACY_SETTINGS)}
    assert upgrade_graph_data(current) is False  # no evaluation: nothing to move
    assert upgrade_graph_data({"model": "m"}) is True  # no settings: the legacy ones filled
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


def test_the_main_jobs_format_3_neurons_read_unchanged(monkeypatch) -> None:
    """A format-3 neuron's line holds no unit set: it reads as it is and dumps as it was
    written (its format_version says what wrote it), but for the build settings added
    since, which dump at the defaults that mean "as before". (With no tokenizer to be had:
    where there is one, old byte tokens are renamed, tests/graph/test_byte_token_upgrade.py.)"""
    monkeypatch.setattr(token_text, "_namer_source", None)
    monkeypatch.setattr(token_text, "_namers", {})
    lines = gzip.decompress(MAIN_JOB_SAMPLE.read_bytes()).decode("utf-8").splitlines()
    assert len(lines) > 200
    for line in lines:
        graph = parse_graph_line(line)
        assert graph.format_version == 3 and graph.unit_set is None
        assert parse_neuron_key(graph.key).layer == graph.layer
        assert _without_new_settings(dump_graph_line(graph), line) == json.loads(line)


def _without_new_settings(dumped_line: str, old_line: str) -> dict:
    """`dumped_line` parsed, less the build settings `old_line` lacks, each checked to be
    at the default that keeps the old behaviour."""
    dumped, old = json.loads(dumped_line), json.loads(old_line)
    for name in set(dumped["settings"]) - set(old["settings"]):
        assert dumped["settings"].pop(name) == LEGACY_SETTINGS[name]
    return dumped


def test_format_3_latents_read_into_their_unit_set() -> None:
    """A latent's `sae` of format 3 is its `unit_set` now: same key, same graph, and it
    dumps as the same line under the new name."""
    lines = FORMAT_3_LATENTS.read_text(encoding="utf-8").splitlines()
    graphs = [graph for _, graph in iter_graph_file(FORMAT_3_LATENTS)]
    assert [(g.unit_set, g.neuron, g.format_version) for g in graphs] == [
        ("sae:L0-mlp-4x", 5, 3),
        ("tc:L0-tc-4x", 3, 3),
    ]
    assert [g.key for g in graphs] == [
        "tiny-gelu-2l-s7/sae:L0-mlp-4x/5",
        "tiny-gelu-2l-s7/tc:L0-tc-4x/3",
    ]
    assert [parse_neuron_key(g.key).unit_set for g in graphs] == ["sae:L0-mlp-4x", "tc:L0-tc-4x"]
    for graph, line in zip(graphs, lines, strict=True):
        assert graph.hook_name is not None and graph.nodes and graph.evidence
        dumped = dump_graph_line(graph)
        assert '"sae":' not in dumped
        renamed = line.replace('"sae":', '"unit_set":', 1)
        assert _without_new_settings(dumped, renamed) == json.loads(renamed)
        assert parse_graph_line(dumped) == graph  # the current shape: read as it is


def test_the_unit_set_rename_is_part_of_the_one_step() -> None:
    data = json.loads(FORMAT_3_LATENTS.read_text(encoding="utf-8").splitlines()[0])
    assert upgrade_graph_data(data) is True
    assert data["unit_set"] == "sae:L0-mlp-4x" and "sae" not in data
    assert upgrade_graph_data(data) is False  # the current shape: nothing to move
    both = dict(data, sae="sae:other")  # never silently dropped: the line is refused
    assert upgrade_graph_data(both) is False
    with pytest.raises(GraphFileError, match="sae"):
        parse_graph_line(json.dumps(both))


# What the shipped old files' lines and a line holding no settings read to while the legacy
# meanings were BuildSettings' defaults (recorded before they moved into the upgrade step).
WRITTEN_BEFORE_GRADES = {  # the settings added after format 3: their "as before" values
    "augment_context": True, "grades": "none", "grade_floor": 0.1, "grade_tokens": None,
    "bare_paths": "keep", "path_precision": 0.0, "bigram_paths": 0.0,
}  # fmt: skip
READ_BEFORE = {
    MAIN_JOB_SAMPLE: {
        "prune_threshold": 0.5, "importance_threshold": 0.75, "augment_threshold": 0.5,
        "helper": "none", "n_substitutes": 5, "rerank_substitutes": False,
        "augment_pivot": True, "train_fraction": 0.5, "seed": 0, "mask_token_id": 0,
        "pivots": "firing", "end_activation": "rescaled", "n_examples": 20,
        "extra_train_examples": 10, "sample_train_examples": 0, "max_context": 32,
        "fold_tokens": False, "augmented_saliency": "measure", "dtype": "bfloat16",
        **WRITTEN_BEFORE_GRADES,
    },
    FORMAT_3_LATENTS: {
        "prune_threshold": 0.5, "importance_threshold": 0.75, "augment_threshold": 0.5,
        "helper": "none", "n_substitutes": 5, "rerank_substitutes": False,
        "augment_pivot": True, "train_fraction": 0.5, "seed": 0, "mask_token_id": 257,
        "pivots": "firing", "end_activation": "rescaled", "n_examples": 8,
        "extra_train_examples": 0, "sample_train_examples": 0, "max_context": 32,
        "fold_tokens": False, "augmented_saliency": "measure", "dtype": "float32",
        **WRITTEN_BEFORE_GRADES,
    },
}  # fmt: skip
NO_SETTINGS_BEFORE = {
    "prune_threshold": 0.5, "importance_threshold": 0.75, "augment_threshold": 0.5,
    "helper": "none", "n_substitutes": 5, "rerank_substitutes": True, "augment_pivot": True,
    "augment_context": True, "train_fraction": 0.5, "seed": 0, "mask_token_id": None,
    "pivots": "argmax", "end_activation": "pruned", "n_examples": 20,
    "extra_train_examples": 0, "sample_train_examples": 0, "max_context": None,
    "fold_tokens": False, "augmented_saliency": "measure", "dtype": "float32",
    "grades": "none", "grade_floor": 0.1, "grade_tokens": None, "bare_paths": "keep",
    "path_precision": 0.0, "bigram_paths": 0.0,
}  # fmt: skip


@pytest.mark.parametrize("path", list(READ_BEFORE), ids=lambda p: p.name)
def test_old_files_read_to_the_settings_they_read_to_before(path: Path, monkeypatch) -> None:
    """The legacy meanings moved from BuildSettings' defaults into the upgrade step: every
    shipped old line reads to the very settings it read to before."""
    monkeypatch.setattr(token_text, "_namer_source", None)
    monkeypatch.setattr(token_text, "_namers", {})
    graphs = [graph for _, graph in iter_graph_file(path)] if path.suffix != ".gz" else [
        parse_graph_line(line)
        for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    ]  # fmt: skip
    assert graphs
    for graph in graphs:
        assert graph.settings.model_dump() == READ_BEFORE[path]


def test_a_line_without_settings_reads_to_the_legacy_ones() -> None:
    """A line holding no settings (format 1 wrote none), and a graph made in code without
    any, get what every setting meant before it existed; a current line needs them all."""
    line = {k: v for k, v in OLD_LINE.items() if k != "settings"}
    assert parse_graph_line(json.dumps(line)).settings.model_dump() == NO_SETTINGS_BEFORE
    assert BuildSettings.legacy().model_dump() == NO_SETTINGS_BEFORE
    assert set(LEGACY_SETTINGS) | {"mask_token_id", "max_context", "grade_tokens"} == set(
        BuildSettings.model_fields
    )
    with pytest.raises(ValueError, match="Field required"):
        BuildSettings.model_validate({"helper": "none"})
