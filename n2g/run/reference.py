"""The corpus the committed report and the README's figures came from, written once here.

docs/report-smollm2.md, the README's table and docs/results.md come from one run of the
main job on Debian's python3.11-doc at the version below. apt gives each machine the
version it has lists for, and a security update changes the text (some report cells move
by 0.01), so a run says in one line when its corpus is not that one: its figures are
then expected to differ slightly from the documented ones, not to reproduce them.
"""

from __future__ import annotations

from n2g.record.provenance import CorpusProvenance

REPORT_DOC = "docs/report-smollm2.md"
REPORT_CORPUS = CorpusProvenance(
    name="python-docs:python3.11-doc",
    version="3.11.2-6+deb12u8",
    sha256="b8215811157ed72b424d3efe6e9441f8567d0c6c6d0d50b6da891d677e4c5b06",
)


def reference_warning(corpus: CorpusProvenance) -> str | None:
    """One line when `corpus` is the documented report's corpus by name but not by text
    (or its text could not be hashed); None otherwise (same text, or another corpus)."""
    if corpus.name != REPORT_CORPUS.name or corpus.sha256 == REPORT_CORPUS.sha256:
        return None
    documented = f"{REPORT_CORPUS.version}, text SHA-256 {(REPORT_CORPUS.sha256 or '')[:12]}"
    return (
        f"warning: corpus {corpus.line(short=True)} is not the one {REPORT_DOC} came from "
        f"({documented}): some of this run's figures may differ from the documented ones by 0.01"
    )
