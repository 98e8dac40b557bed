"""Old graph files' byte tokens get their own text on reading, and so does the store.

An older main job's sample (tests/data/format-3-main-job-sample.jsonl.gz, kept when the
sample was remade from today's build) holds real lines of format 3 written when a SmolLM2
byte token was named by its plain decoding, U+FFFD: 14 of its 222 lines have such tokens in
their tries (ids 242, 5549, 13993, ...). Read through the command line, whose reading
renames them from their ids with the real offline tokenizer, each becomes its lossless text
(`<0x98>`, ` <0xC3>`), in `n2g show`, and in the store that `n2g ingest` loads (so search
finds them by that text). A model whose tokenizer cannot be had keeps its old texts, said
once in one line.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.db.ingest import clear_database
from n2g.graph import token_text
from n2g.graph.model import LOSSLESS_TOKENS_FORMAT

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "format-3-main-job-sample.jsonl.gz"
REPLACEMENT = "\ufffd"


@pytest.fixture(scope="module")
def old_lines() -> list[str]:
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle if REPLACEMENT in line]
    assert len(lines) == 14
    return lines


def _trie_tokens(data: dict) -> list[tuple[int, str]]:
    return [(n["token_id"], n["token"]) for n in data["nodes"] if n.get("token") is not None]


@pytest.mark.slow
def test_show_renames_old_byte_tokens_from_their_ids(tmp_path, old_lines):
    from n2g.models import load_tokenizer

    path = tmp_path / "old.jsonl"
    path.write_text("\n".join(old_lines) + "\n", encoding="utf-8")
    tokenizer = load_tokenizer("smollm2-135m")
    renamed = 0
    for line in old_lines:
        old = json.loads(line)
        assert old["format_version"] < LOSSLESS_TOKENS_FORMAT
        key = f"{old['model']}/{old['layer']}/{old['neuron']}"
        result = runner.invoke(app, ["show", key, "--graphs", str(path), "--json"])
        assert result.exit_code == 0, result.output
        shown = json.loads(result.stdout)
        for (token_id, text), (_, before) in zip(
            _trie_tokens(shown), _trie_tokens(old), strict=True
        ):
            assert text == tokenizer.token_strings([token_id])[0]
            assert REPLACEMENT not in text or token_id == _replacement_id(tokenizer)
            renamed += text != before
    assert renamed >= 14


def _replacement_id(tokenizer) -> int:
    """The vocabulary's own token for the whole character U+FFFD (it keeps that text)."""
    ids = tokenizer.encode(REPLACEMENT)
    return ids[0] if len(ids) == 1 else -1


@pytest.mark.slow
def test_ingest_stores_the_renamed_texts_and_search_finds_them(db, db_config, tmp_path, old_lines):
    path = tmp_path / "old.jsonl"
    path.write_text("\n".join(old_lines) + "\n", encoding="utf-8")
    flags = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    flags += ["--database", db_config.database] if db_config.database else []
    loaded = runner.invoke(app, ["ingest", str(path), "--quiet", *flags])
    assert loaded.exit_code == 0, loaded.output
    texts = {row["text"] for row in db.read("MATCH (t:Token) RETURN t.text AS text")}
    assert "<0x98>" in texts and " <0xC3>" in texts
    assert REPLACEMENT not in "".join(texts)
    found = runner.invoke(app, ["search", "<0x98>", "--json", *flags])
    assert found.exit_code == 0, found.output
    assert "smollm2-135m/2/1229" in found.stdout
    clear_database(db)


def test_a_model_without_a_tokenizer_keeps_its_texts_with_one_warning(tmp_path, old_lines):
    data = json.loads(old_lines[0])
    data["model"] = "no-such-model"
    path = tmp_path / "unknown.jsonl"
    path.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    key = f"no-such-model/{data['layer']}/{data['neuron']}"
    token_text._namers.clear()  # a fresh process's state
    result = runner.invoke(app, ["show", key, "--graphs", str(path), "--json"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "no-such-model" in warnings[0], result.stderr
    shown = json.loads(result.stdout)
    assert _trie_tokens(shown) == _trie_tokens(data)  # unchanged, still readable
