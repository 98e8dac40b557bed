"""The second English prose corpus: the handbook's text, extracted from its HTML pages."""

from __future__ import annotations

import pytest

from n2g.errors import N2GError
from n2g.record.corpus import open_corpus, spec_of
from n2g.record.handbook import page_text

PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Chapter 6. APT</title>
<style>p { color: red }</style></head><body>
<ul class="docnav"><li><a href="prev.html">Prev</a></li><li>Next</li></ul>
<script>var x = "<p>not text</p>";</script>
<div class="para">
    What makes Debian so popular is the <span class="emphasis"><em>APT</em></span>
    program &amp; its “tools”.
</div><div class="para">A second<br/>paragraph.</div>
<pre class="programlisting">deb url distribution
deb-src url distribution</pre>
<div class="navfooter"><table><tr><td>Up</td></tr></table></div>
</body></html>"""


def test_page_text_keeps_the_prose_as_paragraphs_and_drops_the_page_chrome() -> None:
    text = page_text(PAGE)
    paragraphs = text.strip().split("\n\n")
    assert paragraphs[0] == "What makes Debian so popular is the APT program & its “tools”."
    assert paragraphs[1:3] == ["A second", "paragraph."]
    assert "deb url distribution" in text and "deb-src url distribution" in text
    for chrome in ("Prev", "Next", "Up", "not text", "color", "Chapter 6"):
        assert chrome not in text, chrome


@pytest.mark.slow
def test_the_handbook_corpus_is_fetched_with_apt_and_reads_as_text(tmp_path) -> None:
    from n2g.record.corpus import CorpusConfig

    try:
        corpus = open_corpus(CorpusConfig(spec="debian-handbook", cache_dir=tmp_path))
    except N2GError as exc:  # a machine without apt access: the error must say so
        assert "no apt access" in str(exc)
        pytest.skip(str(exc))
    assert corpus.name == "debian-handbook:en-US" and spec_of(corpus.name) == "debian-handbook"
    assert len(corpus.files) > 100
    text = "".join(path.read_text(encoding="utf-8") for path in corpus.files)
    assert len(text) > 1_000_000 and "<div" not in text and "Falcot Corp" in text
    again = open_corpus(CorpusConfig(spec="debian-handbook", cache_dir=tmp_path))
    assert again.files == corpus.files  # extracted once, then read from the cache
