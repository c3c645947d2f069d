"""The paced writer (streaming/writer.py) and the compact frames a Run keeps for replay."""

from __future__ import annotations

import asyncio
import gc
import random
import time
import weakref
from collections.abc import Callable
from typing import Any, cast

from aiohttp import web
from streamcases import CASES

from mockserver.http import sse
from mockserver.http.sse import Frames
from mockserver.openai.events import StreamOptions, render_events
from mockserver.streaming import writer
from mockserver.streaming.writer import ResponseSink, write_paced


class FakeTransport:
    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.closing = False
        self.buffered = 0

    def write(self, data: bytes) -> None:
        self.out.append(data)

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (0x4000, 0x10000)


class FakeRequest:
    def __init__(self) -> None:
        self.transport = FakeTransport()


class FakeResponse:
    """A prepared chunked response; its writes (through aiohttp) are recorded unframed."""

    def __init__(self, transport: FakeTransport) -> None:
        self.headers = {"Transfer-Encoding": "chunked"}
        self.transport = transport
        self.writes = 0
        self.ended = False

    async def write(self, data: bytes) -> None:
        self.writes += 1
        self.transport.write(data)

    async def write_eof(self, data: bytes = b"") -> None:
        self.writes += 1
        self.ended = True
        self.transport.write(data)


class ManualTimer:
    """Time moves only when a test says so; armed timers are recorded, not run."""

    def __init__(self, now: float) -> None:
        self.t = now
        self.armed: list[float] = []

    def now(self) -> float:
        return self.t

    def call_at(self, when: float, callback: Callable[[], None]) -> asyncio.Handle:
        self.armed.append(when)
        return asyncio.get_running_loop().call_later(3600, callback)


def response_sink(started: bool = True) -> tuple[ResponseSink, FakeTransport, FakeResponse]:
    request = FakeRequest()
    response = FakeResponse(request.transport)
    sink = ResponseSink(cast(web.Request, request), cast(web.StreamResponse, response))
    sink._started = started  # the headers went out with an earlier write
    return sink, request.transport, response


def make_stream(
    frames: list[bytes], offsets: list[float], t0: float, first: int = 1
) -> tuple[writer._Stream, FakeTransport, list[int], ManualTimer]:
    sink, transport, _ = response_sink()
    timer = ManualTimer(t0)
    stream = writer._Stream(Frames.of(frames), offsets, sink, timer, t0, first)
    progress: list[int] = []
    stream.on_written, stream.alive = progress.append, sink.alive
    return stream, transport, progress, timer


async def test_a_step_writes_every_frame_due_as_one_http_chunk() -> None:
    frames = [b"a" * 3, b"bb", b"ccc", b"dddd"]
    stream, transport, progress, timer = make_stream(frames, [0, 10, 10.1, 50], 100.0)
    timer.t = 100.0 + 0.011  # frames 1 and 2 are due (2 within the slack)
    assert stream.advance() is None
    assert transport.out == [b"5\r\nbbccc\r\n"]
    assert progress == [3]
    assert timer.armed == [100.0 + 0.050]
    timer.t = 100.05
    assert isinstance(stream.advance(), writer._Done)  # the last frame: the stream is done
    assert transport.out[-1] == b"4\r\ndddd\r\n" and stream.i == 4


async def test_a_stream_not_due_only_checks_the_client_and_waits() -> None:
    stream, transport, _, timer = make_stream([b"x", b"y"], [0, 600_000], 0.0)
    timer.t = 1.0
    assert stream.advance() is None
    assert timer.armed == [1.0 + 0.05]  # a poll, 50 ms on
    assert transport.out == []
    transport.closing = True
    timer.t = 1.05
    assert isinstance(stream.advance(), ConnectionResetError)


