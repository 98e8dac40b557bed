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


def _listening_inodes(port: int) -> set[int] | None:
    """Inodes of the sockets listening on TCP `port` (any address), from /proc/net/tcp and
    tcp6; None where there is no /proc to read (not Linux)."""
    inodes: set[int] = set()
    found_table = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        found_table = True
        for line in lines:
            fields = line.split()
            listens = len(fields) > 9 and fields[3] == TCP_LISTEN
            if listens and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(int(fields[9]))
    return inodes if found_table else None


def socket_inodes(pid: int) -> set[int]:
    """Inodes of the sockets process `pid` holds open (readable for this user's own
    processes only: another user's process gives the empty set)."""
    out: set[int] = set()
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return out
    for name in names:
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{name}")
            if target.startswith("socket:["):
                out.add(int(target[8:-1]))
    return out


TCP_ESTABLISHED = "01"


def _tcp_entries(table: str, port: int) -> list[tuple[int, int, str, int]] | None:
    """(local port, remote port, state, inode) of the loopback TCP sockets of this network
    namespace that have `port` at one end, from one /proc/net table (IPv4-mapped
    addresses included in tcp6); None where the table cannot be read."""
    try:
        lines = Path(table).read_text().splitlines()[1:]
    except OSError:
        return None
    needle = f":{port:04X} "
    entries = []
    for line in lines:
        if needle not in line:  # most lines: a cheap test before splitting
            continue
        fields = line.split()
        if len(fields) <= 9:
            continue
        local, remote = fields[1].rsplit(":", 1), fields[2].rsplit(":", 1)
        if _is_loopback(local[0]) and _is_loopback(remote[0]):
            entries.append((int(local[1], 16), int(remote[1], 16), fields[3], int(fields[9])))
    return entries


def _is_loopback(hex_address: str) -> bool:
    """127.0.0.0/8, as /proc/net/tcp writes it (little-endian words), or ::1, or
    ::ffff:127.x.y.z (an IPv4 connection to a dual-stack socket)."""
    if len(hex_address) == 8:
        return hex_address.endswith("7F")
    if hex_address == "00000000000000000000000001000000":
        return True
    return hex_address[:24] == "0000000000000000FFFF0000" and hex_address.endswith("7F")


def peer_inodes(port: int) -> dict[int, int] | None:
    """For each established connection of this process to TCP `port` on loopback, its
    socket's inode -> the inode of the socket at the other end (0: that end is held by no
    process any more, or not accepted yet). None where there is no /proc to read.

    The other end of a connection is the entry whose local port is `port` and whose remote
    port is ours: its inode is the socket the answering process accepted, so the peers
    being among `socket_inodes(server_pid)` proves who answered, with no race: the
    connection exists already. The IPv4 table is read first; tcp6 only when a peer is not
    there (a dual-stack listener)."""
    ours = socket_inodes(os.getpid())
    entries = _tcp_entries("/proc/net/tcp", port)
    if entries is None:
        return None
    mine: dict[int, int] = {}  # our local port -> our inode
    peers: dict[int, int] = {}  # our local port -> the peer's inode
    for table in ("/proc/net/tcp6", None):
        for local, remote, state, inode in entries:
            if state != TCP_ESTABLISHED:
                continue
            if inode in ours and remote == port:
                mine[local] = inode
            elif local == port:
                peers[remote] = inode
        if table is None or set(mine) <= set(peers):
            break
        entries = _tcp_entries(table, port) or []
    return {inode: peers.get(local, 0) for local, inode in mine.items()}


def own_sockets() -> dict[int, int] | None:
    """This process's open sockets: inode -> a file descriptor holding it (None: no /proc)."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return None
    found: dict[int, int] = {}
    for name in names:
        with contextlib.suppress(OSError, ValueError):
            target = os.readlink(f"/proc/self/fd/{name}")
            if target.startswith("socket:["):
                found[int(target[8:-1])] = int(name)
    return found


def peer_port(fd: int) -> int | None:
    """The remote port of the TCP connection on descriptor `fd` when it is connected to a
    loopback address; -1 when connected elsewhere or not TCP; None when not connected (yet)
    or gone."""
    try:
        with socket.socket(fileno=os.dup(fd)) as dup:
            if dup.type != socket.SOCK_STREAM or dup.family not in (
                socket.AF_INET,
                socket.AF_INET6,
            ):
                return -1
            host, port = dup.getpeername()[:2]
    except OSError:
        return None
    loopback = host.startswith("127.") or host in ("::1",) or host.startswith("::ffff:127.")
    return int(port) if loopback else -1


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
