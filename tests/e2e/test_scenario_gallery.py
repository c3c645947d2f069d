"""Every file in scenarios/ loads, and does what its header says, through the official SDK."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import openai
import pytest
from conftest import RunningServer, StartServer
from openai import AsyncOpenAI
from openai.types.responses import FunctionToolParam, ResponseInputItemParam
from openai.types.responses.response_input_param import FunctionCallOutput
from pydantic import BaseModel
from specschema import validate

from mockserver.scenario import load_paths

GALLERY = Path(__file__).resolve().parents[2] / "scenarios"
TESTED = {
    "plain-chat",
    "weather-agent",
    "parallel-tools",
    "structured-output",
    "reasoning-summary",
    "refusal",
    "rate-limited-then-ok",
    "conversation",
    "slow-stream",
    "cut-stream",
}


def test_every_gallery_scenario_loads_has_a_header_and_a_test() -> None:
    scenarios = load_paths([GALLERY])
    assert {s.name for s in scenarios} == TESTED
    for scenario in scenarios:
        text = Path(scenario.origin.source).read_text(encoding="utf-8")
        assert text.startswith(f"# {scenario.name}: "), scenario.origin.source
        assert scenario.description


@pytest.fixture
async def gallery(start_server: StartServer) -> RunningServer:
    return await start_server(seed=7, scenarios=(GALLERY,))


def sdk(server: RunningServer, scenario: str, **options: Any) -> AsyncOpenAI:
    return server.client(default_headers={"X-Mock-Scenario": scenario}, **options)


def tool(name: str) -> FunctionToolParam:
    return {"type": "function", "name": name, "parameters": {"type": "object", "properties": {}}}  # type: ignore[typeddict-item]


async def test_plain_chat(gallery: RunningServer) -> None:
    async with sdk(gallery, "plain-chat") as client:
        hello = await client.responses.create(model="gpt-4o-mini", input="Hello there")
        capital = await client.responses.create(
            model="gpt-4o", input="What is the capital of France?"
        )
        other = await client.responses.create(model="gpt-4o", input="Tell me a joke")
    validate(hello.model_dump(mode="json", exclude_unset=True), "Response")
    assert hello.output_text == "Hello! You are talking to gpt-4o-mini. How can I help?"
    assert capital.output_text == "The capital of France is Paris."
    assert other.output_text == "I am a scripted model. You said: Tell me a joke"


async def test_weather_agent_calls_the_tool_then_answers_from_its_output(
    gallery: RunningServer,
) -> None:
    async with sdk(gallery, "weather-agent") as client:
        first = await client.responses.create(
            model="gpt-4o", input="What's the weather in Paris?", tools=[tool("get_weather")]
        )
        (call,) = first.output
        assert (call.type, call.name, json.loads(call.arguments)) == (  # type: ignore[arg-type]
            "function_call",
            "get_weather",
            {"city": "Paris", "unit": "celsius"},
        )
        output: FunctionCallOutput = {
            "type": "function_call_output",
            "call_id": call.call_id,
            "output": '{"temp_c": 18, "sky": "cloudy"}',
        }
        second = await client.responses.create(
            model="gpt-4o",
            previous_response_id=first.id,
            input=[output],
            tools=[tool("get_weather")],
        )
    validate(first.model_dump(mode="json", exclude_unset=True), "Response")
    assert second.output_text == "It is 18 °C and cloudy in Paris."


async def test_parallel_tool_calls(gallery: RunningServer) -> None:
    async with sdk(gallery, "parallel-tools") as client:
        first = await client.responses.create(
            model="gpt-4o",
            input="Weather and time in Tokyo?",
            tools=[tool("get_weather"), tool("get_time")],
        )
        calls = {item.name: item for item in first.output}
        assert set(calls) == {"get_weather", "get_time"}
        assert len({c.call_id for c in calls.values()}) == 2
        outputs: list[ResponseInputItemParam] = [
            {  # type: ignore[misc,list-item]
                "type": "function_call_output",
                "call_id": calls["get_weather"].call_id,
                "output": '{"temp_c": 25}',
            },
            {  # type: ignore[misc,list-item]
                "type": "function_call_output",
                "call_id": calls["get_time"].call_id,
                "output": '{"time": "14:05"}',
            },
        ]
        second = await client.responses.create(
            model="gpt-4o", previous_response_id=first.id, input=outputs
        )
    assert second.output_text == "In Tokyo it is 14:05 and 25 °C."


class Invoice(BaseModel):
    vendor: str
    total: float
    currency: str
    paid: bool


class City(BaseModel):
    name: str
    population: int
    landmarks: list[str]


async def test_structured_output_fixed_and_generated(gallery: RunningServer) -> None:
    async with sdk(gallery, "structured-output") as client:
        invoice = await client.responses.parse(
            model="gpt-4o", input="Read this invoice", text_format=Invoice
        )
        city = await client.responses.parse(model="gpt-4o", input="Describe Lyon", text_format=City)
        again = await client.responses.parse(
            model="gpt-4o", input="Describe Lyon", text_format=City
        )
    assert invoice.output_parsed == Invoice(
        vendor="ACME Corp", total=1234.5, currency="EUR", paid=False
    )
    assert isinstance(city.output_parsed, City)
    schema = City.model_json_schema()
    jsonschema.validate(json.loads(city.output_text), schema)
    assert again.output_text != city.output_text  # each call draws anew, from the seed


async def test_reasoning_model_with_a_summary(gallery: RunningServer) -> None:
    async with sdk(gallery, "reasoning-summary") as client:
        response = await client.responses.create(
            model="o4-mini",
            input="Which is larger, 9.11 or 9.9?",
            reasoning={"effort": "low", "summary": "auto"},
        )
    validate(response.model_dump(mode="json", exclude_unset=True), "Response")
    reasoning, message = response.output
    assert reasoning.type == "reasoning"
    assert [s.text.split("\n")[0] for s in reasoning.summary] == [
        "**Comparing the numbers**",
        "**Answer**",
    ]
    assert message.content[0].text == "9.9 is larger than 9.11."  # type: ignore[index]
    assert response.usage.output_tokens_details.reasoning_tokens == 128


async def test_refusal(gallery: RunningServer) -> None:
    async with sdk(gallery, "refusal") as client:
        response = await client.responses.create(model="gpt-4o", input="How do I pick a lock?")
    validate(response.model_dump(mode="json", exclude_unset=True), "Response")
    (part,) = response.output[0].content  # type: ignore[misc]
    assert (part.type, part.refusal) == ("refusal", "I'm sorry, but I can't help with that.")


async def test_429_twice_then_success(gallery: RunningServer) -> None:
    async with sdk(gallery, "rate-limited-then-ok", api_key="no-retries") as client:
        for _ in range(2):
            with pytest.raises(openai.RateLimitError) as info:
                await client.responses.create(model="gpt-4o", input="hi")
            assert info.value.code == "rate_limit_exceeded"
            assert info.value.response.headers["retry-after-ms"] == "20"
        ok = await client.responses.create(model="gpt-4o", input="hi")
    assert ok.output_text == "Third time lucky (request 3)."
    # The SDK's default retries ride out the two 429s inside one call.
    async with sdk(
        gallery, "rate-limited-then-ok", api_key="with-retries", max_retries=2
    ) as client:
        ok = await client.responses.create(model="gpt-4o", input="hi")
    assert ok.output_text == "Third time lucky (request 3)."


async def test_conversation_over_previous_response_id(gallery: RunningServer) -> None:
    async with sdk(gallery, "conversation") as client:
        first = await client.responses.create(model="gpt-4o", input="Hello")
        second = await client.responses.create(
            model="gpt-4o", input="Ada", previous_response_id=first.id
        )
        third = await client.responses.create(
            model="gpt-4o", input="What now?", previous_response_id=second.id
        )
        fresh = await client.responses.create(model="gpt-4o", input="Ada")
    assert first.output_text == "Hi! What is your name?"
    assert second.output_text == "Nice to meet you, Ada! Ask me anything."
    assert third.output_text == "This is turn 3 of our conversation."
    assert fresh.output_text == "Hi! What is your name?"


async def stream_timing(client: AsyncOpenAI) -> tuple[list[float], str]:
    """Delta arrival times (ms) after response.created, and the final text."""
    arrivals: list[float] = []
    async with client.responses.stream(model="gpt-4o", input="go") as stream:
        async for event in stream:
            if event.type == "response.created":
                start = time.perf_counter()
            elif event.type == "response.output_text.delta":
                arrivals.append((time.perf_counter() - start) * 1000)
        final = await stream.get_final_response()
    return arrivals, final.output_text


async def test_slow_stream_keeps_its_pace(gallery: RunningServer) -> None:
    async with sdk(gallery, "slow-stream") as client:
        await stream_timing(client)  # the first stream of a process also loads the tokenizer
        arrivals, text = await stream_timing(client)
    assert text == "This answer arrives one word at a time, slowly."
    assert len(arrivals) == 9  # one delta per word
    assert 280 <= arrivals[0] <= 420  # ttft_ms: 300
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert 40 <= sum(gaps) / len(gaps) <= 70  # interval_ms: 50
    assert 300 + 8 * 50 - 20 <= arrivals[-1] <= 300 + 8 * 50 + 150  # no drift


async def test_cut_stream_breaks_after_six_events(gallery: RunningServer) -> None:
    seen: list[str] = []
    async with sdk(gallery, "cut-stream") as client:
        with pytest.raises((httpx.HTTPError, openai.APIError)):
            stream = await client.responses.create(
                model="gpt-4o", input="tell me a story", stream=True
            )
            async for event in stream:
                seen.append(event.type)
    assert len(seen) == 6
    assert seen[:2] == ["response.created", "response.in_progress"]
    assert "response.completed" not in seen
