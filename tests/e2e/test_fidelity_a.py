"""Fidelity with real traffic, through the official SDK (and raw HTTP for wire details):
reasoning within max_output_tokens, function-call argument deltas, the newest models and
enums, and the Response echo (user, moderation, hosted tool defaults, ids, input tokens)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest
from aiohttp import ClientSession
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
  - name: compaction
    when: {input_contains: "compact"}
    reply:
      - item: {type: compaction, encrypted_content: "gAAAAABpM0Yj-opaque="}
      - message: "Compacted."
"""
WHOLE_ARGUMENTS = """
name: whole-arguments
stream: {arguments_chunk: none}
rules:
  - reply:
      - function_call: {name: get_weather, arguments: {location: "Paris, France", unit: celsius}}
"""


@pytest.fixture
async def scripted(start_server: StartServer, tmp_path: Path) -> RunningServer:
    path = tmp_path / "fidelity.yaml"
    path.write_text(SCENARIO)
    return await start_server(seed=3, scenarios=(path,), default_scenario="fidelity")


@pytest.fixture
async def whole(start_server: StartServer, tmp_path: Path) -> RunningServer:
    path = tmp_path / "whole.yaml"
    path.write_text(WHOLE_ARGUMENTS)
    return await start_server(seed=3, scenarios=(path,), default_scenario="whole-arguments")


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


async def test_a_scenario_can_keep_the_arguments_in_one_delta(whole: RunningServer) -> None:
    deltas, arguments = await _argument_deltas(whole, "What is the weather in Paris?")
    assert deltas == [arguments]


# ---- 8. the newest models and every enum value the spec and the SDK list -------------------

# The newest models openai-python 3.57 names (ChatModel, ResponsesModel) and the Codex CLI's
# default (gpt-5.6-sol), with the dated snapshot a response names where one is known.
NEWEST = {
    "gpt-5.4": "gpt-5.4-2026-03-05",
    "gpt-5.4-mini": "gpt-5.4-mini-2026-03-17",
    "gpt-5.4-nano": "gpt-5.4-nano-2026-03-17",
    "gpt-5.5": "gpt-5.5-2026-04-23",
    "gpt-5.5-pro": "gpt-5.5-pro-2026-04-23",
    "gpt-5.2-pro": "gpt-5.2-pro-2025-12-11",
    "gpt-5.6-sol": "gpt-5.6-sol-2026-07-09",
    "gpt-5.6-terra": "gpt-5.6-terra-2026-07-09",
    "gpt-5.6-luna": "gpt-5.6-luna-2026-07-09",
    "gpt-6-sol": "gpt-6-sol",
    "gpt-6.2-astra": "gpt-6.2-astra",
}


@pytest.mark.parametrize(("model", "snapshot"), sorted(NEWEST.items()))
async def test_the_newest_models_reason_and_name_their_snapshot(
    mock: RunningServer, model: str, snapshot: str
) -> None:
    async with mock.client() as sdk:
        listed = await sdk.models.retrieve(model)
        answer = await sdk.responses.create(
            model=model, input="Plan a three-day trip to Kyoto.", reasoning={"effort": "high"}
        )
    assert listed.id == model and listed.owned_by == "system"
    assert answer.model == snapshot
    assert answer.output[0].type == "reasoning"
    assert answer.reasoning is not None and answer.reasoning.effort == "high"


async def test_the_codex_default_model_reasons_over_all_turns(mock: RunningServer) -> None:
    body = await _create(mock, model="gpt-5.6-sol", input="Fix the failing test.")
    assert body["model"] == "gpt-5.6-sol-2026-07-09"
    assert body["reasoning"] == {
        "effort": "medium",
        "summary": None,
        "context": "all_turns",
        "mode": "standard",
    }


async def test_gpt_5_4_answers_like_gpt_5_1_without_an_effort(mock: RunningServer) -> None:
    body = await _create(mock, model="gpt-5.4", input="Hi", temperature=0.3)
    assert [item["type"] for item in body["output"]] == ["message"]  # default effort none
    assert body["reasoning"]["effort"] == "none" and body["temperature"] == 0.3


@pytest.mark.parametrize("model", ["gpt-5.2", "gpt-5.4", "gpt-5.6-sol"])
async def test_tool_search_is_accepted_where_the_api_has_it(
    mock: RunningServer, model: str
) -> None:
    body = await _create(mock, model=model, input="Find a tool", tools=[{"type": "tool_search"}])
    assert body["tools"][0]["type"] == "tool_search"


async def test_tool_search_is_refused_where_the_api_lacks_it(mock: RunningServer) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await _create(mock, model="gpt-4.1", input="Find a tool", tools=[{"type": "tool_search"}])
    assert info.value.param == "tools"


@pytest.mark.parametrize(
    ("asked", "served"),
    [
        ("fast", "priority"),
        ("ultrafast", "ultrafast"),
        ("priority", "priority"),
        ("auto", "default"),
    ],
)
async def test_every_service_tier_is_accepted(mock: RunningServer, asked: str, served: str) -> None:
    body = await _create(mock, model="gpt-5.4", input="Hi", service_tier=asked)
    assert body["service_tier"] == served


# ---- 9. smaller differences ---------------------------------------------------------------


async def test_user_is_always_in_the_body(http: ClientSession) -> None:
    async with http.post("/v1/responses", json={"model": "gpt-4.1", "input": "Hi"}) as resp:
        body = await resp.json()
    assert "user" in body and body["user"] is None
    validate(body, "Response")
    async with http.get(f"/v1/responses/{body['id']}") as resp:
        assert (await resp.json())["user"] is None


