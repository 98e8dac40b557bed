"""The resumable graph file never writes through a symlink planted at its name: resuming
(which may cut a torn tail) and appending both refuse one, leaving its target alone."""

from __future__ import annotations

import pytest

from n2g.builder.writer import GraphWriter, read_existing
from n2g.errors import N2GError
from n2g.testing.handmade import handmade_graphs


def test_a_symlink_at_the_graph_file_is_refused_and_its_target_left_alone(tmp_path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("no newline at the end", encoding="utf-8")  # a "torn tail" to cut
    link = tmp_path / "graphs.jsonl"
    link.symlink_to(victim)
    with pytest.raises(N2GError, match="symbolic link"):
        read_existing(link, "m")
    with pytest.raises(N2GError, match="symbolic link"):
        GraphWriter(link).write(handmade_graphs()[:1])
    assert victim.read_text(encoding="utf-8") == "no newline at the end"


def test_a_dangling_symlink_at_a_new_graph_file_creates_nothing(tmp_path) -> None:
    target = tmp_path / "elsewhere.jsonl"
    link = tmp_path / "graphs.jsonl"
    link.symlink_to(target)
    assert read_existing(link, "m") == []  # a dangling link: no file to resume
    with pytest.raises(N2GError, match="symbolic link"):
        GraphWriter(link).write(handmade_graphs()[:1])
    assert not target.exists()


def test_appends_resume_a_regular_file(tmp_path) -> None:
    path = tmp_path / "graphs.jsonl"
    graphs = handmade_graphs()
    with GraphWriter(path) as writer:
        writer.write(graphs[:1])
    with GraphWriter(path) as writer:
        writer.write(graphs[1:2])
    assert [g.key for g in read_existing(path, graphs[0].model)] == [g.key for g in graphs[:2]]
