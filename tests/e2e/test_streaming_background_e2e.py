"""Background mode end to end: queued -> in_progress -> completed on the scenario's timing,
polling, cancel, delete, a background stream, resume of a running response, shutdown."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from conftest import RunningServer, StartServer
from openai import AsyncOpenAI
from streamcases import SCENARIO, request_for, validate_event, validate_response

from mockserver.app import create_app
from mockserver.config import Config
from mockserver.pipeline.streamed import TASKS

# The "slow" rule: queued 150 ms, first delta 100 ms later, then 9 more every 15 ms.
SLOW = request_for("slow")


@pytest.fixture
async def streams(start_server: StartServer, tmp_path: Path) -> RunningServer:
    path = tmp_path / "streams.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return await start_server(seed=7, scenarios=(path,), default_scenario="streams")


@pytest.fixture
async def client(streams: RunningServer) -> AsyncIterator[AsyncOpenAI]:
    async with streams.client() as sdk:
        yield sdk


async def poll(
    client: AsyncOpenAI, rid: str, until: float, start: float | None = None
) -> list[tuple[float, str]]:
    """(seconds since start, status) of GET every 10 ms until the response is done."""
    seen: list[tuple[float, str]] = []
    start = time.monotonic() if start is None else start
    while time.monotonic() - start < until:
        response = await client.responses.retrieve(rid)
        seen.append((time.monotonic() - start, response.status or ""))
        if response.status not in ("queued", "in_progress"):
            break
        await asyncio.sleep(0.01)
    return seen


async def test_background_moves_queued_in_progress_completed(client: AsyncOpenAI) -> None:
    start = time.monotonic()
    created = await client.responses.create(**SLOW, background=True)
    assert (created.status, created.background, created.output) == ("queued", True, [])
    seen = await poll(client, created.id, until=2.0, start=start)
    validate_response(created.model_dump(mode="json", exclude_unset=True))
    statuses = [s for _, s in seen]
    assert statuses[0] == "queued" and statuses[-1] == "completed"
    assert "in_progress" in statuses
    assert statuses == sorted(statuses, key=["queued", "in_progress", "completed"].index)
    first_running = next(t for t, s in seen if s == "in_progress")
    # Queued for 150 ms; the upper bound is loose: a loaded machine (load 10 on 2 cores) was
    # seen at 0.52-0.56 s, the create call and the poll interval included.
    assert 0.15 <= first_running < 1.0
    final = await client.responses.retrieve(created.id)
    assert final.output_text == "one two three four five six seven eight nine ten"
    assert final.completed_at is not None and final.usage is not None


async def test_cancel_a_running_background_response(
    streams: RunningServer, client: AsyncOpenAI
) -> None:
    created = await client.responses.create(**SLOW, background=True)
    cancelled = await client.responses.cancel(created.id)
    assert (cancelled.status, cancelled.output) == ("cancelled", [])
    await asyncio.sleep(0.4)  # past the time it would have completed
    validate_response(cancelled.model_dump(mode="json", exclude_unset=True))
    assert (await client.responses.retrieve(created.id)).status == "cancelled"
    again = await client.responses.cancel(created.id)
    assert again.status == "cancelled", "cancelling twice is idempotent"
    assert not streams.app[TASKS]


async def test_cancelling_a_finished_or_foreground_response_is_an_error(
    client: AsyncOpenAI,
) -> None:
    created = await client.responses.create(**request_for("hello"), background=True)
    await poll(client, created.id, until=1.0)
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.cancel(created.id)
    assert info.value.body["message"] == "Cannot cancel a completed response."  # type: ignore[index]
    assert info.value.type == "invalid_request_error"
    foreground = await client.responses.create(**request_for("hello"))
    with pytest.raises(openai.BadRequestError, match="background=true"):
        await client.responses.cancel(foreground.id)


async def test_background_requires_store(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.create(**SLOW, background=True, store=False)
    assert info.value.param == "store"


async def test_background_stream_starts_queued(client: AsyncOpenAI) -> None:
    stream = await client.responses.create(**SLOW, background=True, stream=True)
    events = [event async for event in stream]
    assert [e.type for e in events[:4]] == [
        "response.created",
        "response.queued",
        "response.in_progress",
        "response.output_item.added",
    ]
    assert [e.response.status for e in events[:3]] == ["queued", "queued", "in_progress"]
    assert events[-1].type == "response.completed"
    for event in events:
        validate_event(event.model_dump(mode="json", exclude_unset=True))
    stored = await client.responses.retrieve(events[0].response.id)
    assert stored == events[-1].response


async def test_resume_a_running_response_follows_it_live(streams: RunningServer) -> None:
    headers = {"Authorization": "Bearer test-key"}
    async with ClientSession(base_url=streams.root, headers=headers) as http:
        async with http.post("/v1/responses", json={**SLOW, "background": True}) as resp:
            rid = (await resp.json())["id"]
        await asyncio.sleep(0.05)  # still queued
        params = {"stream": "true", "starting_after": "0"}
        async with http.get(f"/v1/responses/{rid}", params=params) as resp:
            arrivals, events = await _read(resp)
    assert [e["sequence_number"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "response.queued" and events[-1]["type"] == "response.completed"
    # Followed live: the deltas came over time, not in one burst.
    deltas = [t for t, e in zip(arrivals, events, strict=True) if e["type"].endswith(".delta")]
    assert deltas[-1] - deltas[0] > 0.1


async def test_the_sdk_resumes_a_running_background_stream(client: AsyncOpenAI) -> None:
    created = await client.responses.create(**SLOW, background=True)
    await asyncio.sleep(0.2)  # in progress
    async with client.responses.stream(response_id=created.id, starting_after=2) as stream:
        events = [e async for e in stream]
        final = await stream.get_final_response()
    assert events[0].sequence_number == 3
    assert final.output_text == "one two three four five six seven eight nine ten"


async def test_deleting_a_running_response_stops_it(
    streams: RunningServer, client: AsyncOpenAI
) -> None:
    created = await client.responses.create(**SLOW, background=True)
    task = next(iter(streams.app[TASKS]))  # type: ignore[index]
    await client.responses.delete(created.id)
    await asyncio.sleep(0)
    assert task.cancelled() or task.done()
    with pytest.raises(openai.NotFoundError):
        await client.responses.retrieve(created.id)


async def test_shutdown_cancels_background_responses(tmp_path: Path) -> None:
    path = tmp_path / "streams.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    app = create_app(Config(seed=7, scenarios=(path,), default_scenario="streams"))
    server = TestServer(app)
    await server.start_server()
    async with AsyncOpenAI(
        base_url=str(server.make_url("/v1")), api_key="k", max_retries=0
    ) as client:
        await client.responses.create(**SLOW, background=True)
    tasks = list(app[TASKS])  # type: ignore[index]
    assert len(tasks) == 1
    await server.close()
    assert tasks[0].cancelled()
    assert not app[TASKS]


async def _read(resp: Any) -> tuple[list[float], list[dict[str, Any]]]:
    arrivals, events = [], []
    while block := await resp.content.readuntil(b"\n\n"):
        arrivals.append(time.monotonic())
        events.append(json.loads(block.decode().split("\n")[1][6:]))
    return arrivals, events
