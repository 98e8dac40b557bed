"""`n2g search / similar / groups / like / show` through CliRunner, on a real server."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.graph.file import dump_graph_line
from n2g.testing.handmade import TRICKY_TOKENS, handmade_graphs

runner = CliRunner()


@pytest.fixture(scope="module")
def db_args(db_config) -> list[str]:
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, handmade_graphs())
    args = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    return args + (["--database", db_config.database] if db_config.database else [])


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_search_table_and_json(db_args) -> None:
    result = _run("search", " everyone", "--context", " except", *db_args)
    assert result.exit_code == 0, result.output
    assert "hand/0/0" in result.output and "hand/2/5" not in result.output
    result = _run("search", " everyone", "--json", "-m", "hand", *db_args)
    rows = json.loads(result.stdout)
    assert [r["key"] for r in rows] == ["hand/0/0", "hand/2/5", "hand/1/3"]


@pytest.mark.parametrize("token", TRICKY_TOKENS)
def test_search_tricky_tokens_exactly(db_args, token) -> None:
    result = _run("search", token, "--json", *db_args)
    assert result.exit_code == 0, result.output
    assert [r["key"] for r in json.loads(result.stdout)] == ["hand/0/7"]


def test_repeated(db_args) -> None:
    result = _run("search", "--repeated", "--json", "-m", "hand", *db_args)
    keys = [r["key"] for r in json.loads(result.stdout)]
    assert keys[0] == "hand/0/7" and "hand/1/4" in keys


def test_similar_at_the_firing_level_by_default(db_args) -> None:
    # hand/2/5's path that never predicts firing (0.4) no longer keeps it apart from hand/1/3
    result = _run("similar", "-m", "hand", *db_args)
    assert result.exit_code == 0, result.output
    assert "4 SIMILAR_TO pairs" in result.output and "2 groups" in result.output
    result = _run("search", " nobody", "-m", "hand", *db_args)
    assert result.exit_code == 0 and "hand/2/5" not in result.output, result.output
    result = _run("search", " nobody", "-m", "hand", "--level", "0", "--json", *db_args)
    assert [row["key"] for row in json.loads(result.stdout)] == ["hand/2/5"]
    result = _run("search", " nobody", "--level", "1.5", *db_args)
    assert result.exit_code != 0 and result.output.startswith("error: the token level"), (
        result.output
    )


def test_similar_then_groups_then_like(db_args) -> None:
    result = _run("similar", "-m", "hand", "--level", "0", *db_args)
    assert result.exit_code == 0, result.output
    assert "3 SIMILAR_TO pairs" in result.output and "1 groups" in result.output
    result = _run("groups", "-m", "hand", "--json", *db_args)
    [group] = json.loads(result.stdout)
    assert group["members"] == ["hand/1/10", "hand/2/12", "hand/3/11"]
    # the tokens all three share (computed from the graphs: hand/2/12 lacks ' w9')
    assert group["shared_activating"] == [f" w{i}" for i in range(9)]
    assert group["shared_context"] == [" ctx"]
    table = _run("groups", "-m", "hand", *db_args).output
    assert "' w0', ' w1'" in table and "' ctx'" in table
    result = _run("like", "hand/1/10", "--json", "-n", "2", *db_args)
    rows = json.loads(result.stdout)
    assert [r["key"] for r in rows] == ["hand/3/11", "hand/2/12"]
    assert rows[0]["score"] == 1.0 and len(rows[0]["shared_activating"]) == 10
    assert "hand/3/11" in _run("like", "hand/1/10", *db_args).output


def test_like_text(db_args) -> None:
    result = _run("like", "--text", "bxab", "-m", "hand", "--tokenizer", "byte", "--json", *db_args)
    assert result.exit_code == 0, result.output
    match = json.loads(result.stdout)
    assert [n["key"] for n in match["neurons"]] == ["hand/1/4"]
    assert match["neurons"][0]["activations"] == [0, 0, 0, 1.0]


def test_like_says_why_nothing_scored_and_text_needs_a_model_only_among_several(
    db_args,
) -> None:
    result = _run("like", "hand/0/7", "--min-score", "1", *db_args)  # shares tokens, < 1
    assert result.exit_code == 0, result.output
    assert "no neuron scores 1.0 or more like 'hand/0/7'" in result.output
    assert "--min-score 0 lists every neuron sharing a token" in result.output
    result = _run("like", "--text", "bxab", "--tokenizer", "byte", *db_args)
    assert result.exit_code == 2  # two models stored: which one is not a guess
    assert "--text needs --model: the database holds hand, other" in result.output


def test_like_text_takes_the_one_model_stored(db_config) -> None:
    args = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    args += ["--database", db_config.database] if db_config.database else []
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, [g for g in handmade_graphs() if g.model == "hand"])
        try:
            result = _run("like", "--text", "bxab", "--tokenizer", "byte", "--json", *args)
            assert result.exit_code == 0, result.output
            assert [n["key"] for n in json.loads(result.stdout)["neurons"]] == ["hand/1/4"]
        finally:  # leave the module's database as the other tests expect it
            clear_database(db)
            ingest_graphs(db, handmade_graphs())


def test_show_from_database_and_file(db_args, tmp_path) -> None:
    graph = handmade_graphs()[0]
    result = _run("show", graph.key, *db_args)
    assert result.exit_code == 0, result.output
    assert "' everyone'" in result.output and "' except'" in result.output
    title = result.output.strip().splitlines()[:2]  # key line, then the label on its own
    assert title[0].strip().startswith(graph.key) and "\\n" not in result.output
    assert title[1].strip().startswith("fires on"), title
    from_db = json.loads(_run("show", graph.key, "--json", *db_args).stdout)
    path = tmp_path / "g.jsonl"
    path.write_text(dump_graph_line(graph) + "\n", encoding="utf-8")
    from_file = json.loads(_run("show", graph.key, "--graphs", str(path), "--json").stdout)
    assert from_file == json.loads(dump_graph_line(graph))
    assert from_db["nodes"] == from_file["nodes"]


def test_show_svg(db_args, tmp_path) -> None:
    pytest.importorskip("n2g.graph.render")
    out = tmp_path / "n.svg"
    result = _run("show", "hand/0/0", "--svg", str(out), *db_args)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").lstrip().startswith(("<svg", "<?xml"))


def test_show_svg_follows_no_planted_symlink(db_args, tmp_path) -> None:
    """In a shared folder another user plants symlinks under the names a writer might use
    (`.n.svg.tmp`, and `n.svg` itself): the SVG replaces the link, the targets stay."""
    pytest.importorskip("n2g.graph.render")
    victim, other = tmp_path / "victim.txt", tmp_path / "other.txt"
    victim.write_text("keep me", encoding="utf-8")
    other.write_text("keep me too", encoding="utf-8")
    out = tmp_path / "n.svg"
    (tmp_path / ".n.svg.tmp").symlink_to(victim)
    out.symlink_to(other)
    result = _run("show", "hand/0/0", "--svg", str(out), *db_args)
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert other.read_text(encoding="utf-8") == "keep me too"
    assert not out.is_symlink() and out.read_text(encoding="utf-8").lstrip().startswith("<")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == [
        ".n.svg.tmp"  # the planted link only: no temp file of ours is left behind
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "hand/9/999"], "no neuron 'hand/9/999'"),
        (["like", "hand/9/999"], "no neuron 'hand/9/999'"),
        (["search", ""], "empty"),
        (["search", "--context", ""], "empty"),
        (["similar", "-m", "hand", "--threshold", "1.5"], "between 0 and 1"),
        (["similar", "-m", "hand", "--threshold", "-0.1"], "between 0 and 1"),
        (["search", " a", "-m", "no-model"], "no neuron graphs for model 'no-model'"),
        (["groups", "-m", "no-model"], "no neuron graphs for model"),
        (["like", "--text", "", "-m", "hand", "--tokenizer", "byte"], "empty"),
        (["like"], "neuron key"),
        (["search", " everyone", "-m", "hand", "--layer", "99"], "layer 99"),
        (["search", "--context", " except", "-m", "hand", "-l", "4"], "layer 4"),
        (["search", "--repeated", "-m", "hand", "--layer", "99"], "layer 99"),
        (["search", " everyone", "--layer", "99"], "layer 99"),
    ],
)
def test_bad_input_one_line(db_args, args, message) -> None:
    result = runner.invoke(app, args + db_args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_a_stored_layer_without_a_match_is_no_error(db_args) -> None:
    result = _run("search", " nobody", "-m", "hand", "--layer", "0", *db_args)
    assert result.exit_code == 0 and "no neuron matches" in result.output
    result = _run("search", " nobody", "-m", "hand", "--layer", "2", "--json", *db_args)
    assert [r["key"] for r in json.loads(result.stdout)] == []  # " nobody" predicts 0.4 there
    result = _run("search", " nobody", "-m", "hand", "-l", "2", "--level", "0", "--json", *db_args)
    assert [r["key"] for r in json.loads(result.stdout)] == ["hand/2/5"]


def test_bad_graph_file_and_unreachable_database(tmp_path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    result = _run("show", "m/0/0", "--graphs", str(bad))
    assert result.exit_code != 0 and f"{bad}:1" in result.stderr
    result = _run("search", " a", "--uri", "bolt://127.0.0.1:1", "--password", "x")
    assert result.exit_code != 0 and "no database answers" in result.stderr


def test_every_command_has_help_with_an_example() -> None:
    for command in ("search", "similar", "groups", "like", "show"):
        result = _run(command, "--help")
        assert result.exit_code == 0 and "n2g " + command in result.output


HUGE = "99999999999999999999"  # past Bolt's 64-bit integers


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["search", " everyone", "--limit", HUGE], "--limit"),
        (["search", " everyone", "--layer", HUGE], "--layer"),
        (["search", "--repeated", "-l", HUGE], "--layer"),
        (["search", "--label", "fires", "--layer", HUGE], "--layer"),
        (["like", "hand/0/0", "--limit", HUGE], "--limit"),
        (["like", "--text", "ab", "-m", "hand", "--tokenizer", "byte", "-n", HUGE], "--limit"),
        (["groups", "--limit", HUGE], "--limit"),
        (["groups", "--min-size", HUGE], "--min-size"),
        (["top", "--limit", HUGE], "--limit"),
        (["top", "--layer", HUGE], "--layer"),
        (["export", "/no-such-folder/out.jsonl", "--layer", HUGE], "--layer"),
    ],
)
def test_numbers_past_what_a_query_takes_are_one_usage_line(db_args, args, option) -> None:
    """Every integer option that reaches Cypher is bounded: a huge one is refused when the
    command line is read (exit 2, one line naming the option), never a driver traceback."""
    result = _run(*args, *db_args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and option in line and "2147483647" in line
