"""Text corpora for recording and evaluation, chunked into token windows.

Specs accepted by `open_corpus`:
- `stdlib`       the Python standard library's own source (*.py), present on every machine;
- `python-docs`  English prose: the reStructuredText sources of Debian's python3.11-doc,
                 fetched on demand with `apt-get download` + `dpkg-deb -x` into the cache
                 (n2g.record.debian: retried, and versioned);
- `debian-handbook`  English prose of another kind: The Debian Administrator's Handbook,
                 fetched the same way, its text extracted from HTML (n2g.record.handbook);
- a text file, or a folder (every UTF-8 text file below it, in sorted path order);
- a `.jsonl` file (one JSON object a line with a string `text` field);
- `hf:<dataset>[:<split>]` a Hugging Face dataset (needs the `datasets` package and the hub);
- `NAME[:ARGUMENT]` an installed plug-in (entry point group `neuron2graph.corpora`).

Each is an entry of the `CORPORA` registry, tried in that order (n2g.plugins).

Documents come in a deterministic order with integer ids 0, 1, 2, ... `windows` cuts each
document into consecutive, non-overlapping windows of exactly `window` tokens; a shorter
tail (and a document shorter than one window) is dropped, so every window is full-length
and batches need no padding.

A corpus names its `version` where it has one (a Debian package's, the Python release of
`stdlib`): with the hash of its text (n2g.record.provenance) it is what the records and
the report say they were made from.
"""

from __future__ import annotations

import itertools
import json
import platform
import random
import sys
import sysconfig
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from n2g.errors import N2GError
from n2g.paths import cache_dir as default_cache_dir
from n2g.plugins import CorpusPlugin, Registry
from n2g.record.config import CORPUS_HELP
from n2g.record.debian import package_version, unpack_debian_package

DOCS_PACKAGE = f"python{sys.version_info.major}.{sys.version_info.minor}-doc"
_MAX_FILE_BYTES = 2_000_000  # skip huge generated files: they are not prose or code


class _Encoder(Protocol):
    def encode(self, text: str) -> list[int]: ...


class CorpusConfig(BaseModel):
    """Which corpus to read (a spec as above) and where on-demand corpora are unpacked."""

    model_config = ConfigDict(extra="forbid")

    spec: str = Field(
        min_length=1,
        description=CORPUS_HELP,
    )
    cache_dir: Path | None = None


class Corpus(ABC):
    """A deterministic sequence of documents."""

    name: str
    version: str | None = None  # of the package or release the documents come from
    streaming = False  # read once, in order: no random access, no cheap second pass

    def documents(self) -> Iterator[tuple[int, str]]:
        """(doc_id, text) for every non-empty document, in a fixed order."""
        return self.documents_from(0)

    @abstractmethod
    def documents_from(self, first: int) -> Iterator[tuple[int, str]]:
        """Like `documents`, starting at doc_id `first` (earlier ones are not read)."""

    def sized_items(self) -> list[tuple[int, int]]:
        """(doc_id, approximate size) for random access; streaming corpora raise N2GError."""
        raise N2GError(f"corpus {self.name} does not support random access")

    def document(self, doc_id: int) -> str:
        """The text of one document (random access)."""
        raise N2GError(f"corpus {self.name} does not support random access")


class _ListedCorpus(Corpus):
    """A corpus whose documents are a known list of handles (files, lines)."""

    def documents_from(self, first: int) -> Iterator[tuple[int, str]]:
        items = self._items()
        for doc_id in range(first, len(items)):
            text = self._read(items[doc_id])
            if text:
                yield doc_id, text

    @abstractmethod
    def _items(self) -> list:
        """The documents' handles, in a fixed order."""

    @abstractmethod
    def _read(self, item: Any) -> str:
        """One document's text from its handle."""


class FileCorpus(_ListedCorpus):
    """Documents = files (one document each), in sorted order."""

    def __init__(self, name: str, files: list[Path], version: str | None = None) -> None:
        self.name, self.version = name, version
        self.files = files
        if not files:
            raise N2GError(f"corpus {name} is empty (no text files)")

    def _items(self) -> list[Path]:
        return self.files

    def _read(self, item: Path) -> str:
        try:
            data = item.read_bytes()
        except OSError:
            return ""  # vanished or unreadable file: skip it, keep ids stable
        if b"\0" in data[:4096]:
            return ""  # binary
        return data.decode("utf-8", errors="replace")

    def sized_items(self) -> list[tuple[int, int]]:
        sizes = []
        for doc_id, path in enumerate(self.files):
            try:
                sizes.append((doc_id, path.stat().st_size))
            except OSError:
                continue
        return sizes

    def document(self, doc_id: int) -> str:
        return self._read(self.files[doc_id])


