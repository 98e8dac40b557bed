"""A corpus's provenance: the same text hashes alike wherever it lies, other text does not;
the records manifest names it, and a manifest written before these fields still loads."""

from __future__ import annotations

import json
import shutil

from n2g.record.corpus import open_corpus, stdlib_corpus
from n2g.record.provenance import corpus_provenance, text_sha256
from n2g.record.store import MANIFEST, load_manifest


def _folder(root, texts: dict[str, str]):
    root.mkdir()
    for name, text in texts.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_the_hash_is_of_the_text_not_of_where_it_lies(tmp_path) -> None:
    texts = {"a.txt": "The first document.\n", "b.txt": "The second: é, 字.\n"}
    one = open_corpus(str(_folder(tmp_path / "one", texts)))
    two = open_corpus(str(_folder(tmp_path / "two", texts)))
    assert one.name != two.name and text_sha256(one) == text_sha256(two)
    lines = tmp_path / "c.jsonl"  # the same documents in another form: the same text
    lines.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts.values()))
    assert text_sha256(open_corpus(str(lines))) == text_sha256(one)
    edited = open_corpus(str(_folder(tmp_path / "three", {**texts, "b.txt": "The second.\n"})))
    joined = open_corpus(str(_folder(tmp_path / "four", {"a.txt": "".join(texts.values())})))
    hashes = {text_sha256(one), text_sha256(edited), text_sha256(joined)}
    assert len(hashes) == 3 and all(len(h or "") == 64 for h in hashes)


def test_provenance_names_the_version_where_there_is_one(tmp_path) -> None:
    folder = open_corpus(str(_folder(tmp_path / "f", {"a.txt": "text\n"})))
    assert corpus_provenance(folder).version is None
    assert corpus_provenance(folder).line() == f"{folder.name}, text SHA-256 {text_sha256(folder)}"
    assert (stdlib_corpus().version or "").startswith("3.")  # the Python release


def test_a_manifest_written_before_the_corpus_fields_still_loads(tmp_path) -> None:
    from n2g.models.tiny import tiny_model
    from tests.record.test_recorder import _config, record

    corpus = open_corpus(str(_folder(tmp_path / "c", {"a.py": shutil.__doc__ * 20})))
    manifest = record(tiny_model(seed=1), corpus, tmp_path / "r", config=_config(max_windows=4))
    assert manifest.corpus_sha256 == text_sha256(corpus) and manifest.corpus_version is None
    assert load_manifest(tmp_path / "r") == manifest
    data = json.loads((tmp_path / "r" / MANIFEST).read_text(encoding="utf-8"))
    del data["corpus_version"], data["corpus_sha256"]
    (tmp_path / "r" / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    old = load_manifest(tmp_path / "r")
    assert (old.corpus_version, old.corpus_sha256) == (None, None) and old.corpus == corpus.name
