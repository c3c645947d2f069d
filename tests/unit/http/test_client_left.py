"""A client that resets its connection is a client that left, never a server error.

Before: a client gone before a stream's headers went out made `prepare()` raise
ClientConnectionResetError: logged as "unhandled error" with a traceback, journaled as a 500
`server_error`, and the stored response stayed `in_progress` for ever.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from mockserver.app import create_app
from mockserver.appkeys import EXCHANGE_SINKS, STORE
from mockserver.config import Config
from mockserver.http.exchange import Exchange
from mockserver.pipeline.streamed import CLIENT_CLOSED

SCENARIO = """
name: slow-start
rules:
  - name: late
    latency_ms: 300
    reply:
      - message: "{}"
"""


async def _send_then_reset(port: int, body: dict[str, object], reset_after: float) -> None:
    """Send a request, read nothing (a stalled reader), then reset the connection (RST)."""
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    data = json.dumps(body).encode()
    head = (
        "POST /v1/responses HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer sk-left\r\n"
        "X-Mock-Scenario: slow-start\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    writer.write(head.encode() + data)
    await writer.drain()
    await asyncio.sleep(reset_after)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[web.Application, int]]:
    """The app served as `mockserver serve` serves it (aiohttp's test server would cancel the
    handler when the client leaves, which serve does not)."""
    words = "word " * 20_000  # a long stream: a stalled reader fills the socket buffers
    (tmp_path / "slow.yaml").write_text(SCENARIO.format(words))
    app = create_app(Config(seed=4, scenarios=(tmp_path,)))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield app, runner.addresses[0][1]
    await runner.cleanup()


async def _final_status(app: web.Application) -> str:
    (tenant,) = app[STORE].tenants()
    (stored,) = tenant.responses.values()
    for _ in range(100):
        status = str(stored.response()["status"])
        if status != "in_progress":
            return status
        await asyncio.sleep(0.05)
    return status


@pytest.mark.parametrize(
    ("reset_after", "recorded"),
    [(0.05, CLIENT_CLOSED), (1.0, 200)],
    ids=["before-the-headers", "stalled-mid-stream"],
)
async def test_a_reset_is_a_client_that_left(
    served: tuple[web.Application, int],
    caplog: pytest.LogCaptureFixture,
    reset_after: float,
    recorded: int,
) -> None:
    app, port = served
    seen: list[Exchange] = []
    app[EXCHANGE_SINKS].append(seen.append)
    body = {"model": "gpt-4o-mini", "input": "hi", "stream": True}
    with caplog.at_level(logging.INFO):
        await _send_then_reset(port, body, reset_after)
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.05)
    (ex,) = seen
    assert (ex.status, ex.error_code, ex.stream_completed) == (recorded, None, False)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "Traceback" not in caplog.text
    # The model does not notice the client leaving: the response reaches its final status.
    assert await _final_status(app) == "completed"
