"""Resumable graph-file output: complete lines only, appended, flushed and fsynced.

A neuron is either fully written (one complete JSON line) or not at all. On restart the
file is scanned: a torn last line (no newline: the process died mid-write) is cut off,
the neurons already present are skipped. A corrupt complete line stops the build with its
file:line named; nothing in the file is changed then.

Appending is the resume design, so this file is not written whole through a temporary
file as others are (n2g.files); it is opened with `open_append`/`open_existing`, which
refuse a symlink at its name: a link planted there is an error, never a write elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from n2g.errors import N2GError
from n2g.files import open_append, open_existing
from n2g.graph.file import GraphFileError, dump_graph_line, iter_graph_file
from n2g.graph.model import NeuronGraph


def drop_torn_tail(path: Path) -> bool:
    """Cut an unterminated last line; True when something was cut."""
    with open_existing(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            return False
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return False
        # Find the last newline, scanning back in blocks.
        position = size
        while position > 0:
            step = min(65536, position)
            handle.seek(position - step)
            block = handle.read(step)
            cut = block.rfind(b"\n")
            if cut >= 0:
                handle.truncate(position - step + cut + 1)
                break
            position -= step
        else:
            handle.truncate(0)
        handle.flush()
        os.fsync(handle.fileno())
    return True


def read_existing(path: Path, model_name: str) -> list[NeuronGraph]:
    """Graphs already in `path` (after dropping a torn tail); N2GError on a bad line."""
    if not path.exists():
        return []
    drop_torn_tail(path)
    graphs = []
    try:
        for _, graph in iter_graph_file(path):
            if graph.model != model_name:
                raise N2GError(
                    f"{path} holds graphs of model {graph.model!r}, not {model_name!r}; "
                    "choose another output file"
                )
            graphs.append(graph)
    except GraphFileError as exc:
        raise N2GError(
            f"corrupt graph file line {exc}; fix or delete that line to resume"
        ) from None
    return graphs


class GraphWriter:
    """Appends complete graph lines; each `write` call is durable when it returns."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.handle = open_append(path)  # closed in close()

    def write(self, graphs: Sequence[NeuronGraph]) -> None:
        self.write_lines([dump_graph_line(g) for g in graphs])

    def write_lines(self, lines: Sequence[str]) -> None:
        """Append graph lines already dumped (by a Ray worker)."""
        if not lines:
            return
        self.handle.write("".join(line + "\n" for line in lines))
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def close(self) -> None:
        self.handle.close()

    def __enter__(self) -> GraphWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
