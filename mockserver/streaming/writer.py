"""The paced writer: every stream's frames at their absolute deadlines, due frames in one write.

`write_paced` writes frames[i] at start + offsets[i] ms. Deadlines are absolute, so a late
wake-up never accumulates into drift. Every frame due by the time the writer wakes (all of
them, for a zero-delay stream) leaves in ONE write, up to `_BATCH_BYTES` at a time: a slice
of the frames' joined bytes (http/sse.Frames), or those bytes themselves.

The writer is one small state machine (`_Stream.advance`) driven by a timer. With a sink
that can write synchronously (a prepared chunked response: `ResponseSink` frames each batch
as an HTTP/1.1 chunk straight onto the transport), a paced frame costs one loop timer and
one transport write, and the stream's task sleeps on a single future until the end. The task
only wakes for what must be awaited: a fault action at an event index (`actions[i]` runs once
event i is due and everything before it is written, before event i itself), an asynchronous
write (the first one, which carries aiohttp's held-back headers; a test's sink; the last one,
when `close` ends the stream with it), or the end.

Backpressure: while the transport holds more than its high-water mark (a reader that does
not read), nothing more is written; the stream checks again every `_BACKOFF_S`. The server
thus buffers at most one batch beyond the mark, however long the stream.

A client that left (`alive()` false) ends the writer with ConnectionResetError, checked
before each write and every `_POLL_S` of a long wait. The clock is injectable: with a
`clock` and `sleep` other than the real ones, waits go through `sleep` (tests).
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left, bisect_right
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, TypeAlias

from mockserver.http.sse import Frames

if TYPE_CHECKING:  # no aiohttp at import: streaming.schedule (pure) re-exports this module
    from aiohttp import web

EventAction = Callable[[], Awaitable[None]]
Write = Callable[[bytes], Awaitable[None]]

_SLACK_MS = 0.25  # frames due this soon are written now: not worth another timer
_POLL_S = 0.05  # how soon a long wait notices that the client left (with `alive`)
_BACKOFF_S = 0.01  # how often a stream held back by a full transport buffer looks again
_BATCH_BYTES = 0x10000  # at most this much in one write (then backpressure applies)
_HIGH_WATER = 0x10000  # a transport's default high-water mark, when it does not say
_NO_ACTIONS: Mapping[int, EventAction] = {}


class Sink(Protocol):
    """Where frames go. `write_now` writes at once if it can (True), else the writer's task
    awaits `write`; `blocked` says the reader is behind; `alive` (None: no check) that it
    is still there."""

    @property
    def alive(self) -> Callable[[], bool] | None: ...

    def write_now(self, data: bytes) -> bool: ...

    def write(self, data: bytes) -> Awaitable[None]: ...

    def blocked(self) -> bool: ...


class CallSink:
    """An async callable as a sink (every write awaited by the writer's task)."""

    __slots__ = ("alive", "write")

    def __init__(self, write: Write, alive: Callable[[], bool] | None = None) -> None:
        self.write = write
        self.alive = alive

    def write_now(self, data: bytes) -> bool:
        return False

    def blocked(self) -> bool:
        return False


class DiscardSink:
    """Nothing is written: a background Run moves along its timeline (progress only)."""

    alive: Callable[[], bool] | None = None

    def write_now(self, data: bytes) -> bool:
        return True

    async def write(self, data: bytes) -> None:
        return None

    def blocked(self) -> bool:
        return False


class ResponseSink:
    """A prepared aiohttp StreamResponse. The first write goes through aiohttp (it carries the
    headers aiohttp holds back); later ones, on a plain chunked response, go straight to the
    transport framed as aiohttp frames them (`<size hex>\\r\\n<data>\\r\\n`). Anything else
    (compression, HTTP/1.0 without chunking) is written through aiohttp every time."""

    __slots__ = ("_direct", "_high", "_response", "_started", "_transport")

    def __init__(self, request: web.Request, response: web.StreamResponse) -> None:
        headers = response.headers
        self._response = response
        self._transport = transport = request.transport
        self._direct = (
            headers.get("Transfer-Encoding", "").lower() == "chunked"
            and "Content-Encoding" not in headers
        )
        self._started = False
        limits = getattr(transport, "get_write_buffer_limits", None)
        self._high = limits()[1] if limits is not None else _HIGH_WATER

    def alive(self) -> bool:
        transport = self._transport
        return transport is not None and not transport.is_closing()

    def write_now(self, data: bytes) -> bool:
        if not (self._started and self._direct):
            return False
        transport = self._transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("the client left")
        transport.write(b"%x\r\n%b\r\n" % (len(data), data))
        return True

    async def write(self, data: bytes) -> None:
        self._started = True
        await self._response.write(data)

    async def close(self, data: bytes) -> None:
        """Write the last frames and end the body, in one write (with the headers if they
        are still held back): no separate write of the final chunk."""
        self._started = True
        await self._response.write_eof(data)

    def blocked(self) -> bool:
        transport = self._transport
        return transport is not None and transport.get_write_buffer_size() > self._high


class _Handle(Protocol):
    def cancel(self) -> object: ...


class _Timer(Protocol):
    def now(self) -> float: ...

    def call_at(self, when: float, callback: Callable[[], None]) -> _Handle: ...


class _LoopTimer:
    """Real time: the event loop's own timers (deadlines in time.monotonic())."""

    def now(self) -> float:
        return time.monotonic()

    def call_at(self, when: float, callback: Callable[[], None]) -> _Handle:
        return asyncio.get_running_loop().call_later(when - time.monotonic(), callback)


class _SleepTimer:
    """An injected clock: a wait is a task that awaits `sleep` (only when there is a wait)."""

    def __init__(self, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]):
        self._clock, self._sleep = clock, sleep

    def now(self) -> float:
        return self._clock()

    def call_at(self, when: float, callback: Callable[[], None]) -> _Handle:
        return asyncio.get_running_loop().create_task(self._later(when, callback))

    async def _later(self, when: float, callback: Callable[[], None]) -> None:
        await self._sleep(when - self._clock())
        callback()


