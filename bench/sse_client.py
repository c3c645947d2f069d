"""A lean SSE client on asyncio protocols: arrival time of every frame, many streams at once.

A full HTTP client (aiohttp, httpx) costs tens of microseconds per chunk; with 500 streams
that is the client's own lateness showing up as the server's timing error. Here each
data_received does a bytes search and a timestamp, nothing else. The stream is requested
with `Connection: close`, so its end is the connection's end.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

_EVENT = re.compile(rb"event: ([A-Za-z0-9_.]+)")
_FRAME_END = b"\n\n"
# Connects in flight at once: more would overflow aiohttp's listen backlog (128), and a
# dropped SYN is retried only after a second, which would measure the kernel, not the server.
_BATCH = 100


def post_request(port: int, body: bytes, scenario: str = "") -> bytes:
    head = [
        "POST /v1/responses HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Authorization: Bearer bench",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    if scenario:
        head.append(f"X-Mock-Scenario: {scenario}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@dataclass
class StreamResult:
    sent: float = 0.0
    ended: float = 0.0
    status: int = 0
    arrivals: list[float] = field(default_factory=list)  # one per frame, in order
    types: list[bytes] = field(default_factory=list)
    nbytes: int = 0


class StreamProtocol(asyncio.Protocol):
    def __init__(self, request: bytes, first_frame: asyncio.Event | None = None) -> None:
        self.request = request
        self.result = StreamResult()
        self.done: asyncio.Future[StreamResult] = asyncio.get_running_loop().create_future()
        self.first_frame = first_frame
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._pos = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.result.sent = time.perf_counter()
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        res = self.result
        res.nbytes += len(data)
        buf = self._buf
        buf += data
        if not res.status and len(buf) >= 12:
            res.status = int(buf[9:12])
        pos = self._pos
        while (end := buf.find(_FRAME_END, pos)) >= 0:
            m = _EVENT.search(buf, pos, end)
            res.types.append(m.group(1) if m else b"")
            res.arrivals.append(now)
            pos = end + 2
        if pos > 1 << 16:  # drop what is parsed, now and then, not on every chunk
            del buf[:pos]
            pos = 0
        self._pos = pos
        if self.first_frame is not None and res.arrivals:
            self.first_frame.set()
            self.first_frame = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.result.ended = time.perf_counter()
        if not self.done.done():
            self.done.set_result(self.result)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_stream(
    port: int, body: bytes, scenario: str = "", first_frame: asyncio.Event | None = None
) -> StreamProtocol:
    loop = asyncio.get_running_loop()
    request = post_request(port, body, scenario)
    _, proto = await loop.create_connection(
        lambda: StreamProtocol(request, first_frame), "127.0.0.1", port
    )
    return proto


async def one_stream(port: int, body: bytes, scenario: str = "") -> StreamResult:
    proto = await open_stream(port, body, scenario)
    return await proto.done


async def many_streams(
    port: int, body: bytes, scenario: str, n: int, ramp_s: float = 0.0
) -> list[StreamResult]:
    """n streams, started evenly over ramp_s seconds (0: all at once); all their results
    once every one has ended."""
    if ramp_s <= 0:
        protos: list[StreamProtocol] = []
        for i in range(0, n, _BATCH):
            k = min(_BATCH, n - i)
            protos += await asyncio.gather(*(open_stream(port, body, scenario) for _ in range(k)))
        return list(await asyncio.gather(*(p.done for p in protos)))
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    tasks = []
    for i in range(n):
        delay = t0 + i * ramp_s / n - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(open_stream(port, body, scenario)))
    protos = list(await asyncio.gather(*tasks))
    return list(await asyncio.gather(*(p.done for p in protos)))


async def hold_streams(port: int, body: bytes, scenario: str, n: int) -> list[StreamProtocol]:
    """n streams that have each received their first frame (and are still open)."""
    events = [asyncio.Event() for _ in range(n)]
    protos: list[StreamProtocol] = []
    for i in range(0, n, _BATCH):
        batch = events[i : i + _BATCH]
        protos += await asyncio.gather(*(open_stream(port, body, scenario, e) for e in batch))
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), 60)
    return protos
