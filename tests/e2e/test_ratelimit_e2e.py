"""Live rate limits through the server and the official SDK, on an injected clock."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest
from aiohttp import ClientSession
from faultsupport import StartMock, mock_servers, reply, scenario

from mockserver.clock import ManualClock

HEADERS = (
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
)


@pytest.fixture
async def start_mock(tmp_path: Path) -> AsyncIterator[StartMock]:
    async with mock_servers(tmp_path) as start:
        yield start


async def limits_seen(client: openai.AsyncOpenAI, **create: object) -> dict[str, str]:
    create = {"model": "gpt-4o", "input": "hi", **create}
    raw = await client.responses.with_raw_response.create(**create)  # type: ignore[call-overload]
    return {name: raw.headers[name] for name in HEADERS}


async def test_headers_count_down_and_reset_as_the_bucket_refills(start_mock: StartMock) -> None:
    clock = ManualClock()
    mock = await start_mock(clock=clock, requests_per_minute=60, tokens_per_minute=100_000)
    async with mock.client(max_retries=0) as client:
        first = await limits_seen(client)
        second = await limits_seen(client, max_output_tokens=1000)
        clock.advance(1.5)
        later = await limits_seen(client)
        clock.advance(120)
        rested = await limits_seen(client)
    assert first["x-ratelimit-limit-requests"] == "60"
    assert first["x-ratelimit-limit-tokens"] == "100000"
    assert [h["x-ratelimit-remaining-requests"] for h in (first, second, later, rested)] == [
        "59",
        "58",
        "58",  # 1.5 s refilled 1.5 requests: 58.5 + ... -1 = 58.5 -> 58 shown
        "59",
    ]
    assert first["x-ratelimit-reset-requests"] == "1s"
    assert second["x-ratelimit-reset-requests"] == "2s"
    assert later["x-ratelimit-reset-requests"] == "1.5s"
    # The estimate charged at admission: ~text/4 plus max_output_tokens (1000 here).
    used_by_second = int(first["x-ratelimit-remaining-tokens"]) - int(
        second["x-ratelimit-remaining-tokens"]
    )
    assert 1000 < used_by_second < 1100
    assert int(rested["x-ratelimit-remaining-tokens"]) > 99_900


async def test_over_the_limit_is_the_apis_429(start_mock: StartMock) -> None:
    clock = ManualClock()
    mock = await start_mock(clock=clock, requests_per_minute=2)
    async with mock.client(max_retries=0) as client:
        await client.responses.create(model="gpt-4o", input="hi")
        await client.responses.create(model="gpt-4o", input="hi")
        with pytest.raises(openai.RateLimitError) as caught:
            await client.responses.create(model="gpt-4o-mini", input="hi")
        clock.advance(30)  # 2 RPM: one request back every 30 s
        await client.responses.create(model="gpt-4o", input="hi")
    error = caught.value
    assert (error.code, error.type) == ("rate_limit_exceeded", "requests")
    assert error.message == (
        "Error code: 429 - Rate limit reached for gpt-4o-mini in organization org-mockserver on "
        "requests per min (RPM): Limit 2, Used 2, Requested 1. Please try again in 30s. "
        "Visit https://platform.openai.com/account/rate-limits to learn more."
    )
    headers = error.response.headers
    assert (headers["retry-after"], headers["retry-after-ms"]) == ("30", "30000")
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert [e.status for e in mock.creates()] == [200, 200, 429, 200]
    assert mock.creates()[2].error_code == "rate_limit_exceeded"


async def test_tokens_per_minute(start_mock: StartMock) -> None:
    clock = ManualClock()
    heavy = {"input_tokens": 10, "output_tokens": 1490, "total_tokens": 1500}
    mock = await start_mock(
        scenario("heavy", {"reply": reply(), "usage": heavy}), clock=clock, tokens_per_minute=3000
    )
    async with mock.client(max_retries=0) as client:
        # Admission charges an estimate (text / 4 + max_output_tokens), corrected to the real
        # usage once the answer exists: 1500 tokens stay charged here.
        await client.responses.create(model="gpt-4o", input="hi", max_output_tokens=1000)
        with pytest.raises(openai.RateLimitError) as caught:
            await client.responses.create(model="gpt-4o", input="hi", max_output_tokens=1600)
        with pytest.raises(openai.RateLimitError) as too_large:
            await client.responses.create(model="gpt-4o", input="hi", max_output_tokens=5000)
        clock.advance(30)  # 1500 tokens back
        await client.responses.create(model="gpt-4o", input="hi", max_output_tokens=1600)
    assert caught.value.type == "tokens"
    message = caught.value.message
    assert re.search(
        r"on tokens per min \(TPM\): Limit 3000, Used 1500, Requested 16\d\d\.", message
    )
    # It takes (1500 + requested - 3000) / 50 tokens per second to fit.
    assert re.search(r"Please try again in 2\.\d+s\.", message)
    assert too_large.value.message.startswith("Error code: 429 - Request too large for gpt-4o")
    assert "retry-after" not in too_large.value.response.headers


async def test_the_sdk_honours_the_buckets_retry_after(start_mock: StartMock) -> None:
    # Real time here: 60 RPM gives one request back every second.
    mock = await start_mock(requests_per_minute=60)
    body = {"model": "gpt-4o", "input": "burst"}
    async with ClientSession(mock.root, headers={"Authorization": "Bearer test-key"}) as http:

        async def post() -> int:
            async with http.post("/v1/responses", json=body) as resp:
                return resp.status

        assert set(await asyncio.gather(*(post() for _ in range(60)))) == {200}
    async with mock.client(max_retries=2) as client:
        response = await client.responses.create(model="gpt-4o", input="one more")
    assert response.status == "completed"
    last = [e for e in mock.creates() if e.body and e.body.get("input") == "one more"]
    assert [e.status for e in last] == [429, 200]
    refused, retried = last
    assert refused.retry_after_ms is not None and 0 < refused.retry_after_ms <= 1000
    assert retried.retry_of == refused.request_id and retried.retry_early is False
    assert retried.retry_waited_ms is not None
    assert retried.retry_waited_ms >= refused.retry_after_ms - 5


async def test_concurrent_requests_never_overdraw(start_mock: StartMock) -> None:
    clock = ManualClock()
    mock = await start_mock(clock=clock, requests_per_minute=7)
    async with mock.client(max_retries=0) as client:
        results = await asyncio.gather(
            *(
                client.responses.with_raw_response.create(model="gpt-4o", input=f"q{i}")
                for i in range(30)
            ),
            return_exceptions=True,
        )
    ok = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, openai.RateLimitError)]
    assert (len(ok), len(refused)) == (7, 23)
    # Each admitted request took exactly one unit: remaining 6, 5, ... 0, never below.
    remaining = sorted(int(r.headers["x-ratelimit-remaining-requests"]) for r in ok)
    assert remaining == [0, 1, 2, 3, 4, 5, 6]
    assert {r.response.headers["x-ratelimit-remaining-requests"] for r in refused} == {"0"}


async def test_scenario_and_rule_limits_and_per_model_buckets(start_mock: StartMock) -> None:
    clock = ManualClock()
    mock = await start_mock(
        scenario(
            "limited",
            {
                "name": "capped",
                "when": {"input_contains": "capped"},
                "reply": reply(),
                "rate_limits": {"requests_per_minute": 1},
            },
            {"name": "open", "reply": reply()},
            rate_limits={"requests_per_minute": 3, "per_model": True},
        ),
        clock=clock,
    )
    async with mock.client(max_retries=0) as client:
        await client.responses.create(model="gpt-4o", input="capped")
        with pytest.raises(openai.RateLimitError):
            await client.responses.create(model="gpt-4o", input="capped")  # the rule's bucket
        await client.responses.create(model="gpt-4o", input="open")
        with pytest.raises(openai.RateLimitError):
            await client.responses.create(
                model="gpt-4o", input="open"
            )  # the scenario's, for gpt-4o
        other = await limits_seen(client, model="gpt-4o-mini")  # its own bucket
    assert other["x-ratelimit-limit-requests"] == "3"
    assert other["x-ratelimit-remaining-requests"] == "2"


async def test_tenants_have_their_own_buckets(start_mock: StartMock) -> None:
    mock = await start_mock(clock=ManualClock(), requests_per_minute=1)
    async with (
        mock.client(api_key="alice", max_retries=0) as alice,
        mock.client(api_key="bob", max_retries=0) as bob,
    ):
        await alice.responses.create(model="gpt-4o", input="hi")
        await bob.responses.create(model="gpt-4o", input="hi")
        with pytest.raises(openai.RateLimitError):
            await alice.responses.create(model="gpt-4o", input="hi")


async def test_unlimited_servers_still_send_the_headers(start_mock: StartMock) -> None:
    mock = await start_mock()
    async with mock.client() as client:
        headers = await limits_seen(client)
    assert headers["x-ratelimit-limit-requests"] == "10000"
    assert headers["x-ratelimit-limit-tokens"] == "30000000"