_REAL_TIME = _LoopTimer()


async def write_paced(
    frames: Frames,
    offsets: Sequence[float],
    sink: Sink | Write,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    start: float | None = None,
    first: int = 0,
    actions: Mapping[int, EventAction] | None = None,
    on_written: Callable[[int], None] | None = None,
    alive: Callable[[], bool] | None = None,
    close: Write | None = None,
) -> int:
    """Write frames[i] at start + offsets[i] ms, from frames[first]; returns the index reached.

    `sink` is a Sink or an async callable. `on_written(n)` reports progress after each write,
    so a caller still knows how far it got when a write raises. `alive` (default: the sink's)
    false ends the writer with ConnectionResetError. `close`, if given, writes the last
    frames instead of the sink and ends the stream with them (`ResponseSink.close`: the last
    chunk and the end of the body in one write).
    """
    out: Sink = CallSink(sink) if callable(sink) else sink
    real = clock is time.monotonic and sleep is asyncio.sleep
    timer: _Timer = _REAL_TIME if real else _SleepTimer(clock, sleep)
    stream = _Stream(frames, offsets, out, timer, clock() if start is None else start, first)
    stream.actions = actions or _NO_ACTIONS
    stream.on_written = on_written
    stream.alive = alive if alive is not None else out.alive
    stream.close = close
    return await stream.run()


