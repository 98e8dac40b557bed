"""Which process is our local server, and proving that it is the one on the other end.

The local server's root password must reach that server and nothing else. Checking who
listens once, when the server starts, is not enough: the neo4j driver re-connects on its
own whenever a pooled connection dies, so a `n2g serve` or a long ingest that outlives
its server (`n2g db down`, a crash, an OOM kill, `n2g db clear --yes`) would send the
password to whatever process binds the port next, another local user's included.

So every connection proves its peer before the credentials are handed over: the driver
asks for them (`get_auth`) after its socket is connected and the Bolt handshake is
answered, and before HELLO/LOGON. At that moment the socket at the other end of each of
our connections to the port exists, and /proc names its inode; it must be one of the
sockets of the process our pid file names, and that process must be our ArcadeDB server
rooted in this folder, run by this user. No race: the connection that will carry the
password is the one examined. Where there is no /proc (not Linux) the peer cannot be
proved; the check then settles for our server process being alive (docs/promises.md says so).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path

from n2g.db.processes import process_uid, socket_inodes
from n2g.db.server_folder import read_file
from n2g.db.tcp_peers import loopback_peer, own_sockets, peer_inode
from n2g.errors import DatabaseUnavailable, N2GError, printable

MAIN_CLASS = "com.arcadedb.server.ArcadeDBServer"
PID_FILE = "server.pid"


class UntrustedListener(DatabaseUnavailable):
    """The process on the other end of a connection is not our local server: nothing was
    sent to it (raised inside the driver before the credentials leave)."""


def root_flag(home: Path) -> bytes:
    """The server's command-line flag that names its folder (how its process is known)."""
    return f"-Darcadedb.server.rootPath={home / 'root'}".encode()


def read_pid(home: Path) -> int | None:
    """The pid the folder's pid file names (None: no file, or not a number); N2GError for
    a link there or a file of another user (n2g.db.server_folder)."""
    try:
        return int((read_file(home / PID_FILE) or "").strip())
    except (OSError, ValueError):
        return None


def is_our_server(pid: int, home: Path) -> bool:
    """True when `pid` is alive, run by this user, and is the ArcadeDB server rooted in
    `home` (its command line names both)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        if sys.platform.startswith("linux"):
            return False
        try:  # no /proc: settle for "alive"
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    if process_uid(pid) != os.geteuid():
        return False
    return MAIN_CLASS.encode() in cmdline and root_flag(home) in cmdline


def orphaned_pids(home: Path) -> list[int]:
    """This user's ArcadeDB servers rooted in `home` that its pid file does not name: left
    running when the folder (with its pid file) was deleted or moved under them. Found by
    their command line, which names the folder."""
    flag = root_flag(home)
    named = None
    with contextlib.suppress(N2GError):  # a pid file not to be trusted names nothing
        named = read_pid(home)
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError):
            if entry.stat().st_uid != os.geteuid() or int(entry.name) == named:
                continue
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            if MAIN_CLASS.encode() in cmdline and flag in cmdline:
                found.append(int(entry.name))
    return sorted(found)


def _server_pid(home: Path, port: int) -> int:
    """The pid of our server rooted in `home`; UntrustedListener when none runs."""
    pid = read_pid(home)
    if pid is None or not is_our_server(pid, home):
        gone = "its data folder is gone" if not home.is_dir() else "it is not running"
        raise UntrustedListener(
            f"the local server at 127.0.0.1:{port} stopped ({gone}; {printable(str(home))}): "
            "nothing was sent to whatever listens there now; start it again with `n2g db up`"
        )
    return pid


def _impostor(pid: int, port: int) -> UntrustedListener:
    return UntrustedListener(
        f"a process other than the local server (pid {pid}) answers at 127.0.0.1:{port}: "
        "nothing was sent to it; `n2g db status` says where the server listens "
        "(`n2g db down` then `n2g db up` restarts it)"
    )


class PeerGuard:
    """Proves, for one Database, that each of its connections to the local server's port
    is answered by that server (the module docstring says why and when).

    The driver asks for the credentials on every new connection and every time it hands
    out a pooled one ("very frequently", its documentation warns). A connection's peer
    cannot change, so a socket of ours proved once stays proved: each call examines only
    the sockets it has not seen, and asks the kernel about those connected to the port.
    It fails closed: a socket that cannot be examined, or whose peer cannot be found out,
    refuses the credentials."""

    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port = home, port
        self._proved: set[int] = set()  # our sockets connected to the server, proved
        self._elsewhere: set[int] = set()  # our sockets connected to something else
        self._lock = threading.Lock()

    def check(self) -> None:
        with self._lock:
            sockets = own_sockets()
            if sockets is None:  # no /proc: the server is alive, all that can be known
                _server_pid(self.home, self.port)
                return
            pid: int | None = None
            self._proved &= sockets.keys()
            self._elsewhere &= sockets.keys()
            server_sockets: set[int] | None = None
            for inode, fd in sockets.items():
                if inode in self._proved or inode in self._elsewhere:
                    continue
                try:
                    ends = loopback_peer(fd)
                    if ends is None or ends[1][1] != self.port:
                        if ends is not None:
                            self._elsewhere.add(inode)
                        continue
                    pid = pid or _server_pid(self.home, self.port)
                    peer = peer_inode(*ends)
                except OSError as exc:  # unprovable: fail closed
                    raise UntrustedListener(
                        f"cannot prove that the local server answers at 127.0.0.1:{self.port} "
                        f"({exc.strerror or exc}): nothing was sent"
                    ) from None
                if not peer:
                    continue  # that end is closed: nothing sent there reaches anyone
                if server_sockets is None or peer not in server_sockets:
                    # Listed afresh when not found: another thread's connection may have
                    # been accepted after the last listing.
                    server_sockets = socket_inodes(pid)
                if peer not in server_sockets:
                    raise _impostor(pid, self.port)
                self._proved.add(inode)
