"""The shared pacer (streaming/pacer.py) and the compact frames a Run keeps for replay."""

from __future__ import annotations

import asyncio
import gc
import random
import time
import weakref
from typing import Any, cast

from aiohttp import web
from streamcases import CASES

from mockserver.http import sse
from mockserver.openai.events import StreamOptions, render_events
from mockserver.streaming import pacer
from mockserver.streaming.pacer import Pacer, _Stream


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


class FakeRequest:
    def __init__(self) -> None:
        self.transport = FakeTransport()


def make_stream(
    frames: list[bytes], offsets: list[float], t0: float, done: asyncio.Future[int]
) -> tuple[_Stream, FakeTransport, list[int]]:
    request = FakeRequest()
    progress: list[int] = []
    stream = _Stream(cast(web.Request, request), frames, offsets, t0, progress.append, done, 1)
    return stream, request.transport, progress


async def test_a_step_writes_every_frame_due_as_one_http_chunk() -> None:
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    frames = [b"a" * 3, b"bb", b"ccc", b"dddd"]
    stream, transport, progress = make_stream(frames, [0, 10, 10.1, 50], 100.0, done)
    wake = stream.step(100.0 + 0.011)  # frames 1 and 2 are due (2 within the slack)
    assert transport.out == [b"5\r\nbbccc\r\n"]
    assert progress == [3]
    assert wake == 100.0 + 0.050
    assert stream.step(100.05) is None  # the last frame: the stream is done
    assert transport.out[-1] == b"4\r\ndddd\r\n" and done.result() == 4


async def test_a_stream_not_due_only_checks_the_client_and_waits() -> None:
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    stream, transport, _ = make_stream([b"x", b"y"], [0, 600_000], 0.0, done)
    assert stream.step(1.0) == 1.0 + 0.05  # a poll, 50 ms on
    assert transport.out == []
    transport.closing = True
    assert stream.step(1.05) is None
    assert isinstance(done.exception(), ConnectionResetError)


async def test_a_slow_reader_gets_its_frames_later_in_order() -> None:
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    stream, transport, progress = make_stream([b"x", b"y", b"z"], [0, 10, 20], 0.0, done)
    transport.buffered = 1 << 20
    assert stream.step(0.030) == 0.040  # held back 10 ms
    assert transport.out == [] and progress == []
    transport.buffered = 0
    assert stream.step(0.041) is None
    assert transport.out == [b"2\r\nyz\r\n"] and done.result() == 3


async def test_the_pacer_wakes_each_stream_on_its_deadline() -> None:
    loop = asyncio.get_running_loop()
    pacer = Pacer()
    start = time.monotonic()
    streams = []
    for k in range(20):
        done: asyncio.Future[int] = loop.create_future()
        offsets = [0.0] + [5.0 * k / 20 + 10.0 * i for i in range(1, 6)]
        stream, transport, _ = make_stream([b"f"] * 6, offsets, start, done)
        pacer.add(stream, stream.next_wake(time.monotonic()))
        streams.append((stream, transport, done))
    await asyncio.wait_for(asyncio.gather(*(d for _, _, d in streams)), 2)
    for _, transport, done in streams:
        assert done.result() == 6
        assert b"".join(transport.out).count(b"f") == 5  # each frame written once


async def test_a_cancelled_stream_is_dropped() -> None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[int] = loop.create_future()
    stream, transport, _ = make_stream([b"x", b"y"], [0, 1], time.monotonic(), done)
    stream.dead = True
    Pacer().add(stream, time.monotonic())
    await asyncio.sleep(0.01)
    assert transport.out == [] and not done.done()


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


def test_a_finished_loop_is_not_kept_alive_by_its_pacer() -> None:
    loop = asyncio.new_event_loop()

    async def use() -> None:
        running = asyncio.get_running_loop()
        done: asyncio.Future[int] = running.create_future()
        stream, _, _ = make_stream([b"x", b"y"], [0, 1], time.monotonic(), done)
        pacer._pacers[running] = Pacer()
        pacer._pacers[running].add(stream, time.monotonic())
        await asyncio.wait_for(done, 1)

    loop.run_until_complete(use())
    loop.close()
    ref = weakref.ref(loop)
    del loop
    gc.collect()
    assert ref() is None
