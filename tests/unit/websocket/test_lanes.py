"""Lanes: FIFO within one, concurrent across, bounded in number and depth."""

from __future__ import annotations

import asyncio

import pytest

from mockserver.errors import MockError
from mockserver.websocket.lanes import Job, Lanes


async def test_fifo_within_a_lane_concurrent_across() -> None:
    lanes, log = Lanes(limit=4, depth=4), []

    def job(name: str, delay: float) -> Job:
        async def run() -> None:
            log.append(f"{name}+")
            await asyncio.sleep(delay)
            log.append(f"{name}-")

        return run

    lanes.submit("a", job("a1", 0.02))
    lanes.submit("a", job("a2", 0))
    lanes.submit("b", job("b1", 0))
    await lanes.idle()
    assert log.index("a1-") < log.index("a2+")  # in order on lane a
    assert log.index("b1-") < log.index("a1-")  # b did not wait for a
    assert len(lanes) == 0  # idle lanes free their slot


async def test_limit_and_depth() -> None:
    lanes = Lanes(limit=1, depth=1)
    gate = asyncio.Event()

    async def wait() -> None:
        await gate.wait()

    lanes.submit("a", wait)
    with pytest.raises(MockError) as info:
        lanes.submit("b", wait)
    assert info.value.code == "websocket_stream_limit_reached"
    lanes.submit("a", wait)  # one may wait behind the running one
    with pytest.raises(MockError) as info:
        lanes.submit("a", wait)
    assert info.value.code == "websocket_stream_queue_full"
    await lanes.cancel()
    assert len(lanes) == 0
