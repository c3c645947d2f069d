"""Transport faults: what happens to the connection before, or instead of, a proper answer.

Faults that drop the connection write (or not) straight to the socket and then return a
`Dropped` response, whose prepare() fails the way a vanished client does: aiohttp then
treats the exchange as a premature disconnection and logs nothing (no traceback, no task
left behind). Everything else goes through aiohttp's normal response path, so the
on_response_prepare headers (x-request-id, x-ratelimit-*) are still sent.
"""

from __future__ import annotations

import random
import socket
import struct
from collections.abc import Mapping, Sequence

from aiohttp import web

from mockserver.clock import SYSTEM_CLOCK, Clock
from mockserver.faults.spec import FaultSpec

# nginx's code for "closed the connection without an answer": what the journal records.
DROPPED_STATUS = 444
_POLL_S = 0.05  # how often a stall looks whether the client is still there
_HTML_REASONS = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class Dropped(web.StreamResponse):
    """Returned once a fault has ended the connection itself: nothing more is sent."""

    def __init__(self, fault: str) -> None:
        super().__init__(status=DROPPED_STATUS)
        self.fault = fault

    async def prepare(self, request: web.BaseRequest) -> None:
        # aiohttp handles a ConnectionError here as a client that went away: quietly.
        raise ConnectionResetError(f"connection dropped by fault {self.fault}")


def is_pre_answer(fault: FaultSpec) -> bool:
    """Faults that act before the headers of a non-streamed or streamed answer."""
    if fault.in_stream:
        return False
    return fault.kind in ("reset", "close", "latency", "stall", "garbage", "html_error")


def is_body_fault(fault: FaultSpec) -> bool:
    """Faults on the bytes of a non-streamed answer."""
    return not fault.in_stream and fault.kind in ("truncated_body", "malformed_chunk", "slow_close")


async def before_answer(
    request: web.Request,
    faults: Sequence[FaultSpec],
    rng: random.Random,
    clock: Clock = SYSTEM_CLOCK,
) -> web.StreamResponse | None:
    """Run the pre-answer faults in order; a response if one of them ended the exchange."""
    for fault in faults:
        if not is_pre_answer(fault):
            continue
        if fault.kind == "latency":
            assert fault.delay is not None
            await clock.sleep(fault.delay.sample_ms(rng) / 1000)
        elif fault.kind == "stall":
            if not await stall(request, fault.ms, clock):
                return Dropped("stall")  # the client gave up first
        else:
            return await _end_exchange(request, fault, rng)
    return None


async def _end_exchange(
    request: web.Request, fault: FaultSpec, rng: random.Random
) -> web.StreamResponse:
    if fault.kind == "html_error":
        return html_error(fault.status)
    if fault.kind == "garbage":
        # Ended by a blank line, so the client parses it as a (broken) status line at once.
        size = fault.bytes if fault.bytes is not None else 64
        write_raw(request, rng.randbytes(size) + b"\r\n\r\n")
        close(request)
    elif fault.kind == "reset":
        reset(request)
    else:
        close(request)
    return Dropped(fault.kind)


async def stall(request: web.Request, ms: float | None, clock: Clock = SYSTEM_CLOCK) -> bool:
    """Wait `ms` (None: until the client leaves); False if the client left meanwhile."""
    deadline = None if ms is None else clock.monotonic() + ms / 1000
    while not client_gone(request):
        left = _POLL_S if deadline is None else deadline - clock.monotonic()
        if left <= 0:
            return True
        await clock.sleep(min(left, _POLL_S))
    return False


def client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def reset(request: web.Request) -> None:
    """Close with a TCP RST: SO_LINGER 0 makes close() discard and reset."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def close(request: web.Request) -> None:
    """Close with a FIN after whatever was already written."""
    transport = request.transport
    if transport is not None:
        transport.close()


def write_raw(request: web.Request, data: bytes) -> None:
    """Bytes straight to the socket, outside aiohttp's HTTP framing."""
    transport = request.transport
    if transport is not None and not transport.is_closing():
        transport.write(data)


def html_error(status: int) -> web.Response:
    """A proxy's HTML error page (as a CDN in front of the API answers when it fails)."""
    reason = _HTML_REASONS.get(status, "Error")
    title = f"{status} {reason}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return web.Response(status=status, text=page, content_type="text/html")


async def send_body(
    request: web.Request,
    fault: FaultSpec,
    body: bytes,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/json",
    clock: Clock = SYSTEM_CLOCK,
) -> web.StreamResponse:
    """Answer `body` with a body fault: truncated, a malformed chunk, or a slow close."""
    resp = web.StreamResponse(status=status, headers=headers)
    resp.content_type = content_type
    if fault.kind == "truncated_body":
        resp.content_length = len(body)  # promise it all, send part: the client sees a short read
        await resp.prepare(request)
        await resp.write(body[: _cut(fault, len(body))])
        close(request)
        return resp
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    if fault.kind == "malformed_chunk":
        request.writer.send_headers()
        write_raw(request, malformed_chunk(body))
        close(request)
        return resp
    await resp.write(body)
    # slow_close: everything is sent but the final chunk; the client waits for the end.
    await stall(request, fault.ms, clock)
    return resp


def _cut(fault: FaultSpec, size: int) -> int:
    if fault.bytes is not None:
        return min(fault.bytes, max(0, size - 1))
    return min(int(size * fault.fraction), max(0, size - 1))


def malformed_chunk(data: bytes) -> bytes:
    """A chunk whose size line is not hexadecimal: no HTTP parser accepts it."""
    return b"zz\r\n" + data + b"\r\n"
