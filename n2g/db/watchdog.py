"""A bounded wait on the database: a server that stops answering ends a call in seconds.

The driver bounds connecting and retrying, but not reading: a server that keeps its sockets
open while answering nothing (a frozen or stopped JVM, a half-dead container, a partition)
leaves a call blocked for ever in a socket read. A plain read timeout cannot tell that from
a busy server computing a long answer, so the watchdog asks a second question instead:
while a call has run for `probe_after` seconds, it opens a fresh connection every
`probe_every` seconds and sends the Bolt handshake, which any live server answers at once
whatever its queries are doing. After `failures` unanswered handshakes in a row the server
counts as dead: the watchdog shuts down this process's sockets to that address, the blocked
read returns, the driver gives up after its bounded retries, and the caller turns that into
one line (`stopped_answering`). No credential is ever sent by a probe.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

# "GoGoBolt" preamble, then four version proposals (5.0 to 5.4, 4.4, 4.3, 4.2), as Bolt has it.
HANDSHAKE = bytes.fromhex("6060B017") + struct.pack(">4I", 0x00040405, 0x00000404, 0x3, 0x2)
SECURE_SCHEMES = ("bolt+s", "bolt+ssc", "neo4j+s", "neo4j+ssc")


def address_of(uri: str) -> tuple[str, int, bool]:
    """(host, port, secure) of a bolt:// or neo4j:// address (default port 7687)."""
    parts = urlsplit(uri)
    return parts.hostname or "localhost", parts.port or 7687, parts.scheme in SECURE_SCHEMES


def answers_handshake(host: str, port: int, secure: bool, timeout: float) -> bool:
    """True when a fresh connection to host:port answers the Bolt handshake in `timeout`."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            raw.settimeout(timeout)
            conn: socket.socket = raw
            if secure:  # only liveness is asked: nothing is sent that needs the peer trusted
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                conn = context.wrap_socket(raw, server_hostname=host)
            conn.sendall(HANDSHAKE)
            answer = b""
            while len(answer) < 4:
                chunk = conn.recv(4 - len(answer))
                if not chunk:
                    return False
                answer += chunk
            return True
    except (OSError, ssl.SSLError):
        return False


def cut_connections(host: str, port: int) -> int:
    """Shut down every socket of this process connected to host:port (a blocked read on one
    returns at once); return how many. Linux: the sockets are found through /proc/self/fd."""
    try:
        peers = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
        names = os.listdir("/proc/self/fd")
    except OSError:
        return 0
    cut = 0
    for name in names:
        with contextlib.suppress(OSError, ValueError):
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            with socket.socket(fileno=os.dup(int(name))) as dup:  # the same connection
                peer = dup.getpeername()
                if isinstance(peer, tuple) and peer[0] in peers and peer[1] == port:
                    dup.shutdown(socket.SHUT_RDWR)
                    cut += 1
    return cut


class Watchdog:
    """Watches the calls made through `watching()`; `dead` once the server stops answering."""

    def __init__(
        self,
        uri: str,
        *,
        probe_after: float = 5.0,
        probe_every: float = 4.0,
        probe_timeout: float = 4.0,
        failures: int = 2,
    ) -> None:
        self.host, self.port, self.secure = address_of(uri)
        self.probe_after, self.probe_every = probe_after, probe_every
        self.probe_timeout, self.failures = probe_timeout, failures
        self.dead = False
        self._calls: dict[int, float] = {}  # call id -> start time
        self._next_id = 0
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def alive(self) -> bool:
        """Probe now; clears `dead` when the server answers again."""
        answered = answers_handshake(self.host, self.port, self.secure, self.probe_timeout)
        self.dead = self.dead and not answered
        return answered

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """Bracket one database call."""
        with self._changed:
            call, self._next_id = self._next_id, self._next_id + 1
            self._calls[call] = time.monotonic()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="n2g-db-watchdog")
                self._thread.daemon = True
                self._thread.start()
            self._changed.notify_all()
        try:
            yield
        finally:
            with self._changed:
                del self._calls[call]

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _oldest_call_age(self) -> float | None:
        with self._changed:
            while not self._calls and not self._closed:
                self._changed.wait()
            if self._closed:
                return None
            return time.monotonic() - min(self._calls.values())

    def _run(self) -> None:
        unanswered = 0
        while (age := self._oldest_call_age()) is not None:
            if self.dead:  # keep cutting the driver's retries until the calls give up
                cut_connections(self.host, self.port)
                time.sleep(0.5)
                continue
            if age < self.probe_after:
                time.sleep(min(self.probe_after - age, self.probe_every) + 0.01)
                continue
            started = time.monotonic()
            unanswered = 0 if self.alive() else unanswered + 1
            if unanswered >= self.failures:
                self.dead = True
                unanswered = 0
                continue
            time.sleep(max(0.0, self.probe_every - (time.monotonic() - started)))