async def test_a_stored_prompt_makes_model_optional(
    mock: RunningServer, http: ClientSession
) -> None:
    body = await _create(mock, prompt={"id": "pmpt_abc123", "version": "2"}, input="Hi")
    assert body["model"] == "gpt-5.4-2026-03-05"
    assert body["prompt"] == {"id": "pmpt_abc123", "version": "2"}
    async with http.post("/v1/responses", json={"input": "Hi"}) as resp:
        error = (await resp.json())["error"]
    assert resp.status == 400
    assert (error["code"], error["param"]) == ("missing_required_parameter", "model")


async def test_moderation_results_and_cache_options_come_back(mock: RunningServer) -> None:
    async with mock.client() as sdk:
        answer = await sdk.responses.create(
            model="gpt-5.6-sol",
            input="What is the capital of France?",
            moderation={"model": "omni-moderation-latest"},
            prompt_cache_options={"mode": "explicit"},
        )
        plain = await sdk.responses.create(model="gpt-5.6-sol", input="Hi")
    assert answer.moderation is not None
    for result in (answer.moderation.input, answer.moderation.output):
        assert result.type == "moderation_result" and not result.flagged
        assert result.model == "omni-moderation-latest"
        assert len(result.categories) == 13 and set(result.categories) == set(
            result.category_scores
        )
        assert all(0 < score < 0.01 for score in result.category_scores.values())
    assert answer.prompt_cache_options is not None
    assert (answer.prompt_cache_options.mode, answer.prompt_cache_options.ttl) == (
        "explicit",
        "30m",
    )
    assert plain.moderation is None and plain.prompt_cache_options is None


async def test_moderation_arrives_with_the_finished_stream(mock: RunningServer) -> None:
    sdk = mock.client()
    async with (
        sdk,
        sdk.responses.stream(
            model="gpt-5", input="Hi", moderation={"model": "omni-moderation-latest"}
        ) as stream,
    ):
        snapshots = [e.response async for e in stream if e.type == "response.created"]
        final = await stream.get_final_response()
    assert snapshots[0].moderation is None  # as recorded: null until the response is done
    assert final.moderation is not None and final.moderation.output.type == "moderation_result"


async def test_hosted_tools_are_echoed_with_the_apis_defaults(mock: RunningServer) -> None:
    tools: list[Any] = [
        {"type": "web_search"},
        {"type": "web_search", "user_location": {"type": "approximate", "city": "Utrecht"}},
        {"type": "web_search_preview"},
        {
            "type": "mcp",
            "server_label": "deepwiki",
            "server_url": "https://mcp.deepwiki.com/mcp",
            "headers": {"X-Api-Key": "sk-secret"},
            "authorization": "Bearer sk-secret",
            "require_approval": "never",
        },
    ]
    body = await _create(mock, model="gpt-4.1", input="Hi", tools=tools)
    search, located, preview, mcp = body["tools"]
    us = {"type": "approximate", "city": None, "country": "US", "region": None, "timezone": None}
    assert search == {
        "type": "web_search",
        "filters": None,
        "search_context_size": "medium",
        "user_location": us,
    }
    assert located["user_location"] == {**us, "country": None, "city": "Utrecht"}
    assert preview == {
        "type": "web_search_preview",
        "search_context_size": "medium",
        "user_location": us,
    }
    assert mcp["allowed_tools"] is None and mcp["server_description"] is None
    assert mcp["headers"] == {"X-Api-Key": "<redacted>"} and "authorization" not in mcp
    assert "sk-secret" not in json.dumps(body)


async def test_reasoning_mode_and_context_are_kept(mock: RunningServer) -> None:
    reasoning: Any = {"effort": "low", "context": "all_turns", "mode": "pro"}
    body = await _create(mock, model="gpt-5", input="Hi", reasoning=reasoning)
    assert body["reasoning"] == {**reasoning, "summary": None}


async def test_ids_of_the_newer_items_have_the_real_prefixes(scripted: RunningServer) -> None:
    request = {"model": "gpt-4.1", "input": "compact this"}
    async with (
        ClientSession(headers={"Authorization": "Bearer k"}) as http,
        http.post(f"{scripted.base_url}/responses", json=request) as resp,
    ):
        body = await resp.json()
    validate(body, "Response")
    assert body["output"][0]["type"] == "compaction"
    assert body["output"][0]["id"].startswith("cmp_")


async def test_temperature_on_a_reasoning_model_has_code_null(mock: RunningServer) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await _create(mock, model="o3", input="Hi", temperature=0.2)
    assert (info.value.code, info.value.param) == (None, "temperature")


# The real API's count for a recorded request (gpt-4o, one function tool, a json_schema
# response format): 73 input tokens; the JSON of the tools alone used to give 52.
RECORDED_TOOLS_AND_SCHEMA: dict[str, Any] = {
    "model": "gpt-4o",
    "input": [{"role": "user", "content": "What is the largest city in the user country?"}],
    "tools": [
        {
            "type": "function",
            "name": "get_user_country",
            "description": None,
            "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
            "strict": False,
        }
    ],
    "text": {
        "format": {
            "type": "json_schema",
            "name": "CityLocation",
            "description": "A city and its country.",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
                "required": ["city", "country"],
                "additionalProperties": False,
            },
        }
    },
}


async def test_input_tokens_count_tools_and_schemas_as_the_api_writes_them(
    mock: RunningServer,
) -> None:
    body = await _create(mock, **RECORDED_TOOLS_AND_SCHEMA)
    assert abs(body["usage"]["input_tokens"] - 73) <= 4
    async with mock.client() as sdk:
        counted = await sdk.responses.input_tokens.count(**RECORDED_TOOLS_AND_SCHEMA)
    assert counted.input_tokens == body["usage"]["input_tokens"]
