"""A minimal keep-alive HTTP/1.1 client for counted runs (wrk runs for a time, not a count).

Each worker keeps one connection and sends the next request when the answer is in, so the
server sees exactly n requests; a few tens of microseconds of client work per request.
"""

from __future__ import annotations

import asyncio

from .procs import API_KEY


def request_bytes(port: int, body: bytes, api_key: str = API_KEY) -> bytes:
    head = (
        f"POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {api_key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _worker(port: int, request: bytes, count: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    received = 0
    try:
        for _ in range(count):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            lower = head.lower()
            at = lower.find(b"content-length:")
            if status != 200 or at < 0:
                raise RuntimeError(f"unexpected answer: {head[:200]!r}")
            length = int(lower[at + 15 : lower.index(b"\r\n", at)])
            received += len(await reader.readexactly(length))
    finally:
        writer.close()
    return received


async def post_many(
    port: int, body: bytes, n: int, concurrency: int = 8, api_key: str = API_KEY
) -> int:
    """n POSTs over `concurrency` connections; the total size of the answer bodies."""
    request = request_bytes(port, body, api_key)
    shares = [n // concurrency + (i < n % concurrency) for i in range(concurrency)]
    sizes = await asyncio.gather(*(_worker(port, request, k) for k in shares if k))
    return sum(sizes)
