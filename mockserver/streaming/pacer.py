"""One timer for all paced streams: due frames written from the event loop's timer callback.

A stream that sleeps until each deadline costs, per frame, a loop timer, a future and a
wake-up of its handler task; with 500 streams at 50 frames/s each that bookkeeping, not the
writing, fills the core. The Pacer keeps every stream's next deadline in one heap and arms
a single loop timer for the earliest. When it fires, every stream due (within _SLACK_MS)
writes the frames due by then straight to its transport and goes back into the heap; the
handler task sleeps on one future for the whole stream.

Frames go to the transport in the body framing aiohttp chose for the prepared response
(HTTP/1.1 chunked: `<size hex>\\r\\n<data>\\r\\n`), the same bytes its writer would send;
only the first write (which carries the buffered headers) and the end go through aiohttp.
Anything else (compression, no chunking, a first frame not due yet) is not paced here:
`can_pace` says so and the caller keeps to pacing.write_paced.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
import weakref
from collections.abc import Callable, Sequence

from aiohttp import web

_SLACK_MS = 0.25  # frames due this soon are written now (as pacing.write_paced does)
_POLL_S = 0.05  # a stream waiting longer is checked this often for a vanished client
_BUFFER_LIMIT = 0x10000  # a client this far behind is not written to until it catches up
_BACKOFF_S = 0.01
_pacers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Pacer] = weakref.WeakKeyDictionary()


def can_pace(response: web.StreamResponse, offsets: Sequence[float], start: float) -> bool:
    """Whether `pace` can write this prepared response (chunked, plain, first frame due)."""
    headers = response.headers
    return (
        headers.get("Transfer-Encoding", "").lower() == "chunked"
        and "Content-Encoding" not in headers
        and bool(offsets)
        and start + offsets[0] / 1000.0 <= time.monotonic() + _SLACK_MS / 1000.0
    )


async def pace(
    request: web.Request,
    response: web.StreamResponse,
    frames: Sequence[bytes],
    offsets: Sequence[float],
    start: float,
    on_written: Callable[[int], None],
) -> int:
    """Write frames[i] at start + offsets[i] ms (as write_paced does, without hooks).

    The frames due now go out through aiohttp (with the headers it holds back); the rest
    from the shared Pacer. Raises ConnectionResetError when the client leaves.
    """
    j = _due(offsets, 0, (time.monotonic() - start) * 1000.0)
    await response.write(b"".join(frames[:j]) if j > 1 else frames[0])
    on_written(j)
    if j >= len(frames):
        return j
    loop = asyncio.get_running_loop()
    stream = _Stream(request, frames, offsets, start, on_written, loop.create_future(), j)
    pacer = _pacers.get(loop)
    if pacer is None:
        pacer = _pacers[loop] = Pacer()
    pacer.add(stream, stream.next_wake(time.monotonic()))
    try:
        return await stream.done
    finally:
        stream.dead = True  # cancelled or failed: the Pacer drops it when next due


def _due(offsets: Sequence[float], i: int, elapsed_ms: float) -> int:
    """The end of the frames due with frame i (which counts as due), as write_paced joins them."""
    horizon = max(elapsed_ms, offsets[i]) + _SLACK_MS
    j, n = i + 1, len(offsets)
    while j < n and offsets[j] <= horizon:
        j += 1
    return j


class _Stream:
    __slots__ = ("dead", "done", "frames", "i", "offsets", "on_written", "t0", "transport")

    def __init__(
        self,
        request: web.Request,
        frames: Sequence[bytes],
        offsets: Sequence[float],
        t0: float,
        on_written: Callable[[int], None],
        done: asyncio.Future[int],
        i: int,
    ) -> None:
        # The connection's transport, once: it reports is_closing() after the client left.
        self.transport = request.transport
        self.frames, self.offsets, self.t0 = frames, offsets, t0
        self.on_written, self.done, self.i, self.dead = on_written, done, i, False

    def next_wake(self, now: float) -> float:
        due = self.t0 + self.offsets[self.i] / 1000.0
        return due if due < now + _POLL_S else now + _POLL_S

    def step(self, now: float) -> float | None:
        """Write what is due; the next time to wake, or None once finished or failed."""
        transport, done = self.transport, self.done
        if self.dead or done.done():
            return None
        if transport is None or transport.is_closing():
            done.set_exception(ConnectionResetError("the client left"))
            return None
        i, elapsed = self.i, (now - self.t0) * 1000.0
        if self.offsets[i] > elapsed + _SLACK_MS:
            return self.next_wake(now)  # a check for a vanished client only
        if transport.get_write_buffer_size() > _BUFFER_LIMIT:
            return now + _BACKOFF_S  # a slow reader: hold the frames, in order, until it reads
        j = _due(self.offsets, i, elapsed)
        data = self.frames[i] if j == i + 1 else b"".join(self.frames[i:j])
        transport.write(b"%x\r\n%b\r\n" % (len(data), data))
        self.i = j
        try:
            self.on_written(j)
        except Exception as exc:  # handed to the stream's task, which raises it
            done.set_exception(exc)
            return None
        if j >= len(self.frames):
            done.set_result(j)
            return None
        return self.next_wake(now)


class Pacer:
    """The deadlines of every paced stream of one event loop, and one timer for the earliest."""

    def __init__(self) -> None:
        # No reference to the loop: it keys the registry weakly, and a value holding it
        # would keep every finished loop alive.
        self._heap: list[tuple[float, int, _Stream]] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._armed = float("inf")

    def add(self, stream: _Stream, wake: float) -> None:
        heapq.heappush(self._heap, (wake, next(self._seq), stream))
        if wake < self._armed:
            self._arm(wake)

    def _arm(self, wake: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._armed = wake
        # call_at counts in loop.time(); deadlines in time.monotonic() (the streams' clock).
        loop = asyncio.get_running_loop()  # add() and _fire() run in the loop
        self._timer = loop.call_at(loop.time() + wake - time.monotonic(), self._fire)

    def _fire(self) -> None:
        self._timer, self._armed = None, float("inf")
        heap, now = self._heap, time.monotonic()
        horizon = now + _SLACK_MS / 1000.0
        while heap and heap[0][0] <= horizon:
            stream = heapq.heappop(heap)[2]
            wake = stream.step(now)
            if wake is not None:
                heapq.heappush(heap, (wake, next(self._seq), stream))
        if heap:
            self._arm(heap[0][0])
