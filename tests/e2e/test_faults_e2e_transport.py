"""Transport faults through the official SDK: what it raises, and how often it tries."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
from aiohttp import ClientPayloadError, ClientSession
from faultsupport import StartMock, mock_servers, reply, scenario


@pytest.fixture
async def start_mock(tmp_path: Path) -> AsyncIterator[StartMock]:
    async with mock_servers(tmp_path) as start:
        yield start


def faulty(fault: Any) -> dict[str, Any]:
    return scenario("transport", {"name": "faulty", "reply": reply(), "fault": fault})


# fault -> what the SDK raises, and what broke underneath (the exception's cause).
BROKEN = [
    ("reset", openai.APIConnectionError, "ReadError"),
    ("close", openai.APIConnectionError, "RemoteProtocolError"),
    ("garbage", openai.APIConnectionError, "RemoteProtocolError"),
    ({"kind": "truncated_body"}, openai.APIConnectionError, "RemoteProtocolError"),
    ({"kind": "truncated_body", "bytes": 10}, openai.APIConnectionError, "RemoteProtocolError"),
    ("malformed_chunk", openai.APIConnectionError, "RemoteProtocolError"),
    ("html_error", openai.InternalServerError, None),
    ({"kind": "html_error", "status": 504}, openai.InternalServerError, None),
]


@pytest.mark.parametrize(("fault", "exception", "cause"), BROKEN, ids=[str(b[0]) for b in BROKEN])
async def test_broken_answers_are_retried_then_raised(
    start_mock: StartMock,
    caplog: pytest.LogCaptureFixture,
    fault: Any,
    exception: type[Exception],
    cause: str | None,
) -> None:
    mock = await start_mock(faulty(fault))
    with caplog.at_level(logging.DEBUG, logger="aiohttp"):
        async with mock.client() as client:
            with pytest.raises(exception) as caught:
                await client.responses.create(model="gpt-4o", input="hi")
    if cause is not None:
        assert type(caught.value.__cause__).__name__ == cause
    attempts = mock.creates()
    assert len(attempts) == 3  # the SDK's 2 retries
    assert all(e.fault == attempts[0].fault for e in attempts)
    # Nothing the server logs about it is an error or a traceback.
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


async def test_html_error_page(start_mock: StartMock) -> None:
    mock = await start_mock(faulty({"kind": "html_error", "status": 502}))
    async with mock.client(max_retries=0) as client:
        with pytest.raises(openai.InternalServerError) as caught:
            await client.responses.create(model="gpt-4o", input="hi")
    assert caught.value.status_code == 502
    assert caught.value.response.headers["content-type"].startswith("text/html")
    assert "<title>502 Bad Gateway</title>" in caught.value.response.text
    assert caught.value.code is None  # not an OpenAI error body


async def test_a_dropped_connection_is_journaled_as_no_answer(start_mock: StartMock) -> None:
    mock = await start_mock(faulty("reset"))
    async with mock.client(max_retries=0) as client:
        with pytest.raises(openai.APIConnectionError):
            await client.responses.create(model="gpt-4o", input="hi")
    (attempt,) = mock.creates()
    assert (attempt.status, attempt.fault, attempt.rule) == (444, "reset", "faulty")


async def test_stall_forever_until_the_client_times_out(start_mock: StartMock) -> None:
    mock = await start_mock(faulty("stall"))
    start = time.monotonic()
    async with mock.client(timeout=0.3, max_retries=1) as client:
        with pytest.raises(openai.APITimeoutError):
            await client.responses.create(model="gpt-4o", input="hi")
    assert 0.6 <= time.monotonic() - start < 3
    # Each stalled handler ends once its client left (it notices, or aiohttp cancels it).
    for _ in range(40):
        if len(mock.creates()) == 2:
            break
        await asyncio.sleep(0.05)
    assert [e.fault for e in mock.creates()] == ["stall", "stall"]
    assert all(e.status in (None, 444) for e in mock.creates())  # no HTTP answer


async def test_a_stall_shorter_than_the_timeout_only_delays(start_mock: StartMock) -> None:
    mock = await start_mock(faulty({"kind": "stall", "ms": 300}))
    start = time.monotonic()
    async with mock.client() as client:
        response = await client.responses.create(model="gpt-4o", input="hi")
    assert response.status == "completed"
    assert time.monotonic() - start >= 0.3


@pytest.mark.parametrize(
    "latency",
    [{"ms": 200}, {"uniform": [150, 250]}, {"lognormal": {"median_ms": 200, "sigma": 0.1}}],
    ids=["fixed", "uniform", "lognormal"],
)
async def test_latency_before_the_headers(start_mock: StartMock, latency: dict[str, Any]) -> None:
    mock = await start_mock(faulty({"kind": "latency", **latency}))
    async with mock.client() as client:
        await client.responses.create(model="gpt-4o", input="warm-up")  # the SDK's first parse
        start = time.monotonic()
        await client.responses.create(model="gpt-4o", input="hi")
        elapsed = time.monotonic() - start
    assert 0.14 <= elapsed < 1.0
    assert [entry.fault for entry in mock.creates()] == ["latency", "latency"]


async def test_latency_is_seeded(start_mock: StartMock) -> None:
    fault = {"kind": "latency", "uniform": [0, 400]}
    durations: list[list[float]] = []
    for _ in range(2):
        mock = await start_mock(faulty(fault))
        async with mock.client() as client:
            for i in range(4):
                await client.responses.create(model="gpt-4o", input=f"hi {i}")
        # The server's own time per exchange (the journal's duration_ms): the client's clock
        # would add its own parsing and scheduling, which a busy machine stretches.
        runs = [entry.duration_ms for entry in mock.creates()]
        assert all(ms is not None and 0 <= ms < 1000 for ms in runs), runs
        durations.append([ms or 0.0 for ms in runs])
    # Same seed, same requests: the same delays (within timer noise), and not all the same.
    for a, b in zip(*durations, strict=True):
        assert a == pytest.approx(b, abs=60), durations
    assert max(durations[0]) - min(durations[0]) > 20


async def test_slow_close_answers_everything_then_holds_the_end(start_mock: StartMock) -> None:
    mock = await start_mock(faulty({"kind": "slow_close", "ms": 300}))
    async with mock.client() as client:
        start = time.monotonic()
        response = await client.responses.create(model="gpt-4o", input="hi")
        elapsed = time.monotonic() - start
    assert response.output_text == "Hello there, how can I help you today?"
    assert elapsed >= 0.3
    assert len(mock.creates()) == 1


async def test_truncated_body_sends_part_of_the_real_body(start_mock: StartMock) -> None:
    mock = await start_mock(faulty({"kind": "truncated_body", "fraction": 0.5}))
    received = bytearray()
    body = {"model": "gpt-4o", "input": "hi"}
    async with (
        ClientSession(mock.root, headers={"Authorization": "Bearer k"}) as http,
        http.post("/v1/responses", json=body) as resp,
    ):
        declared = int(resp.headers["Content-Length"])
        with pytest.raises(ClientPayloadError):
            async for chunk in resp.content.iter_any():
                received.extend(chunk)
    assert len(received) == declared // 2
    assert received.startswith(b'{"id":"resp_')
