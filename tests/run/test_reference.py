"""The documented report's corpus, written once (n2g.run.reference): the docs name it as
it is, the corpus apt gives this machine is checked against it, and a run on other text
says so in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from n2g.errors import N2GError
from n2g.record.provenance import CorpusProvenance, corpus_provenance
from n2g.run.reference import REPORT_CORPUS, REPORT_DOC, reference_warning
from n2g.run.showcase import corpus_lines

ROOT = Path(__file__).resolve().parents[2]


def test_the_docs_name_the_reference_corpus_as_the_code_does() -> None:
    report = (ROOT / REPORT_DOC).read_text(encoding="utf-8")
    assert corpus_lines(REPORT_CORPUS)[0] in report.splitlines()  # as a run writes it
    assert REPORT_CORPUS.version and REPORT_CORPUS.sha256
    for doc in ("README.md", "docs/results.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert REPORT_CORPUS.version in text and REPORT_CORPUS.sha256 in text, doc


def test_a_run_on_other_text_of_the_same_corpus_says_so_in_one_line() -> None:
    update = CorpusProvenance(name=REPORT_CORPUS.name, version="3.11.2-6+deb12u9", sha256="ab" * 32)
    line = reference_warning(update)
    assert line is not None and "\n" not in line
    assert line.startswith(f"warning: corpus {REPORT_CORPUS.name} 3.11.2-6+deb12u9, text SHA-256 ")
    assert f"({REPORT_CORPUS.version}, text SHA-256 {REPORT_CORPUS.sha256[:12]})" in line
    assert REPORT_DOC in line
    assert reference_warning(REPORT_CORPUS) is None
    relabelled = REPORT_CORPUS.model_copy(update={"version": None})  # same text: no warning
    assert reference_warning(relabelled) is None
    assert reference_warning(update.model_copy(update={"name": "stdlib:python3.11"})) is None


@pytest.mark.slow
def test_the_reference_hash_is_what_the_code_computes_for_that_version() -> None:
    from n2g.record.corpus import open_corpus

    try:
        corpus = open_corpus("python-docs")
    except N2GError as exc:  # no apt access here
        pytest.skip(str(exc))
    if corpus.version != REPORT_CORPUS.version:
        pytest.skip(f"apt gives {corpus.version} here, not {REPORT_CORPUS.version}")
    assert corpus_provenance(corpus) == REPORT_CORPUS
