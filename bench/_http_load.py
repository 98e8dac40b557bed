"""A load generator for bench/serve.py: closed-loop clients on raw asyncio sockets.

An HTTP client library (httpx, aiohttp) costs more CPU per request than a small server
answer does, so with 50 clients the generator itself would become what is measured. Here a
client is a keep-alive HTTP/1.1 connection writing prebuilt request bytes and reading just
enough of each response (status line, headers, body length, chunks) to find where it ends:
little CPU, and the generator's own CPU time is recorded beside the figures to show it.
Closed loop: each client sends its next request when its answer has arrived.

    m = run_load(port, ["/api/units/a", "/api/units/b"], clients=50, seconds=20, cycle=True)
    m.percentile(0.95), m.rps, m.failures

Separate from the driver so that the benchmark's setup and scenarios read apart from socket
handling, and so that the plain server (bench/_plain_server.py) shares HOST without
importing the driver.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

HOST = "127.0.0.1"


@dataclass
class Measured:
    """One scenario against one server."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    first_error: str | None = None
    seconds: float = 0.0
    body_bytes: int = 0
    client_cpu_s: float = 0.0  # the load generator's own CPU time

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def failures(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """Read one HTTP/1.1 response; return (status, body bytes, server closes)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked, close = None, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = b"close" in value.lower()
    if chunked:
        size_total = 0
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers
                return status, size_total, close
            await reader.readexactly(size + 2)
            size_total += size
    if length is not None:
        await reader.readexactly(length)
        return status, length, close
    body = await reader.read()  # no length: the body ends with the connection
    return status, len(body), True


async def _client(
    port: int, next_request: Callable[[], tuple[str, bytes] | None], deadline: float, out: Measured
) -> None:
    clock = time.perf_counter
    reader = writer = None
    try:
        while clock() < deadline:
            item = next_request()
            if item is None:
                return
            path, request = item
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            start = clock()
            try:
                writer.write(request)
                status, n_bytes, close = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                status, n_bytes, close = 0, 0, True
                if out.first_error is None:
                    out.first_error = f"GET {path}: {type(exc).__name__}: {exc}"
            out.latencies_ms.append((clock() - start) * 1000.0)
            out.statuses[status] += 1
            out.body_bytes += n_bytes
            if status != 200 and out.first_error is None:
                out.first_error = f"GET {path}: HTTP {status}"
            if close:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def _load(
    port: int, next_request: Callable[[], tuple[str, bytes] | None], clients: int, seconds: float
) -> Measured:
    out = Measured()
    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(
        *(_client(port, next_request, start + seconds, out) for _ in range(clients))
    )
    out.seconds = time.perf_counter() - start
    out.client_cpu_s = time.process_time() - cpu
    return out


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run_load(
    port: int, paths: Sequence[str], *, clients: int, seconds: float, cycle: bool
) -> Measured:
    """`clients` connections asking for `paths` in order (shared among them) for `seconds`
    (or until the paths run out, unless `cycle`)."""
    requests = [
        (p, f"GET {p} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: */*\r\n\r\n".encode())
        for p in paths
    ]
    position = 0

    def next_request() -> tuple[str, bytes] | None:
        nonlocal position
        if position >= len(requests):
            if not cycle or not requests:
                return None
            position = 0
        position += 1
        return requests[position - 1]

    with asyncio.Runner(loop_factory=_new_loop) as runner:
        return runner.run(_load(port, next_request, clients, seconds))