async def test_a_slow_reader_gets_its_frames_later_in_order() -> None:
    stream, transport, progress, timer = make_stream([b"x", b"y", b"z"], [0, 10, 20], 0.0)
    transport.buffered = 1 << 20
    timer.t = 0.030
    assert stream.advance() is None
    assert timer.armed == [0.040]  # held back 10 ms
    assert transport.out == [] and progress == []
    transport.buffered = 0
    timer.t = 0.041
    assert isinstance(stream.advance(), writer._Done)
    assert transport.out == [b"2\r\nyz\r\n"] and stream.i == 3


async def test_the_writer_wakes_each_stream_on_its_deadline() -> None:
    start = time.monotonic()
    runs = []
    transports = []
    for k in range(20):
        offsets = [0.0] + [5.0 * k / 20 + 10.0 * i for i in range(1, 6)]
        sink, transport, _ = response_sink()
        transports.append(transport)
        runs.append(write_paced(Frames.of([b"f"] * 6), offsets, sink, start=start, first=1))
    results = await asyncio.wait_for(asyncio.gather(*runs), 2)
    assert results == [6] * 20
    for transport in transports:
        assert b"".join(transport.out).count(b"f") == 5  # each frame written once


async def test_a_cancelled_stream_is_dropped() -> None:
    sink, transport, _ = response_sink()
    task = asyncio.create_task(write_paced(Frames.of([b"x", b"y"]), [0, 1], sink, first=1))
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.sleep(0.01)
    assert transport.out == [] and task.cancelled()


async def test_a_zero_delay_stream_leaves_in_one_write() -> None:
    frames = [b"event: d\ndata: {}\n\n"] * 200
    sink, transport, response = response_sink(started=False)
    assert await write_paced(Frames.of(frames), [0.0] * 200, sink) == 200
    assert transport.out == [b"".join(frames)] and response.writes == 1  # headers with it


async def test_with_close_the_last_frames_end_the_stream_in_their_write() -> None:
    frames = [b"event: d\ndata: {}\n\n"] * 200
    sink, transport, response = response_sink(started=False)
    assert await write_paced(Frames.of(frames), [0.0] * 200, sink, close=sink.close) == 200
    assert transport.out == [b"".join(frames)] and response.writes == 1 and response.ended


async def test_with_close_a_stream_in_batches_ends_with_its_last_batch() -> None:
    frames = [b"%05d" % i * 100 for i in range(2000)]  # 1 MB, all due at once
    sink, transport, response = response_sink(started=False)
    await write_paced(Frames.of(frames), [0.0] * 2000, sink, close=sink.close)
    assert response.writes == 2 and response.ended  # the first batch and the last
    first, *direct, last = transport.out  # the first and the last through aiohttp
    unframed = [first] + [c[c.index(b"\r\n") + 2 : -2] for c in direct] + [last]
    assert b"".join(unframed) == b"".join(frames)


async def test_with_close_a_paced_stream_ends_with_its_last_frame() -> None:
    progress: list[int] = []
    sink, transport, response = response_sink()
    start = time.monotonic()
    sent = write_paced(
        Frames.of([b"a", b"b", b"c"]),
        [0, 5, 10],
        sink,
        start=start,
        close=sink.close,
        on_written=progress.append,
    )
    assert await asyncio.wait_for(sent, 2) == 3
    # (b"bc" when a busy machine wakes the writer for b only once c is due too)
    assert response.ended and transport.out[-1].endswith(b"c") and progress[-1] == 3
    assert b"".join(transport.out[:-1]).count(b"\r\n") == 2 * (len(transport.out) - 1)


async def test_a_long_due_batch_is_cut_at_the_batch_size_and_stays_in_order() -> None:
    frames = [b"%05d" % i * 100 for i in range(2000)]  # 1 MB, all due at once
    sink, transport, response = response_sink(started=False)
    await write_paced(Frames.of(frames), [0.0] * 2000, sink)
    assert response.writes == 1  # the first batch, through aiohttp; the rest direct
    assert 15 <= len(transport.out) <= 17  # 1 MB in 64 KB batches
    unframed = [transport.out[0]] + [c[c.index(b"\r\n") + 2 : -2] for c in transport.out[1:]]
    assert b"".join(unframed) == b"".join(frames)


