"""Fidelity with real traffic, through the official SDK (and raw HTTP for wire details):
reasoning within max_output_tokens, function-call argument deltas, the newest models and
enums, and the Response echo (user, moderation, hosted tool defaults, ids, input tokens)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import RunningServer, StartServer
from specschema import validate

SCENARIO = """
name: fidelity
rules:
  - name: think-then-answer
    when: {input_contains: "9.11"}
    reply:
      - reasoning:
          summary: ["**Comparing the numbers**\\n\\nPlace by place, 9.9 is larger."]
      - message: "9.9 is larger than 9.11."
    usage: {output_tokens_details: {reasoning_tokens: 128}}
  - name: reason-and-answer
    when: {input_contains: "answer"}
    reply:
      - reasoning: {summary: "Looking it up."}
      - message: "The answer is 42."
  - name: weather
    when: {input_contains: "weather"}
    reply:
      - function_call: {name: get_weather, arguments: {location: "Paris, France", unit: celsius}}
  - name: weather-whole
    when: {input_contains: "climate"}
    stream: {arguments_chunk: none}
    reply:
      - function_call: {name: get_weather, arguments: {location: "Paris, France", unit: celsius}}
"""


@pytest.fixture
async def scripted(start_server: StartServer, tmp_path: Path) -> RunningServer:
    path = tmp_path / "fidelity.yaml"
    path.write_text(SCENARIO)
    return await start_server(seed=3, scenarios=(path,), default_scenario="fidelity")


async def _create(server: RunningServer, **params: Any) -> dict[str, Any]:
    async with server.client() as sdk:
        raw = await sdk.responses.with_raw_response.create(**params)
        raw.parse()  # the SDK reads it
    body: dict[str, Any] = json.loads(raw.http_response.text)
    validate(body, "Response")
    return body


# ---- 1. reasoning tokens within max_output_tokens ------------------------------------------


async def test_scripted_reasoning_past_the_budget_stops_with_its_reasoning_item(
    scripted: RunningServer,
) -> None:
    body = await _create(
        scripted, model="o4-mini", input="which is larger 9.11 or 9.9", max_output_tokens=100
    )
    assert body["status"] == "incomplete"
    assert body["incomplete_details"] == {"reason": "max_output_tokens"}
    assert [item["type"] for item in body["output"]] == ["reasoning"]
    usage = body["usage"]
    assert usage["output_tokens"] <= 100
    assert usage["output_tokens"] == usage["output_tokens_details"]["reasoning_tokens"] == 100


async def test_scripted_reasoning_within_the_budget_is_kept_as_scripted(
    scripted: RunningServer,
) -> None:
    body = await _create(
        scripted, model="o4-mini", input="which is larger 9.11 or 9.9", max_output_tokens=200
    )
    assert body["status"] == "completed"
    assert body["output"][1]["content"][0]["text"] == "9.9 is larger than 9.11."
    assert body["usage"]["output_tokens_details"]["reasoning_tokens"] == 128
    assert 128 < body["usage"]["output_tokens"] <= 200


@pytest.mark.parametrize("cap", [16, 40, 200])
async def test_a_scripted_reply_comes_out_whole_when_the_budget_holds_it(
    scripted: RunningServer, cap: int
) -> None:
    body = await _create(
        scripted, model="gpt-5", input="What is the answer?", max_output_tokens=cap
    )
    assert body["status"] == "completed"
    assert [item["type"] for item in body["output"]] == ["reasoning", "message"]
    assert body["output"][1]["content"][0]["text"] == "The answer is 42."
    usage = body["usage"]
    assert usage["output_tokens"] <= cap
    assert usage["output_tokens_details"]["reasoning_tokens"] % 64 == 0


async def test_generated_reasoning_is_plausible_and_within_the_budget(
    mock: RunningServer,
) -> None:
    trivial = [
        (await _create(mock, model="o4-mini", input="hi"))["usage"]["output_tokens_details"][
            "reasoning_tokens"
        ]
        for _ in range(6)
    ]
    assert all(0 <= t <= 128 for t in trivial)
    question = "Explain how the TCP handshake works and why it needs three steps. " * 4
    high = await _create(mock, model="o3", input=question, reasoning={"effort": "high"})
    assert high["usage"]["output_tokens_details"]["reasoning_tokens"] > 128
    capped = await _create(
        mock, model="o3", input=question, reasoning={"effort": "high"}, max_output_tokens=64
    )
    assert capped["usage"]["output_tokens"] <= 64
    assert capped["output"][0]["type"] == "reasoning"


# ---- 7. function-call arguments stream in token-sized deltas -------------------------------


async def _argument_deltas(server: RunningServer, prompt: str) -> tuple[list[str], str]:
    sdk = server.client()
    async with sdk, sdk.responses.stream(model="gpt-4.1", input=prompt) as stream:
        deltas = [
            event.delta
            async for event in stream
            if event.type == "response.function_call_arguments.delta"
        ]
        final = await stream.get_final_response()
    call = final.output[0]
    assert call.type == "function_call"
    return deltas, call.arguments


async def test_function_arguments_stream_in_token_sized_deltas(scripted: RunningServer) -> None:
    deltas, arguments = await _argument_deltas(scripted, "What is the weather in Paris?")
    assert json.loads(arguments) == {"location": "Paris, France", "unit": "celsius"}
    assert "".join(deltas) == arguments
    assert 10 <= len(deltas) <= 16  # real traffic: about 13 for a short object
    assert deltas[:3] == ['{"', "location", '":"']


async def test_a_scenario_can_keep_the_arguments_in_one_delta(scripted: RunningServer) -> None:
    deltas, arguments = await _argument_deltas(scripted, "What is the climate in Paris?")
    assert deltas == [arguments]
