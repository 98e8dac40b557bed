"""The other end of a loopback connection: netlink and /proc agree with the real socket."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from n2g.db import tcp_peers


@pytest.fixture(params=["ipv4", "dual-stack"])
def listener(request) -> Iterator[socket.socket]:
    """A listening socket on loopback: IPv4, or IPv6 taking IPv4 too (as a thief may)."""
    if request.param == "ipv4":
        sock = socket.socket(socket.AF_INET)
        sock.bind(("127.0.0.1", 0))
    else:
        sock = socket.socket(socket.AF_INET6)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(("::", 0))
    sock.listen()
    with sock:
        yield sock


def _answers(own, peer) -> tuple[int, int]:
    return tcp_peers._netlink_peer_inode(own, peer), tcp_peers._proc_peer_inode(own, peer)


def test_the_peer_is_the_socket_the_listener_accepted(listener):
    port = listener.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port)) as client:
        ends = tcp_peers.loopback_peer(client.fileno())
        assert ends is not None and ends[1][1] == port
        assert _answers(*ends) == (0, 0)  # in the backlog: no process holds it yet
        accepted, _ = listener.accept()
        inode = os.fstat(accepted.fileno()).st_ino
        assert _answers(*ends) == (inode, inode)
        assert tcp_peers.peer_inode(*ends) == inode
        accepted.close()
        assert _answers(*ends) == (0, 0)  # closed: nobody holds that end


def test_our_sockets_are_listed_and_only_connected_ones_have_a_peer(tmp_path, listener):
    port = listener.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port)) as client, socket.socket() as idle:
        sockets = tcp_peers.own_sockets()
        assert sockets is not None
        assert os.fstat(client.fileno()).st_ino in sockets
        assert tcp_peers.loopback_peer(idle.fileno()) is None  # not connected
        with open(tmp_path / "f", "w") as handle:
            assert tcp_peers.loopback_peer(handle.fileno()) is None  # not a socket