async def test_a_stalled_reader_holds_the_stream_without_buffering_it() -> None:
    frames = [b"x" * 1000] * 1000  # 1 MB due at once
    sink, transport, _ = response_sink()
    transport.buffered = 1 << 20  # the client reads nothing
    task = asyncio.create_task(write_paced(Frames.of(frames), [0.0] * 1000, sink))
    await asyncio.sleep(0.05)
    assert transport.out == [] and not task.done()  # held, not queued in the server
    transport.buffered = 0
    assert await asyncio.wait_for(task, 1) == 1000
    assert sum(len(c) for c in transport.out) > 1_000_000


async def test_hooks_wake_the_task_between_direct_writes() -> None:
    sink, transport, _ = response_sink()
    seen: list[int] = []

    async def hook() -> None:
        seen.append(len(transport.out))

    frames = [b"a", b"b", b"c", b"d"]
    assert await write_paced(Frames.of(frames), [0, 0, 5, 5], sink, actions={2: hook}) == 4
    assert seen == [1] and transport.out == [b"2\r\nab\r\n", b"2\r\ncd\r\n"]


async def test_a_failing_progress_callback_is_raised_by_the_writer() -> None:
    sink, _, _ = response_sink()

    def progress(n: int) -> None:
        if n > 1:
            raise RuntimeError("boom")

    task = write_paced(Frames.of([b"a", b"b"]), [0, 5], sink, on_written=progress)
    try:
        await asyncio.wait_for(task, 1)
    except RuntimeError as exc:
        assert str(exc) == "boom"
    else:
        raise AssertionError("the error was lost")


def rendered_frames(case: str) -> tuple[list[dict[str, Any]], list[bytes]]:
    events = list(render_events(CASES[case], random.Random(3), StreamOptions()).events)
    return events, sse.frames(events)


def test_frames_parse_back_to_their_events() -> None:
    for case in CASES:
        events, frames = rendered_frames(case)
        assert [sse.parse_frame(f) for f in frames] == events


def test_unobfuscated_frames_are_the_bytes_framed_without_obfuscation() -> None:
    for case in CASES:
        events, frames = rendered_frames(case)
        assert [sse.unobfuscated(f) for f in frames] == sse.frames(events, obfuscation=False)
    big = {"type": "x.delta", "n": 1 << 70, "obfuscation": "abc"}  # past orjson's integers
    assert sse.unobfuscated(sse.frame(big)) == sse.frame(big, obfuscation=False)


def test_a_finished_loop_is_not_kept_alive_by_the_writer() -> None:
    loop = asyncio.new_event_loop()

    async def use() -> None:
        sink, _, _ = response_sink()
        await asyncio.wait_for(write_paced(Frames.of([b"x", b"y"]), [0, 1], sink, first=1), 1)

    loop.run_until_complete(use())
    loop.close()
    ref = weakref.ref(loop)
    del loop
    gc.collect()
    assert ref() is None


def test_frames_due_together_leave_in_batches_of_at_most_64_kb_and_a_frame() -> None:
    """Due frames are joined first (up to 256 of them) and cut at _BATCH_BYTES only when the
    join is longer: the same batches as cutting by their running length."""
    for count, size in ((50, 100), (100, 1000), (300, 300), (3, 70_000)):
        frames = [bytes([65 + k % 26]) * size for k in range(count)]
        out: list[bytes] = []

        async def sink(data: bytes, out: list[bytes] = out) -> None:
            out.append(data)

        asyncio.run(write_paced(Frames.of(frames), [0.0] * count, sink))
        assert b"".join(out) == b"".join(frames)
        k = 0
        for data in out:  # each write: whole frames, stopping at the one that reaches 64 KB
            n = 1
            while n < count - k and sum(map(len, frames[k : k + n])) < writer._BATCH_BYTES:
                n += 1
            assert data == b"".join(frames[k : k + n])
            k += n
