"""`n2g build` through the CLI (CliRunner), on a seeded tiny model rebuilt from its name."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.errors import N2GError
from n2g.graph.file import iter_graph_file
from n2g.selection import parse_layers, parse_neurons

runner = CliRunner()


def _build(*args: str):
    return runner.invoke(app, ["build", "--no-progress", *args])


def test_build_writes_valid_graphs_and_resumes(records_dir, tmp_path):
    out = tmp_path / "graphs.jsonl"
    result = _build("--records", str(records_dir), "--out", str(out), "--neurons", "0:4")
    assert result.exit_code == 0, result.output
    assert "wrote 4 graphs" in result.output and "layer 0: mean F1" in result.output
    graphs = [g for _, g in iter_graph_file(out)]
    assert [g.neuron for g in graphs] == [0, 1, 2, 3]
    assert all(g.model == "tiny-solu_ln-1l-s7" and g.evaluation for g in graphs)
    again = _build("--records", str(records_dir), "--out", str(out), "--neurons", "0:6")
    assert (
        again.exit_code == 0 and "wrote 2 graphs" in again.output and "(4 already" in again.output
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--neurons", "60:70"], "neuron 64 is out of range"),
        (["--layers", "3"], "not 3"),
        (["--model", "tiny-gelu-1l-s7"], "from model"),
        (["--shard", "5/2"], "--shard"),
        (["--helper", "mlm:/no/such/model"], "cannot load helper model"),
        (["--helper", "bogus"], "helper"),
        (["--pivots", "best"], "pivots"),
        (["--device", "cuda:9"], "cuda"),
        (["--dtype", "float8"], "dtype must be one of auto, float32, bfloat16"),
        (["--augmented-saliency", "guess"], "bad setting augmented_saliency"),
        (["--max-context", "lots"], "--max-context must be a number of tokens or none"),
        (["--max-context", "0"], "bad setting max_context"),
        (["--sample-train", "4"], "--sample-train needs records with a weighted sample"),
        (["--path-precision", "1.5"], "bad setting path_precision"),
        (["--bigram-paths", "-0.1"], "bad setting bigram_paths"),
    ],
)
def test_bad_input_is_one_line(records_dir, tmp_path, args, message):
    result = _build("--records", str(records_dir), "--out", str(tmp_path / "g.jsonl"), *args)
    if "--device" in args:
        import torch

        if torch.cuda.is_available():
            pytest.skip("a CUDA device exists here")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_missing_records_folder(tmp_path):
    result = _build("--records", str(tmp_path / "nothing"), "--out", str(tmp_path / "g.jsonl"))
    assert result.exit_code != 0 and "not a records folder" in result.output


def test_parsers():
    assert parse_layers("0-2,5") == [0, 1, 2, 5]
    assert parse_neurons("3:6") == [3, 4, 5] and parse_neurons("9,1") == [1, 9]
    with pytest.raises(N2GError):
        parse_layers("a-b")
    with pytest.raises(N2GError):
        parse_neurons("5:5")


def test_out_of_distribution_check_from_another_corpus(records_dir, tmp_path):
    corpus = tmp_path / "other.txt"
    corpus.write_text("Sphinx of black quartz, judge my vow! 0123456789 " * 20, encoding="utf-8")
    out = tmp_path / "graphs.jsonl"
    result = _build(
        "--records", str(records_dir), "--out", str(out), "--neurons", "0:2",
        "--ood-corpus", str(corpus), "--ood-windows", "4",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for _, graph in iter_graph_file(out):
        ood = graph.evaluation.out_of_distribution
        assert ood is not None and ood.n_tokens == 4 * 16 and ood.corpus.endswith(str(corpus))


def test_method_paper_builds_with_the_papers_settings(records_dir, tmp_path):
    from n2g.graph.model import BuildSettings
    from n2g.record.config import RecordConfig
    from n2g.run.method import PAPER_BUILD, PAPER_RECORD, Method, settle

    out = tmp_path / "paper.jsonl"
    args = ["--records", str(records_dir), "--neurons", "0:3", "--method", "paper"]
    result = _build(*args, "--out", str(out))
    assert result.exit_code == 0, result.output
    stored = [key for key in PAPER_BUILD if key in BuildSettings.model_fields]
    assert {"pivots", "end_activation", "n_examples", "prune_threshold"} <= set(stored)
    for _, graph in iter_graph_file(out):
        assert {key: getattr(graph.settings, key) for key in stored} == {
            key: PAPER_BUILD[key] for key in stored
        }
    explicit = tmp_path / "explicit.jsonl"
    result = _build(*args, "--pivots", "firing", "--out", str(explicit))
    assert result.exit_code == 0, result.output
    assert {g.settings.pivots for _, g in iter_graph_file(explicit)} == {"firing"}
    paper = settle(RecordConfig(), Method.PAPER)
    assert (paper.window, paper.k) == (PAPER_RECORD["window"], PAPER_RECORD["k"]) == (1024, 20)


@pytest.mark.parametrize(
    ("flags", "fold", "rerank"),
    [
        ([], False, False),
        (["--fold-tokens", "--rerank"], True, True),
        (["--exact-tokens", "--no-rerank"], False, False),
    ],
)
def test_token_folding_and_reranking_are_options(records_dir, tmp_path, flags, fold, rerank):
    out = tmp_path / "graphs.jsonl"
    result = _build("--records", str(records_dir), "--neurons", "0:2", *flags, "--out", str(out))
    assert result.exit_code == 0, result.output
    graphs = [g for _, g in iter_graph_file(out)]
    assert graphs and {(g.settings.fold_tokens, g.settings.rerank_substitutes) for g in graphs} == {
        (fold, rerank)
    }
    if fold:  # a folded trie names its tokens by their folded text
        from n2g.graph.token_fold import fold_token

        names = [n.token for g in graphs for n in g.nodes if n.token is not None]
        assert names and all(fold_token(name) == name for name in names)


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--fold-tokens", "--exact-tokens"], "--exact-tokens"),
        (["--no-rerank", "--rerank"], "--rerank"),
    ],
)
def test_a_flag_and_its_opposite_together_are_one_line(records_dir, tmp_path, flags, named):
    out = tmp_path / "graphs.jsonl"
    result = _build("--records", str(records_dir), *flags, "--out", str(out))
    assert result.exit_code != 0 and not out.exists(), result.output
    assert result.output.startswith("error: give ") and named in result.output


def test_the_opposite_flags_are_named_in_the_help_not_a_column_of_their_own() -> None:
    text = runner.invoke(app, ["build", "--help"], terminal_width=80).output
    words = " ".join(text.replace("│", " ").split())
    assert "--exact-tokens: match token ids" in words and "--no-rerank: the top" in words
    assert not any(
        "--fold-tokens" in line and "--exact-tokens" in line for line in text.splitlines()
    )


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_dtype_is_an_option_stored_with_each_graph(records_dir, tmp_path, dtype):
    out = tmp_path / "graphs.jsonl"
    result = _build("--records", str(records_dir), "--neurons", "0:3", "--dtype", dtype,
                    "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    graphs = [g for _, g in iter_graph_file(out)]
    assert len(graphs) == 3 and {g.settings.dtype for g in graphs} == {dtype}


def test_augmented_saliency_is_an_option_stored_with_each_graph(records_dir, tmp_path):
    out = tmp_path / "graphs.jsonl"
    result = _build("--records", str(records_dir), "--neurons", "0:2", "--helper", "causal",
                    "--augmented-saliency", "inherit", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    graphs = [g for _, g in iter_graph_file(out)]
    assert len(graphs) == 2 and {g.settings.augmented_saliency for g in graphs} == {"inherit"}


@pytest.mark.parametrize(("value", "stored"), [("3", 3), ("none", None)])
def test_max_context_is_an_option_stored_with_each_graph(records_dir, tmp_path, value, stored):
    out = tmp_path / "graphs.jsonl"
    result = _build("--records", str(records_dir), "--neurons", "0:2", "--max-context", value,
                    "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    graphs = [g for _, g in iter_graph_file(out)]
    assert {g.settings.max_context for g in graphs} == {stored}
    if stored is not None:  # every path fits the cap: the pivot and at most 2 before it
        assert max(n.depth for g in graphs for n in g.nodes) <= stored + 1


def test_a_flag_wins_over_the_method_and_the_method_over_the_defaults(
    records_dir, tmp_path, monkeypatch
):
    """Precedence, settled in one place: an explicit flag, then --method's setting, then
    the defaults. The paper's method is given settings that differ from the defaults
    here, so each source shows in the graphs' stored settings."""
    from n2g.run import method

    monkeypatch.setitem(method.PAPER_BUILD, "importance_threshold", 0.6)
    monkeypatch.setitem(method.PAPER_BUILD, "n_substitutes", 2)

    def settings(name: str, *args: str):
        out = tmp_path / f"{name}.jsonl"
        result = _build("--records", str(records_dir), "--out", str(out), "--neurons", "0:1", *args)
        assert result.exit_code == 0, result.output
        [(_, graph)] = list(iter_graph_file(out))
        return graph.settings

    defaults = settings("defaults")
    assert (defaults.importance_threshold, defaults.n_substitutes) == (0.75, 5)
    paper = settings("paper", "--method", "paper")
    assert (paper.importance_threshold, paper.n_substitutes) == (0.6, 2)
    flagged = settings("flagged", "--method", "paper", "--importance-threshold", "0.9")
    assert (flagged.importance_threshold, flagged.n_substitutes) == (0.9, 2)


