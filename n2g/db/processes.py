"""Local processes and ports, as the local server needs them: free ports, who listens.

The local server (n2g.db.server) starts a JVM on ports it checked were free and must not
trust a listener it did not start (another local user may bind the port in between), and
must stop exactly the processes it started. These are the operating-system questions
behind that, answered from sockets and /proc (Linux), apart from the server's own logic.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from pathlib import Path


def port_is_free(port: int) -> bool:
    """Can a server bind TCP `port` on 127.0.0.1 right now?"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TCP_LISTEN = "0A"  # the LISTEN state in /proc/net/tcp


def tcp_rows(port: int) -> list[list[str]] | None:
    """The fields of every line of /proc/net/tcp and tcp6 with `port` at either end (a
    cheap text test before splitting: most lines have not); None where neither table can
    be read (not Linux)."""
    needle = f":{port:04X} "
    rows: list[list[str]] = []
    readable = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        readable = True
        rows += [fields for line in lines if needle in line and len(fields := line.split()) > 9]
    return rows if readable else None


def _listening_inodes(port: int) -> set[int] | None:
    """Inodes of the sockets listening on TCP `port` (any address); None where there is no
    /proc to read (not Linux)."""
    rows = tcp_rows(port)
    if rows is None:
        return None
    return {
        int(fields[9])
        for fields in rows
        if fields[3] == TCP_LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port
    }


def process_sockets(pid: int | str) -> dict[int, int] | None:
    """The sockets process `pid` ("self": this one) holds open: inode -> a descriptor
    holding it. None where its descriptors cannot be listed (no /proc, or another user's
    process)."""
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    found: dict[int, int] = {}
    for name in names:
        with contextlib.suppress(OSError, ValueError):
            target = os.readlink(f"/proc/{pid}/fd/{name}")
            if target.startswith("socket:["):
                found[int(target[8:-1])] = int(name)
    return found


def socket_inodes(pid: int) -> set[int]:
    """Inodes of the sockets process `pid` holds open (readable for this user's own
    processes only: another user's process gives the empty set)."""
    return set(process_sockets(pid) or ())


def process_uid(pid: int) -> int | None:
    """The user id that owns process `pid` (None when it is gone or unreadable)."""
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def port_held_by(pid: int, port: int) -> bool | None:
    """Is everything listening on `port` a socket of process `pid`? None: nothing listens
    there yet, or this system has no /proc to tell (then the caller cannot know)."""
    listening = _listening_inodes(port)
    if not listening:
        return None
    return listening <= socket_inodes(pid)


def stop_process(pid: int, timeout_s: float = 30.0) -> None:
    """Stop one process by id: SIGTERM (ArcadeDB shuts down cleanly), SIGKILL if it lingers."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our child: reap it
                return
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
