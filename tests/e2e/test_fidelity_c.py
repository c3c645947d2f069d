"""Fidelity, round two (c): stream-time errors and the stream events real traffic shows,
driven through the official openai SDK.

Stream-time errors: the real API answers a streamed request whose quota is spent, whose input
exceeds the context window or that fails during generation with `200` SSE created ->
in_progress -> error -> response.failed; the SDK raises APIError on the error event and does
not retry (one request in the journal). Rate limits stay HTTP 429, which the SDK retries.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
from aiohttp import ClientSession
from faultsupport import Mock, StartMock, mock_servers, scenario

from mockserver.faults.error_catalog import PRESETS


@pytest.fixture
async def start_mock(tmp_path: Path) -> AsyncIterator[StartMock]:
    async with mock_servers(tmp_path) as start:
        yield start


async def error_server(start_mock: StartMock, error: Any) -> Mock:
    return await start_mock(scenario("errors", {"name": "fail", "error": error}))


async def read_stream(client: openai.AsyncOpenAI, **body: Any) -> list[str]:
    """The event types the SDK yields before it raises (it must raise)."""
    seen: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        stream = await client.responses.create(model="gpt-4o-mini", input="hi", **body)
        async for event in stream:
            seen.append(event.type)
    assert not isinstance(caught.value, openai.APIStatusError), "an HTTP error, not in-stream"
    seen.append(f"raised:{caught.value.code}")
    return seen


STREAM_TIME = ["insufficient_quota", "context_length_exceeded", "server_error"]


@pytest.mark.parametrize("preset", STREAM_TIME)
async def test_a_stream_time_error_fails_the_stream_and_is_not_retried(
    start_mock: StartMock, preset: str
) -> None:
    mock = await error_server(start_mock, preset)
    async with mock.client() as client:
        seen = await read_stream(client, stream=True)
    spec = PRESETS[preset]  # server_error: code null in the event, as recorded
    assert seen == ["response.created", "response.in_progress", f"raised:{spec.code}"]
    (attempt,) = mock.creates()  # the SDK did not retry
    journal = (attempt.status, attempt.error_code, attempt.fault)
    assert journal == (200, spec.code or spec.type, "failed@start")


async def test_the_wire_shape_is_the_recorded_one(start_mock: StartMock) -> None:
    mock = await error_server(start_mock, "context_length_exceeded")
    async with ClientSession() as http:
        body = {"model": "gpt-4o-mini", "input": "hi", "stream": True}
        headers = {"Authorization": "Bearer k"}
        async with http.post(f"{mock.base_url}/responses", json=body, headers=headers) as r:
            assert r.status == 200
            text = await r.text()
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "error",
        "response.failed",
    ]
    assert events[2] == {
        "type": "error",
        "sequence_number": 2,
        "error": {
            "type": "invalid_request_error",
            "code": "context_length_exceeded",
            "message": PRESETS["context_length_exceeded"].message,
            "param": "input",
        },
    }
    failed = events[3]["response"]
    assert failed["status"] == "failed" and failed["output"] == [] and failed["usage"] is None
    assert failed["error"]["code"] == "context_length_exceeded"


async def test_without_stream_the_same_error_is_an_http_error(start_mock: StartMock) -> None:
    mock = await error_server(start_mock, {"preset": "insufficient_quota", "retry_after_ms": 1})
    async with mock.client() as client:
        with pytest.raises(openai.RateLimitError):
            await client.responses.create(model="gpt-4o-mini", input="hi")
    assert [e.status for e in mock.creates()] == [429, 429, 429]  # retried, as with the API


@pytest.mark.parametrize(
    ("error", "exception"),
    [
        ({"preset": "insufficient_quota", "on_stream": "http"}, openai.RateLimitError),
        ({"preset": "rate_limit_exceeded"}, openai.RateLimitError),  # rate limits stay HTTP
        ({"preset": "overloaded"}, openai.InternalServerError),
    ],
)
async def test_http_before_the_stream_is_retried(
    start_mock: StartMock, error: dict[str, Any], exception: type[openai.APIStatusError]
) -> None:
    mock = await error_server(start_mock, {**error, "retry_after_ms": 1})
    async with mock.client() as client:
        with pytest.raises(exception):
            await client.responses.create(model="gpt-4o-mini", input="hi", stream=True)
    assert len(mock.creates()) == 3


async def test_a_scenario_can_fail_any_error_in_the_stream(start_mock: StartMock) -> None:
    mock = await error_server(start_mock, {"preset": "rate_limit_exceeded", "on_stream": "failed"})
    async with mock.client() as client:
        seen = await read_stream(client, stream=True)
    assert seen[-1] == "raised:rate_limit_exceeded"
    assert len(mock.creates()) == 1


async def test_background_stream_and_its_replay_fail_the_same_way(start_mock: StartMock) -> None:
    mock = await error_server(start_mock, "insufficient_quota")
    async with mock.client() as client:
        seen = await read_stream(client, stream=True, background=True)
        assert seen == [
            "response.created",
            "response.queued",
            "response.in_progress",
            "raised:insufficient_quota",
        ]
        (created,) = mock.creates()
        assert created.response_id is not None
        stored = await client.responses.retrieve(created.response_id)
        assert stored.status == "failed" and stored.error is not None
        # The code is outside the SDK's Literal (as recorded): read it as sent.
        assert stored.to_dict()["error"]["code"] == "insufficient_quota"
        assert stored.output == []
        replayed: list[str] = []
        with pytest.raises(openai.APIError) as caught:
            stream = await client.responses.retrieve(created.response_id, stream=True)
            async for event in stream:
                replayed.append(event.type)
        assert replayed == seen[:-1] and caught.value.code == "insufficient_quota"
    assert len(mock.creates()) == 1


async def test_background_without_stream_answers_queued_then_fails(start_mock: StartMock) -> None:
    mock = await error_server(start_mock, "server_error")
    async with mock.client() as client:
        queued = await client.responses.create(model="gpt-4o-mini", input="hi", background=True)
        assert queued.status in ("queued", "in_progress")
        for _ in range(100):
            stored = await client.responses.retrieve(queued.id)
            if stored.status == "failed":
                break
        assert stored.status == "failed" and stored.error is not None
        assert stored.error.code == "server_error"