class _Stream:
    """One stream's progress along its timeline."""

    __slots__ = (
        "acted",
        "actions",
        "alive",
        "close",
        "frames",
        "handle",
        "i",
        "offsets",
        "on_written",
        "sink",
        "t0",
        "timer",
        "waiter",
    )

    def __init__(
        self,
        frames: Frames,
        offsets: Sequence[float],
        sink: Sink,
        timer: _Timer,
        t0: float,
        first: int,
    ) -> None:
        self.frames, self.offsets, self.sink, self.timer = frames, offsets, sink, timer
        self.t0, self.i = t0, first
        self.actions: Mapping[int, EventAction] = _NO_ACTIONS
        self.on_written: Callable[[int], None] | None = None
        self.alive: Callable[[], bool] | None = None
        self.close: Write | None = None
        self.acted = -1  # the last index whose action ran
        self.handle: _Handle | None = None
        self.waiter: asyncio.Future[_Job] | None = None

    async def run(self) -> int:
        try:
            while True:
                job = self.advance()
                if job is None:  # a timer is armed: sleep until advance() needs this task
                    self.waiter = asyncio.get_running_loop().create_future()
                    job = await self.waiter
                if isinstance(job, _Done):
                    return self.i
                if isinstance(job, BaseException):
                    raise job
                if isinstance(job, int):
                    self.acted = job
                    await self.actions[job]()
                else:  # (no name keeps the data once written: a paced stream waits long)
                    close = self.close if job[1] == self.frames.n else None
                    await (close or self.sink.write)(job[0])
                    self.progress(job[1])
        finally:
            self.waiter = None
            if self.handle is not None:
                self.handle.cancel()
                self.handle = None

    def fire(self) -> None:
        """The timer callback: move along, and wake the task if it is needed."""
        self.handle = None
        waiter = self.waiter
        if waiter is None or waiter.done():
            return  # the task finished or was cancelled
        try:
            job = self.advance()
        except Exception as exc:  # handed to the task, which raises it
            job = exc
        if job is not None:
            waiter.set_result(job)

    def advance(self) -> _Job | None:
        """Write what is due (if the sink can, at once); None once a timer is armed, else
        what the task must do: an event index (run its action), (data, end) to write, an
        exception to raise, or _DONE."""
        frames, offsets, actions, sink = self.frames, self.offsets, self.actions, self.sink
        n = frames.n
        while True:
            i = self.i
            if i >= n:
                return _DONE
            alive = self.alive
            if alive is not None and not alive():
                return ConnectionResetError("the client left")
            now = self.timer.now()
            elapsed = (now - self.t0) * 1000.0
            at = offsets[i]
            if at > elapsed + _SLACK_MS:
                wait = (at - elapsed) / 1000.0
                if alive is not None and wait > _POLL_S:
                    wait = _POLL_S
                self.handle = self.timer.call_at(now + wait, self.fire)
                return None
            if actions and i in actions and self.acted != i:
                return i
            if sink.blocked():
                self.handle = self.timer.call_at(now + _BACKOFF_S, self.fire)
                return None
            # What is due by now joins this write (offsets[i] itself counts as due, whatever
            # float rounding says), up to the next action and at most _BATCH_BYTES (the frame
            # that crosses it included): found by bisection, not a Python step per frame.
            j = bisect_right(offsets, max(elapsed, at) + _SLACK_MS, i + 1, n)
            if actions:
                j = min((k for k in actions if i < k < j), default=j)
            # Where frames i to j - 1 are in the frames' bytes (the first and the last frame's
            # bounds known without a call: a zero-delay stream writes those bytes themselves).
            joined = frames.data
            start = frames.end(i - 1) if i else 0
            stop = frames.end(j - 1) if j < n else len(joined)
            if stop - start > _BATCH_BYTES:
                j = bisect_left(range(j), start + _BATCH_BYTES, i, j, key=frames.end) + 1
                stop = frames.end(j - 1)
            data = joined if stop - start == len(joined) else joined[start:stop]
            if (j == n and self.close is not None) or not sink.write_now(data):
                return (data, j)
            self.progress(j)

    def progress(self, j: int) -> None:
        self.i = j
        if self.on_written is not None:
            self.on_written(j)


class _Done:
    pass


_DONE = _Done()
_Job: TypeAlias = _Done | int | BaseException | tuple[bytes, int]
