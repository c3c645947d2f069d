"""Steering over the WebSocket mode with openai-python: accepted, the running response
yields `incomplete` (steered) and an automatic successor answers the steered input (matched
by the scenario like any input); pending for client-owned tool output; failed with codes.
Steering events are validated with the SDK's own types (the spec v2.3.0 has none)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import RunningServer, StartServer
from openai.resources.responses.responses import AsyncResponsesConnection
from openai.types.responses import (
    ResponseIncompleteEvent,
    ResponseSteerAcceptedEvent,
    ResponseSteerFailedEvent,
    ResponseSteerPendingEvent,
)
from openai.types.responses.response_input_param import FunctionCallOutput
from streamcases import validate_server_event

SCENARIO = """
name: steer
stream: {ttft_ms: 0, chunk: word, interval_ms: 30}
rules:
  - name: steered
    when: {input_contains: instead}
    reply: [{message: "Switching to French."}]
  - name: tool
    when: {input_contains: tool}
    stream: {ttft_ms: 150}
    reply: [{function_call: {name: lookup, arguments: {q: x}}}]
  - name: to-the-end
    when: {input_contains: finish}
    steering: end
    reply:
      - {message: "one two three four five six"}
      - {message: "seven eight nine ten eleven twelve"}
  - name: unsteerable
    when: {input_contains: stubborn}
    steering: refuse
    reply: [{message: "one two three four five six"}]
  - name: doomed
    when: {input_contains: doomed}
    stream: {ttft_ms: 150}
    reply: [{message: "one two"}]
    fault: failed
  - name: long
    reply:
      - {message: "one two three four five six"}
      - {message: "seven eight nine ten eleven twelve"}
