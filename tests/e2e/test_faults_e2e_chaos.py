"""Chaos and outages through the server: same seed, same failures in the same places."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
from faultsupport import Mock, StartMock, mock_servers, reply, scenario

from mockserver.clock import ManualClock


@pytest.fixture
async def start_mock(tmp_path: Path) -> AsyncIterator[StartMock]:
    async with mock_servers(tmp_path) as start:
        yield start


async def outcomes(mock: Mock, n: int = 40, api_key: str = "test-key") -> list[str]:
    """What each of n sequential requests got (no SDK retries): ok or the error/fault."""
    seen = []
    async with mock.client(api_key=api_key, max_retries=0) as client:
        for i in range(n):
            try:
                await client.responses.create(model="gpt-4o", input=f"request {i}")
                seen.append("ok")
            except openai.APIStatusError as exc:
                seen.append(str(exc.code or exc.status_code))
            except openai.APIConnectionError:
                seen.append("connection")
    return seen


async def test_server_chaos_is_reproducible_from_its_seed(start_mock: StartMock) -> None:
    first = await outcomes(await start_mock(chaos=0.3, seed=11))
    again = await outcomes(await start_mock(chaos=0.3, seed=11))
    other = await outcomes(await start_mock(chaos=0.3, seed=12))
    assert first == again
    assert first != other
    assert set(first) == {"ok", "500"}
    assert 4 <= first.count("500") <= 20


async def test_server_chaos_fails_the_same_places_for_every_tenant(start_mock: StartMock) -> None:
    mock = await start_mock(chaos=0.3, seed=11)
    assert await outcomes(mock, 20, "alice") == await outcomes(mock, 20, "bob")


async def test_no_chaos_by_default(start_mock: StartMock) -> None:
    assert set(await outcomes(await start_mock(), 10)) == {"ok"}


CHAOTIC = {
    "probability": 0.5,
    "seed": 3,
    "errors": ["overloaded", {"preset": "rate_limit_exceeded", "retry_after_ms": 1}],
    "faults": ["reset"],
}


async def test_scenario_chaos_draws_from_its_choices(start_mock: StartMock) -> None:
    spec = scenario("chaotic", {"reply": reply()}, chaos=CHAOTIC)
    first = await outcomes(await start_mock(spec))
    assert first == await outcomes(await start_mock(spec, seed=99))  # its own seed wins
    assert set(first) == {"ok", "503", "rate_limit_exceeded", "connection"}


async def test_rule_chaos_and_the_journal(start_mock: StartMock) -> None:
    rules: list[dict[str, Any]] = [
        {"name": "shaky", "when": {"input_contains": "shaky"}, "reply": reply(), "chaos": 1},
        {"name": "steady", "reply": reply()},
    ]
    mock = await start_mock(scenario("rules", *rules))
    async with mock.client(max_retries=0) as client:
        with pytest.raises(openai.InternalServerError):
            await client.responses.create(model="gpt-4o", input="shaky")
        await client.responses.create(model="gpt-4o", input="steady")
    shaky, steady = mock.creates()
    assert (shaky.rule, shaky.status, shaky.error_code) == ("shaky", 500, "server_error")
    assert "chaos: server_error" in shaky.notes
    assert (steady.status, steady.notes) == (200, [])


async def test_outage_window(start_mock: StartMock) -> None:
    clock = ManualClock()
    window = {"start_ms": 1000, "duration_ms": 2000}
    mock = await start_mock(scenario("outage", {"reply": reply()}, outage=window), clock=clock)
    seen = []
    async with mock.client(max_retries=0) as client:
        for step in (0, 0.5, 0.6, 1.0, 1.0):  # t = 0, 0.5, 1.1, 2.1, 3.1 s
            clock.advance(step)
            try:
                await client.responses.create(model="gpt-4o", input="hi")
                seen.append("ok")
            except openai.InternalServerError as exc:
                assert exc.message.endswith(
                    "The engine is currently overloaded, please try again later."
                )
                seen.append(str(exc.status_code))
    assert seen == ["ok", "ok", "503", "503", "ok"]


async def test_outage_with_a_fault(start_mock: StartMock) -> None:
    window = {"duration_ms": 60_000, "fault": "close"}
    mock = await start_mock(scenario("outage", {"reply": reply()}, outage=window))
    assert await outcomes(mock, 2) == ["connection", "connection"]
    assert [e.fault for e in mock.creates()] == ["close", "close"]
