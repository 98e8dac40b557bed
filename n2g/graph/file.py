"""The graph file: one neuron graph per JSON line, validated by pydantic.

This is the boundary between the builder (which writes it), `n2g-ingest` (which loads it
into the database) and everything that reads graphs back. The graph itself (the models)
is n2g.graph.model, its published JSON Schema n2g.graph.schema; this module reads and
writes its lines, strictly.

Every command reads graph files here (`read_graph_files`, or `iter_graph_file` where line
numbers matter), with one error path: a bad line is a GraphFileError, `file:line: reason`
on one line. A command either skips bad lines and names each (n2g.cli.common's
`echo_bad_lines`: ingest, report) or, when it must not go on with part of a file, names
them all and stops (`BadLines`: export); a reader that stops at the first ends the
command with that line (GraphFileError is an N2GError).

Older formats are read through one explicit step, `upgrade_graph_data`, which turns an
old line's dict into the current shape before validation; a line of the current format
never takes it (it validates straight from its JSON, the fast path). A graph read so keeps
its `format_version` (what wrote it) and dumps in the current shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from n2g.errors import N2GError, printable
from n2g.graph.model import LOSSLESS_TOKENS_FORMAT, NeuronGraph
from n2g.graph.token_text import REPLACEMENT, namer_for


class GraphFileError(N2GError, ValueError):
    """A graph file line that is not a valid neuron graph; names the file and line. An
    N2GError: a reader that stops at it ends the command with that one line."""

    def __init__(self, path: Path | str, line_number: int, reason: str) -> None:
        self.path = str(path)
        self.line_number = line_number
        self.reason = printable(reason)  # it may quote the line's own field names
        super().__init__(f"{printable(self.path)}:{line_number}: {self.reason}")


class BadLines(N2GError):
    """The bad lines of graph files read whole, all of them: raised by a command that
    must not go on with part of a file (`n2g export`) once every line has been read. The
    CLI names each line (`n2g.cli.common.echo_bad_lines`) and ends with this message."""

    exit_code = 1  # as `n2g ingest`'s bad lines

    def __init__(self, errors: Sequence[GraphFileError], outcome: str) -> None:
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} bad line(s) in the graph file(s); {outcome}")


# Formats 1 and 2 held one field per baseline in the evaluation, its out-of-distribution
# check and its correlation; format 3 keys them by scoring method under `baselines`.
_PER_METHOD_FIELDS = ("token_lookup", "ngram")
# Formats 1 to 3 named a latent's unit set `sae`; format 4 names it `unit_set` (the
# vocabulary of n2g.graph.key).
_RENAMED_FIELDS = {"sae": "unit_set"}
# What each build setting meant before it existed: a line that lacks one (written before
# it was added, whatever its format) gets this value. The builder's own defaults are
# n2g.builder.config's; these are only the old behaviour, stated here once.
LEGACY_SETTINGS: dict[str, Any] = {
    "prune_threshold": 0.5,
    "importance_threshold": 0.75,
    "augment_threshold": 0.5,
    "helper": "none",
    "n_substitutes": 5,
    "rerank_substitutes": True,
    "augment_pivot": True,
    "augment_context": True,
    "train_fraction": 0.5,
    "seed": 0,
    "pivots": "argmax",
    "end_activation": "pruned",  # the activation on the pruned context
    "n_examples": 20,
    "extra_train_examples": 0,
    "sample_train_examples": 0,
    "fold_tokens": False,  # token ids matched exactly
    "augmented_saliency": "measure",
    "dtype": "float32",
    "grades": "none",  # no graded levels
    "grade_floor": 0.1,
    "bare_paths": "keep",
    "path_precision": 0.0,  # every path's claim kept
    "bigram_paths": 0.0,  # no bigram paths
}  # mask_token_id, max_context (no cap) and grade_tokens: None, which a line leaves out


def upgrade_graph_data(data: dict[str, Any]) -> bool:
    """Turn an old line's dict (formats 1 to 3, or a build setting missing) into the
    current shape, in place; True when anything moved. The one upgrade step of the graph
    file."""
    moved = _fill_legacy_settings(data)
    for old, new in _RENAMED_FIELDS.items():
        if old in data and new not in data:
            data[new] = data.pop(old)
            moved = True
    evaluation = data.get("evaluation")
    if not isinstance(evaluation, dict):
        return moved
    parts = [evaluation, evaluation.get("out_of_distribution"), evaluation.get("correlation")]
    for part in parts:
        if not isinstance(part, dict):
            continue
        for name in _PER_METHOD_FIELDS:
            if name in part:
                baselines = part.setdefault("baselines", {})
                if isinstance(baselines, dict):
                    value = part.pop(name)
                    if value is not None:  # an absent baseline was written as null
                        baselines[name] = value
                    moved = True
    return moved


def _fill_legacy_settings(data: dict[str, Any]) -> bool:
    """The build settings `data` lacks, at what they meant before they existed; True when
    any was missing (a line without settings gets them all)."""
    settings = data.setdefault("settings", {})
    if not isinstance(settings, dict):
        return False  # validation names it
    missing = {name: value for name, value in LEGACY_SETTINGS.items() if name not in settings}
    settings.update(missing)
    return bool(missing)


def rename_byte_tokens(graph: NeuronGraph) -> bool:
    """A graph of format 4 or older: each trie token whose text holds U+FFFD (a byte token
    named by its plain decoding, shared by dozens of ids) renamed from its id by the model's
    tokenizer (n2g.graph.token_text); True when any changed. Where no tokenizer of the model
    can be had the graph stays as it was (its evidence snippets, which keep no ids, stay
    so in any case: rebuilding renames them too)."""
    if graph.format_version >= LOSSLESS_TOKENS_FORMAT:
        return False
    nodes = [n for n in graph.nodes if n.token is not None and REPLACEMENT in n.token]
    namer = namer_for(graph.model) if nodes else None
    if namer is None:
        return False
    texts = namer([int(n.token_id or 0) for n in nodes])
    changed = False
    for node, text in zip(nodes, texts, strict=True):
        if text != node.token:
            node.token, changed = text, True
    return changed


def parse_graph_line(line: str, path: Path | str = "<string>", line_number: int = 0) -> NeuronGraph:
    """Parse and validate one JSON line; raise GraphFileError with a one-line reason.

    Strict: a value of the wrong JSON type is refused, not coerced (`"layer": true`,
    `"layer": 1.0`, `"activation": "0.9"`); an integer stands for a number, as in JSON.
    A line of an older format is upgraded first (`upgrade_graph_data`)."""
    try:
        return _with_byte_tokens_named(NeuronGraph.model_validate_json(line, strict=True), line)
    except ValidationError as exc:
        error = exc
    upgraded = _upgraded_line(line)
    if upgraded is not None:
        try:
            graph = NeuronGraph.model_validate_json(upgraded, strict=True)
            return _with_byte_tokens_named(graph, line)
        except ValidationError as exc:
            error = exc
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "line"
    raise GraphFileError(path, line_number, f"{where}: {first['msg']}") from None


def _with_byte_tokens_named(graph: NeuronGraph, line: str) -> NeuronGraph:
    if REPLACEMENT in line or "\\ufffd" in line.lower():  # cheap: most lines have none
        rename_byte_tokens(graph)
    return graph


def _upgraded_line(line: str) -> str | None:
    """`line` in the current shape, or None when it is not an older format's line."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or not upgrade_graph_data(data):
        return None
    return json.dumps(data, ensure_ascii=False)


