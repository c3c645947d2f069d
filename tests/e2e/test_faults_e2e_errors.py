"""Every error preset and every retry control, driven through the official openai SDK.

Each test asserts what the SDK does: the exception class, the error's fields, and how many
attempts it made (its default of 2 retries, x-should-retry obeyed, retry-after(-ms) honoured).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
from aiohttp import ClientSession
from faultsupport import Mock, StartMock, mock_servers, reply, scenario


@pytest.fixture
async def start_mock(tmp_path: Path) -> AsyncIterator[StartMock]:
    async with mock_servers(tmp_path) as start:
        yield start


# preset -> (SDK exception, retried by the SDK by default?)
PRESETS: dict[str, tuple[type[openai.APIStatusError], bool]] = {
    "rate_limit_exceeded": (openai.RateLimitError, True),
    "rate_limit_exceeded_tokens": (openai.RateLimitError, True),
    "request_too_large": (openai.RateLimitError, True),
    "insufficient_quota": (openai.RateLimitError, True),  # the SDK retries it: nothing says not to
    "server_error": (openai.InternalServerError, True),
    "stream_server_error": (openai.InternalServerError, True),
    "overloaded": (openai.InternalServerError, True),
    "invalid_api_key": (openai.AuthenticationError, False),
    "insufficient_permissions": (openai.PermissionDeniedError, False),
    "unsupported_country_region_territory": (openai.PermissionDeniedError, False),
    "model_not_found": (openai.NotFoundError, False),
    "context_length_exceeded": (openai.BadRequestError, False),
    "invalid_prompt": (openai.BadRequestError, False),
    "conflict": (openai.ConflictError, True),
    "request_timeout": (openai.APIStatusError, True),
}


def test_every_preset_is_driven_here() -> None:
    from mockserver.faults.error_catalog import preset_names

    assert sorted(PRESETS) == preset_names()


async def one_error_server(start_mock: StartMock, error: Any) -> Mock:
    return await start_mock(scenario("errors", {"name": "fail", "error": error}))


@pytest.mark.parametrize("preset", sorted(PRESETS))
async def test_preset_through_the_sdk(start_mock: StartMock, preset: str) -> None:
    # retry_after_ms keeps the test fast; the SDK uses it as given (also checked below).
    mock = await one_error_server(start_mock, {"preset": preset, "retry_after_ms": 1})
    exception, retried = PRESETS[preset]
    async with mock.client() as client:
        with pytest.raises(exception) as caught:
            await client.responses.create(model="gpt-4o-mini", input="hi")
    error = caught.value
    from mockserver.faults.error_catalog import PRESETS as CATALOGUE

    spec = CATALOGUE[preset]
    assert error.status_code == spec.status
    assert (error.code, error.type, error.param) == (spec.code, spec.type, spec.param)
    assert error.request_id is not None and error.request_id.startswith("req_")
    assert isinstance(error.body, dict) and error.body["message"]
    attempts = mock.creates()
    assert len(attempts) == (3 if retried else 1)
    assert [e.retry_count for e in attempts] == list(range(len(attempts)))
    assert all(e.status == spec.status and e.rule == "fail" for e in attempts)


async def test_messages_name_the_request(start_mock: StartMock) -> None:
    mock = await start_mock(
        scenario(
            "errors",
            {"name": "missing", "when": {"input_contains": "model"}, "error": "model_not_found"},
            {"name": "key", "error": "invalid_api_key"},
        )
    )
    async with mock.client(api_key="sk-proj-1234567890abcdef") as client:
        with pytest.raises(openai.NotFoundError) as missing:
            await client.responses.create(model="gpt-9-turbo", input="which model?")
        with pytest.raises(openai.AuthenticationError) as key:
            await client.responses.create(model="gpt-4o", input="hi")
    assert missing.value.message == (
        "Error code: 404 - The model `gpt-9-turbo` does not exist or you do not have access to it."
    )
    # Masked as the server's own 401 masks it.
    assert "Incorrect API key provided: sk-*****************cdef." in key.value.message


async def test_x_should_retry_false_stops_the_sdk(start_mock: StartMock) -> None:
    mock = await one_error_server(
        start_mock, {"preset": "insufficient_quota", "should_retry": False}
    )
    async with mock.client() as client:
        with pytest.raises(openai.RateLimitError) as caught:
            await client.responses.create(model="gpt-4o", input="hi")
    assert caught.value.code == "insufficient_quota"
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert len(mock.creates()) == 1


async def test_x_should_retry_true_makes_the_sdk_retry_a_400(start_mock: StartMock) -> None:
    error = {"preset": "invalid_prompt", "should_retry": True, "retry_after_ms": 1}
    mock = await one_error_server(start_mock, error)
    async with mock.client() as client:
        with pytest.raises(openai.BadRequestError):
            await client.responses.create(model="gpt-4o", input="hi")
    assert len(mock.creates()) == 3


async def test_max_retries_is_the_clients_budget(start_mock: StartMock) -> None:
    mock = await one_error_server(start_mock, {"preset": "server_error", "retry_after_ms": 1})
    async with mock.client(max_retries=5) as client:
        with pytest.raises(openai.InternalServerError):
            await client.responses.create(model="gpt-4o", input="hi")
    assert len(mock.creates()) == 6


async def test_retry_after_ms_is_honoured_and_journaled(start_mock: StartMock) -> None:
    mock = await one_error_server(start_mock, {"preset": "overloaded", "retry_after_ms": 250})
    start = time.monotonic()
    async with mock.client(max_retries=1) as client:
        with pytest.raises(openai.InternalServerError) as caught:
            await client.responses.create(model="gpt-4o", input="hi")
    assert time.monotonic() - start >= 0.25
    assert caught.value.response.headers["retry-after-ms"] == "250"
    first, retry = mock.creates()
    assert first.retry_after_ms == 250
    assert retry.retry_of == first.request_id
    assert retry.retry_waited_ms is not None and retry.retry_waited_ms >= 245
    assert retry.retry_early is False


async def test_retry_after_seconds_is_honoured(start_mock: StartMock) -> None:
    mock = await one_error_server(start_mock, {"preset": "rate_limit_exceeded", "retry_after": 0.3})
    start = time.monotonic()
    async with mock.client(max_retries=1) as client:
        with pytest.raises(openai.RateLimitError) as caught:
            await client.responses.create(model="gpt-4o", input="hi")
    # On the wire `retry-after` is whole seconds (1); the SDK waits exactly that.
    assert caught.value.response.headers["retry-after"] == "1"
    assert "Please try again in 300ms." in caught.value.message
    assert time.monotonic() - start >= 1.0
    assert mock.creates()[1].retry_early is False


async def test_a_retry_after_over_two_minutes_means_no_retry(start_mock: StartMock) -> None:
    mock = await one_error_server(start_mock, {"preset": "overloaded", "retry_after": 121})
    async with mock.client() as client:
        with pytest.raises(openai.InternalServerError):
            await client.responses.create(model="gpt-4o", input="hi")
    assert len(mock.creates()) == 1


async def test_the_default_rate_limit_preset_tells_one_second(start_mock: StartMock) -> None:
    mock = await one_error_server(start_mock, "rate_limit_exceeded")
    async with mock.client(max_retries=0) as client:
        with pytest.raises(openai.RateLimitError) as caught:
            await client.responses.create(model="gpt-4o", input="hi")
    assert caught.value.response.headers["retry-after"] == "1"
    assert "Please try again in 1s." in caught.value.message
    assert "x-ratelimit-limit-requests" in caught.value.response.headers


async def test_a_client_that_retries_too_early_is_visible(start_mock: StartMock) -> None:
    mock = await one_error_server(
        start_mock, {"preset": "rate_limit_exceeded", "retry_after_ms": 5000}
    )
    body = {"model": "gpt-4o", "input": "hi"}
    headers = {"Authorization": "Bearer k"}
    async with ClientSession(base_url=mock.root, headers=headers) as http:
        async with http.post("/v1/responses", json=body) as first:
            assert first.status == 429
        retry = {"x-stainless-retry-count": "1"}
        async with http.post("/v1/responses", json=body, headers=retry) as second:
            assert second.status == 429
        other = {"model": "gpt-4o", "input": "something else"}
        async with http.post("/v1/responses", json=other, headers=retry) as unrelated:
            assert unrelated.status == 429
        async with http.get("/_mock/requests", params={"tenant": "k"}) as journal:
            entries = (await journal.json())["data"]
    first_ex, early, unrelated_ex = mock.creates()
    assert early.retry_of == first_ex.request_id and early.retry_early is True
    assert early.retry_waited_ms is not None and early.retry_waited_ms < 5000
    assert unrelated_ex.retry_of is None  # a different body repeats nothing
    # The admin journal shows it too.
    shown = {e["request_id"]: e for e in entries}[early.request_id]
    assert shown["retry_early"] is True and shown["retry_of"] == first_ex.request_id
    assert shown["retry_after_ms"] == 5000 and shown["error"] == "rate_limit_exceeded"


async def test_fail_twice_then_succeed(start_mock: StartMock) -> None:
    mock = await start_mock(
        scenario(
            "flaky",
            {"name": "down", "times": 2, "error": {"preset": "server_error", "retry_after_ms": 1}},
            {"name": "up", "reply": reply("Back again.")},
        )
    )
    async with mock.client() as client:
        response = await client.responses.create(model="gpt-4o", input="hi")
    assert response.output_text == "Back again."
    assert [e.rule for e in mock.creates()] == ["down", "down", "up"]
    assert [e.status for e in mock.creates()] == [500, 500, 200]


async def test_on_retry_replay_answers_a_retry_with_the_same_step(start_mock: StartMock) -> None:
    once = {"preset": "server_error", "retry_after_ms": 1}
    mock = await start_mock(
        scenario(
            "replayed",
            {"name": "down", "times": 1, "on_retry": "replay", "error": once},
            {"name": "up", "reply": reply("Fresh request, fresh answer.")},
        )
    )
    async with mock.client() as client:
        with pytest.raises(openai.InternalServerError):
            await client.responses.create(model="gpt-4o", input="hi")
        # A new request (retry count 0) takes the next step.
        response = await client.responses.create(model="gpt-4o", input="hi")
    assert response.output_text == "Fresh request, fresh answer."
    assert [(e.rule, e.retry_count) for e in mock.creates()] == [
        ("down", 0),
        ("down", 1),
        ("down", 2),
        ("up", 0),
    ]


async def test_on_retry_advance_is_the_default(start_mock: StartMock) -> None:
    once = {"preset": "server_error", "retry_after_ms": 1}
    mock = await start_mock(
        scenario(
            "advancing",
            {"name": "down", "times": 1, "error": once},
            {"name": "up", "reply": reply()},
        )
    )
    async with mock.client() as client:
        await client.responses.create(model="gpt-4o", input="hi")
    assert [(e.rule, e.retry_count) for e in mock.creates()] == [("down", 0), ("up", 1)]
