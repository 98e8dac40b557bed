"""Who is on the other end of one of our loopback TCP connections.

n2g.db.identity proves, before the local server's password is sent on a connection, that
the socket answering it belongs to our server. This module answers the operating-system
half: which of our sockets are connected to a loopback port, and the inode of the socket
at the other end of one of them, which names its owner (a socket is one of a process's
open files; /proc/PID/fd lists them).

The kernel is asked for that one socket by its four addresses (netlink `sock_diag`, as
`ss` does: microseconds, allowed to any user); where netlink is unavailable the TCP tables
in /proc/net are read instead (milliseconds on a busy machine: thousands of lines).
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import struct

from n2g.db.processes import process_sockets, tcp_rows

TCP_ESTABLISHED = 1
_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST = 1
_NLMSG_ERROR = 2
_NO_COOKIE = 0xFFFFFFFF
_MSG_HEADER = 16  # struct nlmsghdr
_ID_FIELDS = 48  # struct inet_diag_sockid


class PeerUnknown(OSError):
    """Neither netlink nor /proc could say who is at the other end."""


def own_sockets() -> dict[int, int] | None:
    """This process's open sockets: inode -> a file descriptor holding it (None: no /proc)."""
    return process_sockets("self")


def _is_loopback_host(host: str) -> bool:
    return host.startswith("127.") or host == "::1" or host.startswith("::ffff:127.")


def loopback_peer(fd: int) -> tuple[tuple[str, int], tuple[str, int]] | None:
    """((our address, our port), (its address, its port)) of the TCP connection on
    descriptor `fd` when it is connected to a loopback address; None when it is anything
    else (not TCP, not connected yet, elsewhere, closed). OSError when the descriptor
    cannot be examined (the caller cannot prove anything about it then)."""
    try:
        dup = socket.socket(fileno=os.dup(fd))
    except OSError as exc:
        if exc.errno in (errno.EBADF, errno.ENOTSOCK):
            return None  # closed meanwhile, or the number was reused by a file
        raise
    with dup:
        if dup.type != socket.SOCK_STREAM or dup.family not in (socket.AF_INET, socket.AF_INET6):
            return None
        try:
            peer, own = dup.getpeername(), dup.getsockname()
        except OSError as exc:
            if exc.errno == errno.ENOTCONN:
                return None
            raise
    if not _is_loopback_host(peer[0]):
        return None
    return (own[0], int(own[1])), (peer[0], int(peer[1]))


def peer_inode(own: tuple[str, int], peer: tuple[str, int]) -> int:
    """The inode of the socket at `peer` whose connection ends at `own` (0: no process
    holds that end: closed, or not accepted yet). PeerUnknown when it cannot be found out."""
    with contextlib.suppress(OSError):
        return _netlink_peer_inode(own, peer)
    return _proc_peer_inode(own, peer)


def _netlink_peer_inode(own: tuple[str, int], peer: tuple[str, int]) -> int:
    """Ask the kernel for the socket bound at `peer` and connected to `own` (as seen from
    the peer: its source is `peer`, its destination `own`)."""
    family = socket.AF_INET6 if ":" in peer[0] else socket.AF_INET
    source = socket.inet_pton(family, peer[0]).ljust(16, b"\0")
    target = socket.inet_pton(family, own[0]).ljust(16, b"\0")
    sock_id = struct.pack("!HH", peer[1], own[1]) + source + target
    sock_id += struct.pack("=III", 0, _NO_COOKIE, _NO_COOKIE)
    request = struct.pack("=BBBBI", family, socket.IPPROTO_TCP, 0, 0, 0xFFFFFFFF) + sock_id
    header = struct.pack(
        "=IHHII", _MSG_HEADER + len(request), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, 1, 0
    )
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_SOCK_DIAG) as netlink:
        netlink.settimeout(2.0)
        netlink.send(header + request)
        answer = netlink.recv(65536)
    (kind,) = struct.unpack_from("=H", answer, 4)
    if kind == _NLMSG_ERROR:
        (code,) = struct.unpack_from("=i", answer, _MSG_HEADER)
        if -code == errno.ENOENT:
            return 0  # no such socket: nobody holds that end
        raise OSError(-code, os.strerror(-code))
    state = answer[_MSG_HEADER + 1]
    _, their_port = struct.unpack_from("!HH", answer, _MSG_HEADER + 4)
    (inode,) = struct.unpack_from("=I", answer, _MSG_HEADER + 4 + _ID_FIELDS + 16)
    # A lookup that finds no connection may answer with the listener: not the peer.
    return int(inode) if state == TCP_ESTABLISHED and their_port == own[1] else 0


def _proc_peer_inode(own: tuple[str, int], peer: tuple[str, int]) -> int:
    """The same answer from /proc/net/tcp and tcp6 (ports and loopback addresses)."""
    rows = tcp_rows(peer[1])
    if rows is None:
        raise PeerUnknown("neither netlink nor /proc/net/tcp can be read")
    for fields in rows:
        if int(fields[3], 16) != TCP_ESTABLISHED:
            continue
        local, remote = fields[1].rsplit(":", 1), fields[2].rsplit(":", 1)
        ports = (int(local[1], 16), int(remote[1], 16))
        if ports == (peer[1], own[1]) and _is_loopback_hex(local[0]):
            return int(fields[9])
    return 0


def _is_loopback_hex(hex_address: str) -> bool:
    """127.0.0.0/8, as /proc/net/tcp writes it (little-endian words), or ::1, or
    ::ffff:127.x.y.z (an IPv4 connection to a dual-stack socket)."""
    if len(hex_address) == 8:
        return hex_address.endswith("7F")
    if hex_address == "00000000000000000000000001000000":
        return True
    return hex_address[:24] == "0000000000000000FFFF0000" and hex_address.endswith("7F")