def iter_graph_file(
    path: Path | str, *, errors: list[GraphFileError] | None = None
) -> Iterator[tuple[int, NeuronGraph]]:
    """Yield (line number, graph) for every valid line of a JSON Lines graph file.

    With `errors` given, bad lines are appended to it and skipped (the rest stay
    readable); without it, the first bad line raises GraphFileError. The file is read as
    bytes and each line decoded on its own, so a line that is not UTF-8 is one bad line
    like any other, not the end of the file (a leading byte order mark is allowed).
    """
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield number, parse_graph_line(_decode(raw, path, number), path, number)
            except GraphFileError as exc:
                if errors is None:
                    raise
                errors.append(exc)


def read_graph_files(
    paths: Iterable[Path | str], *, errors: list[GraphFileError] | None = None
) -> Iterator[NeuronGraph]:
    """Every graph of every file, in order: the one reader of the commands that read graph
    files. A file that is not there is an N2GError naming it; bad lines as in
    `iter_graph_file` (collected in `errors` and skipped, or the first one raised)."""
    for path in paths:
        if not Path(path).is_file():
            raise N2GError(f"graph file not found: {path}")
        for _, graph in iter_graph_file(path, errors=errors):
            yield graph


def _decode(raw: bytes, path: Path | str, line_number: int) -> str:
    """One line's text; GraphFileError naming the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8-sig" if line_number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        byte = raw[exc.start]
        reason = f"not valid UTF-8 (byte 0x{byte:02x} at offset {exc.start} of the line)"
        raise GraphFileError(path, line_number, reason) from None


def dump_graph_line(graph: NeuronGraph) -> str:
    """One graph as a JSON line (no trailing newline); a graph without evidence dumps as
    it did before evidence existed (same line, same content hash)."""
    leave_out = None if graph.evidence else {"evidence"}
    return graph.model_dump_json(exclude_none=True, exclude=leave_out)