"""
STEER_TYPES: dict[str, Any] = {
    "response.steer.accepted": ResponseSteerAcceptedEvent,
    "response.steer.pending": ResponseSteerPendingEvent,
    "response.steer.failed": ResponseSteerFailedEvent,
}


@pytest.fixture
async def mock(start_server: StartServer, tmp_path: Path) -> RunningServer:
    path = tmp_path / "steer.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return await start_server(seed=7, scenarios=(path,), default_scenario="steer")


async def recv(conn: AsyncResponsesConnection) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(await asyncio.wait_for(conn.recv_bytes(), 10))
    if raw["type"] in STEER_TYPES:
        STEER_TYPES[raw["type"]].model_validate(raw)
    elif raw["type"] == "response.incomplete":
        ResponseIncompleteEvent.model_validate(raw)  # reason `steered`: newer than the spec
    else:
        validate_server_event(raw)
    return raw


async def steered(conn: AsyncResponsesConnection, text: str, steer: str, **create: Any) -> str:
    """Create a response, steer it as soon as it is created; its id."""
    await conn.response.create(model="gpt-4o", input=text, **create)
    target: str = (await recv(conn))["response"]["id"]
    await conn.send({"type": "response.steer", "previous_response_id": target, "input": steer})
    return target


async def test_steer_round_trip(mock: RunningServer) -> None:
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        target = await steered(conn, "tell me", "French instead", stream_id="agent")
        events = [await recv(conn)]
        while events[-1]["type"] != "response.completed":
            events.append(await recv(conn))
        stored = await sdk.responses.retrieve(target)
    kinds = [e["type"] for e in events]
    accepted = events[kinds.index("response.steer.accepted")]
    assert accepted["steer"]["previous_response_id"] == target
    assert accepted["stream_id"] == "agent"
    incomplete = events[kinds.index("response.incomplete")]["response"]
    assert incomplete["id"] == target
    assert incomplete["incomplete_details"] == {"reason": "steered"}
    assert len(incomplete["output"]) == 1  # yielded after its first item
    successor = events[kinds.index("response.created", kinds.index("response.incomplete"))]
    assert successor["response"]["previous_response_id"] == target
    assert successor["stream_id"] == "agent"
    final = events[-1]["response"]
    assert final["output"][0]["content"][0]["text"] == "Switching to French."
    assert stored.status == "incomplete"


async def test_steer_pending_then_explicit_continuation(mock: RunningServer) -> None:
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        target = await steered(conn, "use the tool", "and instead")
        events = [await recv(conn)]
        while events[-1]["type"] != "response.steer.pending":
            events.append(await recv(conn))
        pending = events[-1]
        (stub,) = pending["required_input"]
        assert stub["type"] == "function_call_output" and stub["name"] == "lookup"
        assert pending["reason"] == "waiting_for_required_input"
        # The stub filled in with the saved result, as the SDK's docs say.
        output: FunctionCallOutput = {
            "type": "function_call_output",
            "call_id": stub["call_id"],
            "output": "42",
        }
        await conn.response.create(model="gpt-4o", previous_response_id=target, input=[output])
        events = [await recv(conn)]
        while events[-1]["type"] != "response.completed":
            events.append(await recv(conn))
        items = await sdk.responses.input_items.list(events[-1]["response"]["id"])
    # The queued steer came first in the continuation's input: the scenario matched it.
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == "Switching to French."
    assert [i.type for i in items.data][::-1][:2] == ["message", "function_call_output"]


@pytest.mark.parametrize(
    ("target", "steer_input", "code"),
    [
        ("resp_unknown", "x", "response_not_found"),
        (None, [{"type": "function_call_output", "call_id": "c", "output": "x"}], "invalid_input"),
        (None, [], "invalid_input"),
    ],
)
async def test_steer_failed(
    mock: RunningServer, target: str | None, steer_input: Any, code: str
) -> None:
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="tell me")
        running = (await recv(conn))["response"]["id"]
        await conn.send_raw(
            json.dumps(
                {
                    "type": "response.steer",
                    "previous_response_id": target or running,
                    "input": steer_input,
                }
            )
        )
        event = await recv(conn)
        while event["type"] != "response.steer.failed":
            event = await recv(conn)
    assert event["error"]["code"] == code
    assert event["steer"]["input"] == steer_input
    assert "id" not in event["steer"]  # refused before an id was allocated


async def test_steer_after_completion(mock: RunningServer) -> None:
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="tell me")
        event = await recv(conn)
        target = event["response"]["id"]
        while event["type"] != "response.completed":
            event = await recv(conn)
        await conn.send({"type": "response.steer", "previous_response_id": target, "input": "x"})
        failed = await recv(conn)
    assert failed["type"] == "response.steer.failed"
    assert failed["error"]["code"] == "response_already_completed"


async def test_rule_steering_end_completes_then_successor(mock: RunningServer) -> None:
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        target = await steered(conn, "finish it", "instead")
        events = [await recv(conn)]
        while events[-1]["type"] != "response.completed" or events[-1]["response"]["id"] == target:
            events.append(await recv(conn))
    kinds = [e["type"] for e in events]
    assert "response.incomplete" not in kinds
    first = next(e for e in events if e["type"] == "response.completed")["response"]
    assert first["id"] == target and len(first["output"]) == 2  # it did not yield
    assert events[-1]["response"]["previous_response_id"] == target


async def test_rule_steering_refuse(mock: RunningServer) -> None:
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        await steered(conn, "stubborn", "x")
        event = await recv(conn)
        while event["type"] != "response.steer.failed":
            event = await recv(conn)
    assert event["error"]["code"] == "steering_not_supported"


async def test_steer_of_a_failed_response_comes_back(mock: RunningServer) -> None:
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        target = await steered(conn, "doomed", "instead")
        events = [await recv(conn)]
        while events[-1]["type"] != "response.steer.failed":
            events.append(await recv(conn))
    kinds = [e["type"] for e in events]
    accepted = events[kinds.index("response.steer.accepted")]
    assert kinds.index("response.steer.accepted") < kinds.index("response.failed")
    failed = events[-1]
    assert failed["error"]["code"] == "response_not_active"
    assert failed["steer"]["id"] == accepted["steer"]["id"]  # accepted, then returned
    assert failed["steer"]["previous_response_id"] == target
