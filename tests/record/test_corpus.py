"""Corpora: files, folders, JSON Lines, the stdlib, errors; windows and random windows."""

from __future__ import annotations

import json
import shutil

import pytest

from n2g.errors import N2GError
from n2g.models.tokenizers import ByteTokenizer
from n2g.record.corpus import (
    CorpusConfig,
    indexed_windows,
    open_corpus,
    random_windows,
    windows,
)

TOK = ByteTokenizer()


@pytest.fixture
def text_folder(tmp_path):
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "b.txt").write_text("second document " * 10)
    (folder / "a.txt").write_text("first document " * 10)
    (folder / "sub" / "c.md").write_text("third, nested " * 10)
    (folder / "binary.bin").write_bytes(b"\0\1\2" * 50)
    (folder / "short.txt").write_text("tiny")
    return folder


def test_folder_documents_sorted_and_binary_skipped(text_folder):
    corpus = open_corpus(str(text_folder))
    docs = list(corpus.documents())
    assert [text[:5] for _, text in docs] == ["first", "secon", "tiny", "third"]
    assert [doc_id for doc_id, _ in docs] == [0, 1, 3, 4]  # 2 = binary.bin, skipped
    assert corpus.name == f"dir:{text_folder.resolve()}"
    assert docs == list(open_corpus(CorpusConfig(spec=str(text_folder))).documents())


def test_windows_exact_length_and_tails_dropped(text_folder):
    corpus = open_corpus(str(text_folder))
    got = list(windows(corpus, TOK, 16))
    assert all(len(ids) == 16 for _, ids in got)
    first_doc = TOK.encode("first document " * 10)  # 150 bytes -> 9 windows, tail of 6 dropped
    assert [ids for doc, ids in got if doc == 0] == [
        first_doc[i : i + 16] for i in range(0, 144, 16)
    ]
    assert 3 not in {doc for doc, _ in got}  # "tiny" is shorter than a window
    assert len(list(windows(corpus, TOK, 16, max_windows=5))) == 5


def test_indexed_windows_resume_from_position(text_folder):
    corpus = open_corpus(str(text_folder))
    everything = list(indexed_windows(corpus, TOK, 16))
    cut = 11
    doc, index, _ = everything[cut - 1]
    assert list(indexed_windows(corpus, TOK, 16, start=(doc, index + 1))) == everything[cut:]


def test_jsonl_and_its_errors(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps({"text": t}) for t in ["alpha " * 5, "beta " * 5]) + "\n")
    corpus = open_corpus(str(path))
    assert [t.split()[0] for _, t in corpus.documents()] == ["alpha", "beta"]
    path.write_text('{"text": "ok"}\n{"txt": "no"}\n')
    with pytest.raises(N2GError, match=r"c.jsonl:2: expected an object"):
        list(open_corpus(str(path)).documents())
    path.write_text("")
    with pytest.raises(N2GError, match="empty"):
        list(open_corpus(str(path)).documents())


def test_missing_empty_and_hf_errors(tmp_path):
    with pytest.raises(N2GError, match="not found"):
        open_corpus(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(N2GError, match="empty"):
        open_corpus(str(tmp_path / "empty"))
    (tmp_path / "zero.txt").write_text("")
    with pytest.raises(N2GError, match="empty"):
        open_corpus(str(tmp_path / "zero.txt"))
    if shutil.which("python") and not _has_datasets():
        with pytest.raises(N2GError, match="datasets"):
            open_corpus("hf:wikitext")


def _has_datasets() -> bool:
    try:
        import datasets  # noqa: F401
    except ImportError:
        return False
    return True


def test_stdlib_corpus_is_python_source():
    corpus = open_corpus("stdlib")
    assert corpus.name.startswith("stdlib:python3")
    names = {path.name for path in corpus.files}
    assert {"textwrap.py", "bisect.py"} <= names
    assert all(path.suffix == ".py" for path in corpus.files)
    doc_id, text = next(iter(corpus.documents()))
    assert doc_id == 0 and text


def test_random_windows_seeded_and_valid(text_folder):
    corpus = open_corpus(str(text_folder))
    a = random_windows(corpus, TOK, 16, n=20, seed=7)
    assert a == random_windows(corpus, TOK, 16, n=20, seed=7)
    assert a != random_windows(corpus, TOK, 16, n=20, seed=8)
    for doc_id, ids in a:
        assert len(ids) == 16
        full = TOK.encode(corpus.document(doc_id))
        assert any(full[i : i + 16] == ids for i in range(len(full) - 15))
    with pytest.raises(N2GError, match="too few"):
        random_windows(corpus, TOK, 10_000, n=3, seed=0)


@pytest.mark.slow
def test_python_docs_corpus_unpacks_debian_package():
    try:
        corpus = open_corpus("python-docs")
    except N2GError as exc:  # a machine without apt access: the error must say so
        assert "no apt access" in str(exc)
        pytest.skip(str(exc))
    assert corpus.name.startswith("python-docs:")
    assert len(corpus.files) > 100
    assert any("tutorial" in str(path) for path in corpus.files)
