"""The local server's folder, trusted only when it is ours.

The folder holds the root password, the pid file `n2g db down` stops and the log the
server appends to. `N2G_DATA_DIR` or `XDG_DATA_HOME` may point anywhere, and a folder
another user made (or can write to) is theirs to fill: a symlink at `server.log` or
`server.pid` would make us append to or overwrite a file of our choosing, a planted
`password` would become our root password, and a folder they can rename can be swapped
under us between two checks. So, before any file there is read or written:

- the folder and the data folder above it are real folders (not links), owned by this
  user and writable by nobody else; every folder above those is owned by this user or
  root, and writable by others only when sticky (as /tmp is);
- each file is opened without following a link (O_NOFOLLOW) and must be a regular file
  of this user, writable by nobody else; the password file readable by nobody else.

A refusal is one line naming the path and the fix. Files are written whole and the log is
appended to through n2g.files, which never follows a link either.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import IO

from n2g.errors import N2GError, printable
from n2g.files import open_append, write_text_atomic

_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH
_OTHERS_ANY = stat.S_IRWXG | stat.S_IRWXO


def _refuse(path: Path, why: str, fix: str) -> N2GError:
    return N2GError(f"the local server refuses {printable(str(path))}: it {why}; {fix}")


_USE_YOURS = "point N2G_DATA_DIR at a folder of your own (unset, it is ~/.local/share/n2g)"


def _check_own_folder(path: Path) -> None:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise _refuse(path, "is a link or not a folder", _USE_YOURS)
    if info.st_uid != os.geteuid():
        raise _refuse(path, f"belongs to another user (uid {info.st_uid})", _USE_YOURS)
    if info.st_mode & _OTHERS_WRITE:
        raise _refuse(path, "is writable by other users", f"`chmod go-w {printable(str(path))}`")


def _check_ancestor(path: Path) -> None:
    info = path.stat()
    if info.st_uid not in (0, os.geteuid()):
        raise _refuse(path, f"belongs to another user (uid {info.st_uid})", _USE_YOURS)
    # A group-writable folder of this user's own group (umask 002 systems) is this user's.
    own_group = info.st_uid == os.geteuid() and info.st_gid == os.getegid()
    writable = info.st_mode & (stat.S_IWOTH if own_group else _OTHERS_WRITE)
    if writable and not info.st_mode & stat.S_ISVTX:
        raise _refuse(path, "is writable by other users and not sticky", _USE_YOURS)


def check_folder(home: Path) -> None:
    """N2GError (one line) unless `home` and every folder above it are safe to trust (the
    module docstring's rules). Parts that do not exist yet are not checked."""
    home = Path(os.path.abspath(home))
    own = [home, home.parent]  # the server folder and the data folder holding it
    for path in own:
        if path.exists() or path.is_symlink():
            _check_own_folder(path)
    for path in list(home.parents)[1:]:
        if path.exists():
            _check_ancestor(path)


def make_folder(home: Path) -> None:
    """Create `home` (and its data folder) readable by this user only, then check it."""
    check_folder(home)
    for path in (home.parent, home):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700, parents=True)
    os.chmod(home, 0o700)  # the server's files hold the user's data
    check_folder(home)


def _check_file(fd: int, path: Path, *, secret: bool) -> None:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(path, "is not a regular file", "move it away")
    if info.st_uid != os.geteuid():
        raise _refuse(path, f"belongs to another user (uid {info.st_uid})", "move it away")
    if info.st_mode & (_OTHERS_ANY if secret else _OTHERS_WRITE):
        mode = "600" if secret else "go-w"
        raise _refuse(path, "is open to other users", f"`chmod {mode} {printable(str(path))}`")


def _open(path: Path, flags: int, mode: int = 0o600) -> int:
    try:
        return os.open(path, flags | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), mode)
    except OSError as exc:
        if path.is_symlink():
            raise _refuse(path, "is a symbolic link", "remove it") from None
        raise exc


def read_file(path: Path, *, secret: bool = False) -> str | None:
    """The text of a file of the folder (None when there is none), refusing a link, a file
    of another user, or one others can write (or, `secret`, read)."""
    try:
        fd = _open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as handle:
        _check_file(fd, path, secret=secret)
        return handle.read().decode("utf-8", errors="replace")


def write_file(path: Path, text: str) -> None:
    """Write `text` to `path` whole, readable by this user only (n2g.files: a new file of
    a random name, created exclusively, renamed over `path`, never through a link)."""
    write_text_atomic(path, text, mode=0o600)


def open_log(path: Path) -> IO[str]:
    """The server's log, opened to append (created 0600, never through a link), refusing
    a file of another user or one others can write."""
    handle = open_append(path, mode=0o600)
    try:
        _check_file(handle.fileno(), path, secret=False)
    except N2GError:
        handle.close()
        raise
    return handle