def test_a_slurm_array_task_builds_its_own_shard(records_dir, tmp_path):
    out = tmp_path / "graphs.jsonl"
    slurm = {"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "2"}
    args = ["build", "--no-progress", "--records", str(records_dir), "--out", str(out)]
    result = runner.invoke(app, [*args, "--neurons", "0:6"], env=slurm)
    assert result.exit_code == 0, result.output
    assert "shard 1/2, from the Slurm array task" in result.output
    built = [g.neuron for _, g in iter_graph_file(tmp_path / "graphs.shard-1-of-2.jsonl")]
    by_flag = runner.invoke(app, [*args, "--neurons", "0:6", "--shard", "1/2"])
    assert by_flag.exit_code == 0 and "(3 already" in by_flag.output  # the same shard's work
    assert len(built) == 3 and not out.exists()
    # an explicit --shard wins over the array's
    flagged = runner.invoke(app, [*args, "--neurons", "0:2", "--shard", "0/1"], env=slurm)
    assert flagged.exit_code == 0 and "Slurm" not in flagged.output and out.exists()


def test_a_slurm_array_that_is_no_shard_is_one_line(records_dir, tmp_path):
    slurm = {"SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_COUNT": "4"}  # --array=0-9:3
    args = ["build", "--records", str(records_dir), "--out", str(tmp_path / "g.jsonl")]
    result = runner.invoke(app, args, env=slurm)
    assert result.exit_code == 2 and result.output.startswith("error: Slurm array task 9")