class JsonlCorpus(_ListedCorpus):
    """Documents = lines of a JSON Lines file with a `text` field."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"jsonl:{path.resolve()}"
        self._texts: list[str] | None = None

    def _load(self) -> list[str]:
        if self._texts is None:
            texts = []
            try:
                with self.path.open(encoding="utf-8") as handle:
                    for number, line in enumerate(handle, 1):
                        if line.strip():
                            texts.append(self._text(line, number))
            except (OSError, UnicodeDecodeError) as exc:
                raise N2GError(f"cannot read corpus {self.path}: {exc}") from None
            if not texts:
                raise N2GError(f"corpus {self.path} is empty")
            self._texts = texts
        return self._texts

    def _text(self, line: str, number: int) -> str:
        try:
            record = json.loads(line)
        except ValueError:
            raise N2GError(f"{self.path}:{number}: not valid JSON") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise N2GError(f"{self.path}:{number}: expected an object with a string 'text' field")
        return record["text"]

    def _items(self) -> list[str]:
        return self._load()

    def _read(self, item: str) -> str:
        return item

    def sized_items(self) -> list[tuple[int, int]]:
        return [(i, len(t)) for i, t in enumerate(self._load()) if t]

    def document(self, doc_id: int) -> str:
        return self._load()[doc_id]


class HFCorpus(Corpus):
    """A Hugging Face dataset's `text` column, streamed (no random access)."""

    streaming = True

    def __init__(self, dataset: str, split: str) -> None:
        self.dataset, self.split = dataset, split
        self.name = f"hf:{dataset}:{split}"
        try:
            import datasets  # noqa: F401
        except ImportError:
            raise N2GError(
                f"corpus {self.name} needs the `datasets` package (pip install datasets) "
                "and access to the Hugging Face hub; offline, use 'stdlib' or 'python-docs'"
            ) from None

    def documents_from(self, first: int) -> Iterator[tuple[int, str]]:
        import datasets

        try:
            rows = datasets.load_dataset(self.dataset, split=self.split, streaming=True)
            for doc_id, row in enumerate(rows):
                if doc_id < first:
                    continue
                text = row.get("text") if isinstance(row, dict) else None
                if isinstance(text, str) and text:
                    yield doc_id, text
        except Exception as exc:  # hub/network/dataset errors: one line for the user
            why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise N2GError(f"cannot read dataset {self.name}: {why[:200]}") from None


def _text_files(root: Path, suffixes: tuple[str, ...] | None = None) -> list[Path]:
    files = []
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or any(p.startswith(".") for p in path.parts[-1:]):
            continue
        if suffixes and not path.name.endswith(suffixes):
            continue
        try:
            if path.is_file() and 0 < path.stat().st_size <= _MAX_FILE_BYTES:
                files.append(path)
        except OSError:
            continue
    return files


def stdlib_corpus() -> FileCorpus:
    """The standard library's *.py files (third-party site-packages excluded)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = [
        p for p in _text_files(root, (".py",)) if "site-packages" not in p.relative_to(root).parts
    ]
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return FileCorpus(f"stdlib:python{version}", files, platform.python_version())


def python_docs_corpus(cache_dir: Path | None = None) -> FileCorpus:
    """The Python documentation's reStructuredText sources (Debian package, unpacked once)."""
    target = default_cache_dir(cache_dir) / "corpora" / DOCS_PACKAGE
    sources = target / "usr/share/doc" / DOCS_PACKAGE.removesuffix("-doc") / "html/_sources"
    if not sources.is_dir():
        unpack_debian_package(DOCS_PACKAGE, target)
    files = _text_files(sources, (".rst.txt",))
    return FileCorpus(f"python-docs:{DOCS_PACKAGE}", files, package_version(target, DOCS_PACKAGE))


def open_corpus(spec: str | CorpusConfig) -> Corpus:
    """Open a corpus from its spec; a missing or empty corpus is a one-line N2GError."""
    config = spec if isinstance(spec, CorpusConfig) else CorpusConfig(spec=spec)
    factory = CORPORA.find(config.spec)
    if factory is None:
        raise N2GError(
            f"corpus {config.spec!r} not found: give stdlib, python-docs, debian-handbook, a "
            f"text file or folder, a .jsonl file, or hf:<dataset>{CORPORA.installed_hint()}"
        )
    return factory(config.spec, cache_dir=config.cache_dir)


def _stdlib(spec: str, *, cache_dir: Path | None) -> Corpus:
    return stdlib_corpus()


def _python_docs(spec: str, *, cache_dir: Path | None) -> Corpus:
    return python_docs_corpus(cache_dir)


def _debian_handbook(spec: str, *, cache_dir: Path | None) -> Corpus:
    from n2g.record.handbook import handbook_folder, handbook_version

    files = _text_files(handbook_folder(cache_dir), (".txt",))
    return FileCorpus("debian-handbook:en-US", files, handbook_version(cache_dir))


