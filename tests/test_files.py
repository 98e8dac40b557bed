"""n2g.files: whole files or none, never written through a symlink, modes never widened."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from n2g.errors import N2GError
from n2g.files import (
    open_append,
    open_atomic,
    open_existing,
    write_bytes_atomic,
    write_folder_atomic,
    write_path_atomic,
    write_text_atomic,
)


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text("precious\n", encoding="utf-8")
    return path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    "write",
    [
        lambda p: write_text_atomic(p, "ours"),
        lambda p: write_bytes_atomic(p, b"ours"),
        lambda p: write_path_atomic(p, lambda tmp: tmp.write_text("ours")),
    ],
    ids=["text", "bytes", "path"],
)
def test_a_symlink_at_the_target_is_replaced_never_followed(tmp_path, victim, write) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").symlink_to(victim)
    (out / "dangling.md").symlink_to(tmp_path / "created-elsewhere")
    for name in ("report.md", "dangling.md"):
        write(out / name)
        assert not (out / name).is_symlink() and (out / name).read_text() == "ours"
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not (tmp_path / "created-elsewhere").exists()
    assert _only(out) == ["dangling.md", "report.md"]  # no temporary file left


def test_an_error_leaves_the_target_as_it_was_and_no_temporary_file(tmp_path) -> None:
    target = tmp_path / "summary.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), open_atomic(target) as handle:
        handle.write("half")
        raise RuntimeError

    def half(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError

    with pytest.raises(RuntimeError):
        write_path_atomic(target, half)
    assert target.read_text(encoding="utf-8") == "old" and _only(tmp_path) == ["summary.json"]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o000])
def test_a_private_mode_is_never_widened(tmp_path, umask) -> None:
    before = os.umask(umask)
    try:
        write_text_atomic(tmp_path / "private", "s", mode=0o600)
        write_path_atomic(tmp_path / "private2", lambda tmp: tmp.write_text("s"), mode=0o600)
        write_text_atomic(tmp_path / "public", "p")
    finally:
        os.umask(before)
    assert _mode(tmp_path / "private") == 0o600 and _mode(tmp_path / "private2") == 0o600
    assert _mode(tmp_path / "public") == 0o644 & ~umask


def test_a_file_planted_under_any_temporary_name_is_left_alone(tmp_path, victim) -> None:
    """Temporary names are random: a link at the old fixed names catches nothing."""
    for name in (".report.md.tmp", ".report.md", "report.md.tmp"):
        (tmp_path / name).symlink_to(victim)
    write_text_atomic(tmp_path / "report.md", "ours")
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_appends_and_in_place_changes_refuse_a_symlink(tmp_path, victim) -> None:
    link = tmp_path / "graphs.jsonl"
    link.symlink_to(victim)
    with pytest.raises(N2GError, match="symbolic link"):
        open_append(link)
    with pytest.raises(N2GError, match="symbolic link"):
        open_existing(link)
    assert victim.read_text(encoding="utf-8") == "precious\n"
    regular = tmp_path / "regular.jsonl"
    for line in ("a\n", "b\n"):
        with open_append(regular) as handle:
            handle.write(line)
    assert regular.read_text(encoding="utf-8") == "a\nb\n"


def test_a_folder_is_published_whole_replacing_a_symlink(tmp_path, victim) -> None:
    folder = tmp_path / "model"
    folder.symlink_to(tmp_path)  # a link to a folder: replaced, its target untouched
    write_folder_atomic(folder, lambda tmp: (tmp / "config.json").write_text("{}"))
    assert not folder.is_symlink() and _only(folder) == ["config.json"]
    assert _mode(folder) == 0o755 and victim.read_text(encoding="utf-8") == "precious\n"
    with pytest.raises(ZeroDivisionError):
        write_folder_atomic(folder, lambda tmp: 1 / 0)
    assert _only(folder) == ["config.json"]
    assert sorted(_only(tmp_path)) == ["model", "victim.txt"]
