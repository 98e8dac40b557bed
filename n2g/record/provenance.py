"""Which corpus, exactly, records and reports were made from: its name, version and hash.

A corpus's name does not pin its text: `python-docs` is whatever version of Debian's
python3.11-doc apt gave this machine, and a security update (3.11.2-6+deb12u8 to
+deb12u9) moved 33 cells of the main job's report by 0.01. So the records manifest, the
run's report and its summary.json carry the corpus's version (the Debian package's, for
a package corpus) and a hash of its content, and the same corpus (by hash) gives the same
report.

The hash is the SHA-256 of the text the corpus yields, not of the files read: for every
document in order, its id and its UTF-8 length in bytes on one line, then its UTF-8 text.
It is what the model reads, so two copies of a corpus in different folders (another cache
directory, another machine) hash alike, and a file that decodes the same hashes the same.
Cheap: one read of the documents (under a second for the Python documentation's 12 MB);
a streaming corpus (a Hugging Face dataset) gets no hash, as hashing it would read it
through once more.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, Field

from n2g.record.corpus import Corpus


class CorpusProvenance(BaseModel):
    """What a corpus was, for a manifest or a report: its name, version and text hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str | None = Field(None, description="the package's (or release's) version")
    sha256: str | None = Field(None, description="SHA-256 of the corpus's text (see module)")

    def line(self, short: bool = False) -> str:
        """`python-docs:python3.11-doc 3.11.2-6+deb12u8, text SHA-256 0123...`, parts
        unknown left out; `short`: the hash's first 12 digits (for a terminal)."""
        version = f" {self.version}" if self.version else ""
        sha256 = self.sha256[:12] if short and self.sha256 else self.sha256
        digest = f", text SHA-256 {sha256}" if sha256 else ""
        return f"{self.name}{version}{digest}"


def text_sha256(corpus: Corpus) -> str | None:
    """The SHA-256 of the text `corpus` yields (the module says how); None for a
    streaming corpus."""
    if corpus.streaming:
        return None
    digest = hashlib.sha256()
    for doc_id, text in corpus.documents():
        data = text.encode("utf-8", errors="surrogatepass")
        digest.update(f"{doc_id} {len(data)}\n".encode("ascii"))
        digest.update(data)
    return digest.hexdigest()


def corpus_provenance(corpus: Corpus) -> CorpusProvenance:
    """The corpus's name, version and text hash (one read of its documents)."""
    return CorpusProvenance(name=corpus.name, version=corpus.version, sha256=text_sha256(corpus))