def _hf(spec: str, *, cache_dir: Path | None) -> Corpus:
    parts = spec[3:].split(":")
    if not parts[0]:
        raise N2GError("hf corpus spec needs a dataset name: hf:<dataset>[:<split>]")
    return HFCorpus(parts[0], parts[1] if len(parts) > 1 and parts[1] else "train")


def _path(spec: str, *, cache_dir: Path | None) -> Corpus:
    path = Path(spec).expanduser()
    if path.is_dir():
        return FileCorpus(f"dir:{path.resolve()}", _text_files(path))
    if path.suffix == ".jsonl":
        return JsonlCorpus(path)
    if path.stat().st_size == 0:
        raise N2GError(f"corpus {path} is empty")
    return FileCorpus(f"file:{path.resolve()}", [path])


def _is_corpus_factory(value: object) -> bool:
    return callable(value)


# Tried in this order; a spec none claims is looked up among the installed plug-ins.
CORPORA: Registry[CorpusPlugin] = Registry(
    "corpora", "a corpus factory (n2g.plugins.CorpusPlugin)", _is_corpus_factory
)
CORPORA.add("stdlib", _stdlib, matches=lambda spec: spec == "stdlib")
CORPORA.add("python-docs", _python_docs, matches=lambda spec: spec == "python-docs")
CORPORA.add("debian-handbook", _debian_handbook, matches=lambda spec: spec == "debian-handbook")
CORPORA.add("hf", _hf, matches=lambda spec: spec.startswith("hf:"))
CORPORA.add("<file or folder>", _path, matches=lambda spec: Path(spec).expanduser().exists())


def spec_of(name: str) -> str:
    """The spec that reopens a corpus from its `name` (as records manifests store it)."""
    kind, _, rest = name.partition(":")
    if kind in ("stdlib", "python-docs", "debian-handbook"):
        return kind
    if kind in ("dir", "file", "jsonl"):
        return rest
    return name  # hf:DATASET:SPLIT is its own spec, and a plug-in's name is its spec


def indexed_windows(
    corpus: Corpus, tokenizer: _Encoder, window: int, start: tuple[int, int] = (0, 0)
) -> Iterator[tuple[int, int, list[int]]]:
    """(doc_id, window index in the doc, `window` token ids), from position `start`.

    `start` = (doc_id, window index): documents before it are skipped without being
    tokenised, which makes resuming a long recording cheap.
    """
    if window < 1:
        raise N2GError(f"window must be at least 1 token, not {window}")
    first_doc, first_index = start
    for doc_id, text in corpus.documents_from(first_doc):
        ids = tokenizer.encode(text)
        skip = first_index if doc_id == first_doc else 0
        for index in range(skip, len(ids) // window):
            yield doc_id, index, ids[index * window : (index + 1) * window]


def windows(
    corpus: Corpus, tokenizer: _Encoder, window: int, max_windows: int | None = None
) -> Iterator[tuple[int, list[int]]]:
    """(doc_id, exactly `window` token ids) in corpus order; short tails are dropped."""
    for produced, (doc_id, _, ids) in enumerate(indexed_windows(corpus, tokenizer, window)):
        if max_windows is not None and produced >= max_windows:
            return
        yield doc_id, ids


def random_windows(
    corpus: Corpus, tokenizer: _Encoder, window: int, n: int, seed: int = 0
) -> list[tuple[int, list[int]]]:
    """`n` windows at random positions (seeded): documents drawn by size, then an offset.

    Unlike `windows`, offsets are not aligned to multiples of `window`, so these are not
    the windows `n2g record` saw (good for out-of-distribution checks). Documents shorter
    than a window are skipped.
    """
    if n < 0 or window < 1:
        raise N2GError("random_windows needs n >= 0 and window >= 1")
    sized = [(doc_id, size) for doc_id, size in corpus.sized_items() if size > 0]
    if not sized:
        raise N2GError(f"corpus {corpus.name} is empty")
    rng = random.Random(seed)
    doc_ids = [d for d, _ in sized]
    cumulative = list(itertools.accumulate(s for _, s in sized))
    ids_cache: dict[int, list[int]] = {}
    out: list[tuple[int, list[int]]] = []
    attempts = 0
    while len(out) < n:
        attempts += 1
        if attempts > 50 * n + 100:
            raise N2GError(f"corpus {corpus.name} has too few documents of {window}+ tokens")
        doc_id = rng.choices(doc_ids, cum_weights=cumulative)[0]
        if doc_id not in ids_cache:
            ids_cache[doc_id] = tokenizer.encode(corpus.document(doc_id))
        ids = ids_cache[doc_id]
        if len(ids) < window:
            continue
        start = rng.randrange(len(ids) - window + 1)
        out.append((doc_id, ids[start : start + window]))
    return out
