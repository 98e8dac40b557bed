"""Every file n2g writes is written here: whole or not at all, and never through a symlink.

Output folders are often shared (a team's run folder, /tmp, a mounted volume). Two things
must hold there:

- A symlink, or a file planted in an output folder by someone else, must never redirect
  our writes. A fixed temporary name (`.checkpoint.tmp`) or the target's own name would be
  followed to wherever the link points: a write "to report.md" could overwrite another of
  the user's files. So a file is written to a new temporary file of a random name in the
  same folder, created exclusively and without following a link (O_CREAT | O_EXCL |
  O_NOFOLLOW), then renamed onto the target: rename replaces a symlink at the target
  itself, it never follows it.
- A reader never sees a half-written file: the rename happens only after the whole file
  is written and fsynced; on any error the temporary file goes and the target is as it
  was.

The mode asked for is an upper bound: a file is created with it (the umask can only take
bits away) and then narrowed to it (`fchmod`), so a private file (0o600) stays private
whatever created it. Libraries that write only to a path (safetensors, `save_pretrained`)
get a path inside a private folder of our own (`write_path_atomic`: mkdtemp, mode 0o700),
where nobody else can plant anything; whole folders are published the same way
(`write_folder_atomic`); matplotlib writes into our file object (`save_figure`).

One writer appends instead, because resuming is its design: the builder's graph file
(complete lines appended and fsynced; a restart cuts a torn tail and skips the neurons
already there; n2g.builder.writer). Writing it whole on every batch would cost a copy of
the file per batch. It opens the file with `open_append` and `open_existing`, which
refuse a symlink at the path (O_NOFOLLOW): a link planted at a new or an existing graph
file's name is an error naming it, never a write elsewhere. The record stage's resumable
state needs no append: its checkpoint is replaced whole each time.

Reading is left to the readers: only writes go through here. `tests/test_layout.py` fails
if a module under n2g/ writes a file another way.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Literal, overload

from n2g.errors import N2GError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC


def _temporary_name(path: Path) -> Path:
    """A fresh random name beside `path` (a dot file, so globs skip it)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")


def _create(path: Path, mode: int) -> tuple[int, Path]:
    """A new temporary file beside `path`, created exclusively; its descriptor and name."""
    for _ in range(100):
        tmp = _temporary_name(path)
        try:
            fd = os.open(tmp, _NEW, mode)
        except FileExistsError:  # somebody's file of that name: draw another
            continue
        os.fchmod(fd, stat.S_IMODE(os.fstat(fd).st_mode) & mode)
        return fd, tmp
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


@overload
def open_atomic(
    path: Path, binary: Literal[False] = False, *, mode: int = 0o644
) -> contextlib.AbstractContextManager[IO[str]]: ...
@overload
def open_atomic(
    path: Path, binary: Literal[True], *, mode: int = 0o644
) -> contextlib.AbstractContextManager[IO[bytes]]: ...
def open_atomic(path: Path, binary: bool = False, *, mode: int = 0o644) -> Any:
    """A file object to write `path` through: on a clean exit it is fsynced and renamed
    over `path` (replacing a symlink there, never following it); on an exception the
    temporary file is removed and `path` is left as it was. Text is UTF-8."""
    return _open_atomic(Path(path), binary, mode)


@contextlib.contextmanager
def _open_atomic(path: Path, binary: bool, mode: int) -> Iterator[IO[Any]]:
    fd, tmp = _create(path, mode)
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Write `text` (UTF-8) to `path` whole or not at all (see `open_atomic`)."""
    with open_atomic(path, mode=mode) as handle:
        handle.write(text)


def write_bytes_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write `data` to `path` whole or not at all (see `open_atomic`)."""
    with open_atomic(path, binary=True, mode=mode) as handle:
        handle.write(data)


def write_path_atomic(path: Path, write: Callable[[Path], object], *, mode: int = 0o644) -> None:
    """For a library that writes only to a path: `write(tmp)` writes the file at `tmp`, a
    path inside a private folder made beside `path` (mode 0o700, random name: nothing can
    be planted there), which is then fsynced and renamed onto `path`."""
    path = Path(path)
    folder = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        tmp = folder / path.name
        # The mode a file created with `mode` gets here (less the umask), read off a file
        # of our own: the library may create its file with another.
        fd = os.open(tmp, _NEW, mode)
        allowed = stat.S_IMODE(os.fstat(fd).st_mode) & mode
        os.close(fd)
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
        try:
            os.fchmod(fd, allowed)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_folder_atomic(folder: Path, fill: Callable[[Path], object], *, mode: int = 0o755) -> None:
    """Publish a whole folder: `fill(tmp)` fills a new private folder beside `folder`,
    which then replaces `folder` (a symlink there is removed, not followed). On any error
    the new folder goes and `folder` is left as it was."""
    folder = Path(folder)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        fill(tmp)
        os.chmod(tmp, mode)
        if folder.is_symlink():
            folder.unlink()
        elif folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _open_no_link(path: Path, flags: int, mode: int) -> int:
    try:
        return os.open(path, flags | _NOFOLLOW | _CLOEXEC, mode)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) or Path(path).is_symlink():
            raise N2GError(
                f"{path} is a symbolic link: n2g writes only files of its own there; "
                "remove the link or choose another output"
            ) from None
        raise


def open_append(path: Path, *, mode: int = 0o644) -> IO[str]:
    """`path` opened to append text (created if absent), for a writer whose resuming
    needs appends; N2GError if a symlink sits at `path` (it is never followed)."""
    fd = _open_no_link(Path(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
    return os.fdopen(fd, "a", encoding="utf-8")


def open_existing(path: Path) -> IO[bytes]:
    """An existing file opened to read and change in place (a resume cutting a torn
    tail); N2GError if a symlink sits at `path` (it is never followed)."""
    fd = _open_no_link(Path(path), os.O_RDWR, 0)
    return os.fdopen(fd, "rb+")


def save_figure(figure: Any, path: Path, *, mode: int = 0o644) -> None:
    """Save a matplotlib figure to `path` (its suffix names the format) as `open_atomic`
    writes: matplotlib writes into our file object, never to the path itself."""
    with open_atomic(path, binary=True, mode=mode) as handle:
        figure.savefig(handle, format=Path(path).suffix.lstrip(".").lower() or "png")
