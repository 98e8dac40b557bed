"""Data reaches the terminal as text, never as markup: tokens and model names that look like
rich markup ("[/]", "[bold red]x[/bold red]", ":smile:") are printed exactly as stored by
every command that prints them, in tables and titles."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_graphs
from n2g.testing.handmade import TRICKY_TOKENS, handmade_graphs, make_graph

runner = CliRunner()

MARKUP_MODEL = "[bold red]m[/bold red]"
MARKUP_TOKENS = ["[/]", "[bold red]x[/bold red]", ":smile:"]
# A model name that would retitle the terminal (OSC 0), set its clipboard (OSC 52), colour
# and clear it (CSI) and reverse the text that follows (a bidirectional override).
ESCAPE_MODEL = "evil\x1b]0;pwned\x07\x1b]52;c;cm0gLXJm\x07\x1b[31m\x1b[2J\u202e"


@pytest.fixture(scope="module")
def db_args(db_config) -> list[str]:
    paths = [(tok, [tok], 0.5 + i / 10) for i, tok in enumerate(MARKUP_TOKENS)]
    graphs = [
        *handmade_graphs(),
        make_graph(MARKUP_MODEL, 0, 1, paths),
        make_graph(MARKUP_MODEL, 1, 2, paths),  # identical: a group of two
        make_graph(MARKUP_MODEL, 2, 3, [("/", ["["], 1.0)]),  # fires on "[/" (byte tokens)
        make_graph(ESCAPE_MODEL, 0, 1, paths),
        make_graph(ESCAPE_MODEL, 1, 2, paths),
    ]
    with Database.connect(db_config) as db:
        clear_database(db)
        ingest_graphs(db, graphs)
    args = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    return args + (["--database", db_config.database] if db_config.database else [])


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.stdout


def test_markup_tokens_are_among_the_tricky_tokens() -> None:
    assert set(MARKUP_TOKENS) <= set(TRICKY_TOKENS)


@pytest.mark.parametrize("token", MARKUP_TOKENS)
def test_search_prints_keys_as_text(db_args, token) -> None:
    for flag in ([token], ["--context", token]):
        out = _ok("search", *flag, *db_args)
        assert "hand/0/7" in out and f"{MARKUP_MODEL}/0/1" in out and f"{MARKUP_MODEL}/1/2" in out


def test_search_repeated_prints_tokens_as_text(db_args) -> None:
    out = _ok("search", "--repeated", "-m", MARKUP_MODEL, *db_args)
    assert f"{MARKUP_MODEL}/0/1" in out
    for token in MARKUP_TOKENS:
        assert repr(token) in out
    out = _ok("search", "--repeated", "-m", "hand", *db_args)  # hand/0/7: every tricky token
    assert "'[/]'" in out and "'[bold red]x[/bold red]'" in out


def test_like_prints_keys_tokens_and_title_as_text(db_args) -> None:
    key = f"{MARKUP_MODEL}/0/1"
    out = _ok("like", key, *db_args)
    assert f"neurons like {key}" in out and f"{MARKUP_MODEL}/1/2" in out
    for token in MARKUP_TOKENS:
        assert repr(token) in out


def test_like_text_prints_keys_as_text(db_args) -> None:
    out = _ok("like", "--text", "[/]", "-m", MARKUP_MODEL, "--tokenizer", "byte", *db_args)
    assert f"{MARKUP_MODEL}/2/3" in out and "'/' 1.00" in out


def test_show_prints_tokens_and_title_as_text(db_args) -> None:
    out = _ok("show", f"{MARKUP_MODEL}/0/1", *db_args)
    assert f"{MARKUP_MODEL}/0/1" in out
    for token in MARKUP_TOKENS:
        assert repr(token) in out
    out = _ok("show", "hand/0/7", *db_args)
    assert "'[/]'" in out and "'[bold red]x[/bold red]'" in out and "':smile:'" in out


def test_groups_print_keys_as_text(db_args) -> None:
    _ok("similar", "-m", MARKUP_MODEL, *db_args)
    out = _ok("groups", "-m", MARKUP_MODEL, *db_args)
    assert f"{MARKUP_MODEL}/0/1" in out and f"{MARKUP_MODEL}/1/2" in out


def test_control_sequences_in_names_reach_the_terminal_as_inert_text(db_args) -> None:
    """Model names (part of every key) from a shared graph file are printed escaped by
    every command that prints them: tables, titles and error lines."""
    _ok("similar", "-m", ESCAPE_MODEL, *db_args)
    outputs = [
        _ok("search", MARKUP_TOKENS[0], *db_args),
        _ok("like", f"{ESCAPE_MODEL}/0/1", *db_args),
        _ok("show", f"{ESCAPE_MODEL}/0/1", *db_args),
        _ok("groups", "-m", ESCAPE_MODEL, *db_args),
    ]
    error = runner.invoke(app, ["search", "x", "-m", "nope", *db_args])
    assert error.exit_code != 0 and "models:" in error.output
    for out in [*outputs, error.output]:
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out, out
    escaped = "evil\\x1b]0;pwned\\x07"
    assert all(escaped in out for out in [*outputs, error.output])


def test_hostile_names_on_a_real_terminal_stay_inert(db_args, db_config) -> None:
    """On a pseudo-terminal (where rich styles its output with its own SGR codes) the
    hostile model name's OSC title and clipboard sequences, its screen clear and its
    right-to-left override never reach the terminal; its text does, escaped."""
    import os
    import pty
    import subprocess
    import sys

    _ok("similar", "-m", ESCAPE_MODEL, *db_args)
    # the password goes by environment, never on the command line
    flags = [arg for arg in db_args if arg not in ("--password", db_config.password)]
    env = {**os.environ, "N2G_PASSWORD": db_config.password, "COLUMNS": "200"}
    for command in (["search", MARKUP_TOKENS[0]], ["groups", "-m", ESCAPE_MODEL]):
        leader, follower = pty.openpty()
        process = subprocess.Popen(
            [sys.executable, "-m", "n2g", *command, *flags],
            stdout=follower,
            stderr=follower,
            env=env,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the command ended
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        assert process.wait(timeout=60) == 0
        shown = b"".join(chunks).decode("utf-8", errors="replace")
        assert "\x1b]" not in shown and "\x1b[2J" not in shown and "\u202e" not in shown
        assert "\x07" not in shown
        assert "evil\\x1b]0;pwned\\x07" in shown.replace("\r\n", "\n")


def _inert(out: str) -> None:
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out, out


def test_json_output_is_inert_and_still_names_the_model_exactly(db_args) -> None:
    """`--json` escapes the hostile characters the JSON way, so a script reading it gets
    the stored name back unchanged while the terminal shows inert text."""
    import json

    searched = _ok("search", MARKUP_TOKENS[0], "--json", *db_args)
    shown = _ok("show", f"{ESCAPE_MODEL}/0/1", "--json", *db_args)
    for out in (searched, shown):
        _inert(out)
    assert ESCAPE_MODEL in {row["model"] for row in json.loads(searched)}
    assert json.loads(shown)["model"] == ESCAPE_MODEL


def test_report_and_ingest_messages_are_inert(tmp_path) -> None:
    """The report's tables name the model; ingest's warnings name the file and its
    bad lines' fields: all come from files somebody else may have written."""
    from n2g.testing.synthetic import write_graph_file

    graphs = tmp_path / "graphs.jsonl"
    paths = [(tok, [tok], 0.5 + i / 10) for i, tok in enumerate(MARKUP_TOKENS)]
    write_graph_file(graphs, [make_graph(ESCAPE_MODEL, 0, 1, paths)])
    with graphs.open("a", encoding="utf-8") as file:
        file.write('{"model": "m", "\\u001b]52;c;eA==\\u0007": 1}\n')
    report = runner.invoke(app, ["report", str(graphs)])
    assert report.exit_code == 0, report.output
    _inert(report.output)
    assert "evil\\x1b]0;pwned\\x07" in report.output and "bad line(s) skipped" in report.output

    empty = tmp_path / "empty\x1b]0;t\x07.jsonl"
    empty.write_text("", encoding="utf-8")
    ingest = runner.invoke(app, ["ingest", str(empty), str(graphs), "--dry-run"])
    _inert(ingest.output)
    assert "empty\\x1b]0;t\\x07.jsonl" in ingest.output and "bad line" in ingest.output


def test_library_warnings_during_report_are_inert(tmp_path) -> None:
    """matplotlib warns of each glyph its font lacks, quoting the glyph: a model name's ESC
    and BEL in the plot's title reach stderr escaped, in the command run as a user runs
    it (a process of its own) and through CliRunner."""
    import subprocess
    import sys

    from n2g.testing.synthetic import write_graph_file

    graphs = tmp_path / "graphs.jsonl"
    paths = [(tok, [tok], 0.5 + i / 10) for i, tok in enumerate(MARKUP_TOKENS)]
    write_graph_file(graphs, [make_graph(ESCAPE_MODEL, 0, 1, paths)])
    process = subprocess.run(
        [sys.executable, "-m", "n2g", "report", str(graphs), "--out", str(tmp_path / "a")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    _inert(process.stderr)
    assert "Glyph 27 (\\x1b) missing from font" in process.stderr, process.stderr
    result = runner.invoke(app, ["report", str(graphs), "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    _inert(result.output)
    assert "Glyph 7 (\\x07) missing from font" in result.stderr, result.stderr
