"""Stream faults through the official SDK: what a streaming consumer sees, and what is stored.

Each fault is driven twice: iterating `responses.create(stream=True)`, and through the
`responses.stream()` helper, which insists on a response.completed event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
from aiohttp import ClientSession
from faultsupport import Mock, StartMock, mock_servers, reply, scenario

TEXT = "One two three four five six seven eight nine ten eleven twelve."
PACED = {"ttft_ms": 20, "interval_ms": 20}


@pytest.fixture
async def start_mock(tmp_path: Path) -> AsyncIterator[StartMock]:
    async with mock_servers(tmp_path) as start:
        yield start


async def faulty(start_mock: StartMock, fault: Any, **rule: Any) -> Mock:
    return await start_mock(
        scenario("stream", {"name": "faulty", "reply": reply(TEXT), "fault": fault, **rule})
    )


async def consume(client: openai.AsyncOpenAI) -> tuple[list[Any], BaseException | None]:
    """Iterate a raw stream: the events seen, and what ended it (None: a normal end)."""
    seen: list[Any] = []
    try:
        stream = await client.responses.create(model="gpt-4o", input="count", stream=True)
        async for event in stream:
            seen.append(event)
    except Exception as exc:
        return seen, exc
    return seen, None


async def through_helper(client: openai.AsyncOpenAI) -> tuple[list[str], Any]:
    """The stream helper: event types seen, and the final response or what was raised."""
    types: list[str] = []
    try:
        async with client.responses.stream(model="gpt-4o", input="count") as stream:
            async for event in stream:
                types.append(event.type)
            return types, await stream.get_final_response()
    except Exception as exc:
        return types, exc


# fault -> the exception a raw consumer gets after 5 events (SDK retries never restart a stream)
CUTS = [
    ("disconnect", openai.APIConnectionError, "RemoteProtocolError"),
    ("reset", openai.APIConnectionError, "ReadError"),
    ("malformed_chunk", openai.APIConnectionError, "RemoteProtocolError"),
    ("malformed_frame", json.JSONDecodeError, None),
]


@pytest.mark.parametrize(("kind", "exception", "cause"), CUTS, ids=[c[0] for c in CUTS])
async def test_cut_streams_raise_mid_iteration(
    start_mock: StartMock,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    exception: type[Exception],
    cause: str | None,
) -> None:
    mock = await faulty(start_mock, {"kind": kind, "after_events": 5})
    with caplog.at_level(logging.DEBUG, logger="aiohttp"):
        async with mock.client() as client:
            seen, ended = await consume(client)
            helper_types, helper_end = await through_helper(client)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert isinstance(ended, exception) and isinstance(helper_end, exception)
    if cause is not None:
        assert type(ended.__cause__).__name__ == cause
    assert [e.sequence_number for e in seen] == [0, 1, 2, 3, 4]
    assert len(helper_types) == 5
    first = mock.creates()[0]
    assert first.fault == f"{kind}@after_events=5"
    assert len(mock.creates()) == 2  # one attempt per stream: a cut stream is not retried


async def test_the_response_goes_on_after_a_cut(start_mock: StartMock) -> None:
    mock = await faulty(start_mock, {"kind": "disconnect", "after_events": 5})
    async with mock.client() as client:
        seen, ended = await consume(client)
        assert isinstance(ended, openai.APIConnectionError)
        stored = await client.responses.retrieve(seen[0].response.id)
        for _ in range(50):
            if stored.status == "completed":
                break
            await asyncio.sleep(0.02)
            stored = await client.responses.retrieve(seen[0].response.id)
    assert stored.status == "completed" and stored.output_text == TEXT
    (cut,) = mock.creates()
    assert (cut.events_sent, cut.stream_completed) == (5, False)


@pytest.mark.parametrize("shape", ["nested", "flat"])
async def test_error_event(start_mock: StartMock, shape: str) -> None:
    fault = {"kind": "error_event", "after_events": 5, "shape": shape, "error": "overloaded"}
    mock = await faulty(start_mock, fault)
    async with mock.client() as client:
        seen, ended = await consume(client)
        helper_types, helper_end = await through_helper(client)
        stored = await client.responses.retrieve(seen[0].response.id)
    message = "The engine is currently overloaded, please try again later."
    if shape == "nested":
        # The SDK raises on any event whose data has a truthy `error`.
        assert isinstance(ended, openai.APIError) and ended.message == message
        assert len(seen) == 5 and isinstance(helper_end, openai.APIError)
    else:
        # The spec's flat shape is yielded as an event; the stream then just ends.
        assert ended is None
        assert seen[-1].type == "error" and seen[-1].message == message
        assert helper_types[-1] == "error" and isinstance(helper_end, RuntimeError)
    # What is stored: the response failed where the error came.
    assert stored.status == "failed"


async def test_response_failed_with_a_chosen_code(start_mock: StartMock) -> None:
    fault = {"kind": "failed", "after_events": 5, "error": {"preset": "rate_limit_exceeded"}}
    mock = await faulty(start_mock, fault)
    async with mock.client() as client:
        seen, ended = await consume(client)
        helper_types, helper_end = await through_helper(client)
        stored = await client.responses.retrieve(seen[0].response.id)
    assert ended is None
    failed = seen[-1]
    assert failed.type == "response.failed" and failed.sequence_number == 5
    assert failed.response.status == "failed"
    assert failed.response.error is not None and failed.response.error.code == "rate_limit_exceeded"
    assert helper_types[-1] == "response.failed"
    assert isinstance(helper_end, RuntimeError)  # get_final_response() wants response.completed
    assert stored.status == "failed" and stored.error is not None
    assert mock.creates()[0].stream_completed is True  # the stream itself ended properly


async def test_response_incomplete(start_mock: StartMock) -> None:
    fault = {
        "kind": "incomplete",
        "at_event": "response.output_text.delta#3",
        "reason": "content_filter",
    }
    mock = await faulty(start_mock, fault)
    async with mock.client() as client:
        seen, ended = await consume(client)
        stored = await client.responses.retrieve(seen[0].response.id)
    assert ended is None
    last = seen[-1]
    assert last.type == "response.incomplete"
    assert [e.type for e in seen].count("response.output_text.delta") == 2
    assert last.response.incomplete_details is not None
    assert last.response.incomplete_details.reason == "content_filter"
    assert stored.status == "incomplete"


async def test_no_terminal_event(start_mock: StartMock) -> None:
    mock = await faulty(start_mock, "no_terminal")
    async with mock.client() as client:
        seen, ended = await consume(client)
        helper_types, helper_end = await through_helper(client)
    assert ended is None  # the body ends cleanly...
    assert seen[-1].type == "response.output_item.done"  # ...before response.completed
    assert "response.completed" not in helper_types
    assert isinstance(helper_end, RuntimeError)
    assert "response.completed" in str(helper_end)
    assert mock.creates()[0].stream_completed is False


async def test_stall_with_keep_alive_comments(start_mock: StartMock) -> None:
    fault = {"kind": "stall", "after_events": 5, "ms": 300, "keepalive_ms": 100}
    mock = await faulty(start_mock, fault)
    async with ClientSession(mock.root, headers={"Authorization": "Bearer k"}) as http:
        body = {"model": "gpt-4o", "input": "count", "stream": True}
        async with http.post("/v1/responses", json=body) as resp:
            raw = await resp.read()
    assert raw.count(b": keep-alive\n\n") in (2, 3)
    # The comments sit between the 5th and 6th frames.
    frames = raw.split(b"\n\n")
    assert frames[5].startswith(b": keep-alive")
    async with mock.client() as client:
        start = time.monotonic()
        seen, ended = await consume(client)
        elapsed = time.monotonic() - start
    assert ended is None and seen[-1].type == "response.completed"
    assert elapsed >= 0.3


async def test_a_stall_forever_meets_the_clients_read_timeout(start_mock: StartMock) -> None:
    mock = await faulty(start_mock, {"kind": "stall", "after_events": 5})
    async with mock.client(timeout=0.4) as client:
        start = time.monotonic()
        seen, ended = await consume(client)
    assert isinstance(ended, openai.APITimeoutError)
    assert len(seen) == 5
    assert 0.35 <= time.monotonic() - start < 3


async def test_after_ms_cuts_at_that_time(start_mock: StartMock) -> None:
    mock = await faulty(start_mock, {"kind": "disconnect", "after_ms": 150}, stream=PACED)
    async with mock.client() as client:
        await consume(client)  # warm up (the tokenizer loads on first use)
        start = time.monotonic()
        seen, ended = await consume(client)
        elapsed = time.monotonic() - start
    assert isinstance(ended, openai.APIConnectionError)
    assert 0.14 <= elapsed < 0.5
    deltas = [e for e in seen if e.type == "response.output_text.delta"]
    assert 5 <= len(deltas) <= 8  # ttft 20 ms, then one every 20 ms, until 150 ms


async def test_slow_close_of_a_stream(start_mock: StartMock) -> None:
    mock = await faulty(start_mock, {"kind": "slow_close", "ms": 300})
    async with mock.client() as client:
        start = time.monotonic()
        seen, ended = await consume(client)
        elapsed = time.monotonic() - start
    assert ended is None and seen[-1].type == "response.completed"
    assert elapsed >= 0.3


async def test_stream_answers_carry_rate_limit_headers(start_mock: StartMock) -> None:
    mock = await start_mock(
        scenario("limited", {"reply": reply()}, rate_limits={"requests_per_minute": 30})
    )
    async with mock.client() as client:
        raw = await client.responses.with_raw_response.create(
            model="gpt-4o", input="hi", stream=True
        )
        async for _ in raw.parse():
            pass
    assert raw.headers["x-ratelimit-limit-requests"] == "30"
    assert raw.headers["x-ratelimit-remaining-requests"] == "29"
    assert raw.headers["x-ratelimit-reset-requests"] == "2s"
