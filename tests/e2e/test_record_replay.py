"""Record and replay end to end, without any network: one mock plays the real API, a second
records a session driven by the official SDK and the OpenAI Agents SDK through it, and a
third replays the recorded file with the first one stopped. The same client code gets the
same texts, tool calls, stream event types and error classes; the secrets planted in the
traffic (an API key, a cookie, a JSON path echoed by the model) are in no recorded file."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
import pytest
from conftest import StartServer
from openai import AsyncOpenAI
from openai.types.responses import FunctionToolParam

from mockserver.config import Config
from mockserver.scenario.cli import check_paths

# What the "real API" answers: text, a tool loop, a streamed reasoning answer, a 429, an echo.
UPSTREAM = """
name: real-api
rules:
  - name: limited
    when: {input_contains: quota please}
    error: rate_limit_exceeded
  - name: echo-token
    when: {input_contains: echo my token}
    reply: [{message: "Your token is {{ request.metadata.session_token }}."}]
  - name: call-weather
    when: {input_contains: weather, has_tool_output: false}
    reply: [{function_call: {name: get_weather, arguments: {city: Paris}}}]
  - name: answer-weather
    when: {has_tool_output: get_weather}
    reply: [{message: "It is {{ tool_output.get_weather.temp_c }} C in Paris."}]
  - name: riddle
    when: {input_contains: riddle}
    stream: {ttft_ms: 40, interval_ms: 5}
    reply:
      - reasoning: {summary: ["Spiders are arachnids, so eight."]}
      - message: "A spider has eight legs. {{ '{{' }}not a template}}"
  - name: hello
    when: {input_contains: hello}
    reply: [{message: Hello! How can I help you today?}]
"""

API_KEY = "sk-proj-PLANTEDkey0123456789abcdef"
AGENT_KEY = "agents-planted-secret-4242"
COOKIE = "cookie-planted-secret-77"
JSON_SECRET = "jsonpath-planted-secret-99"
SECRETS = (API_KEY, AGENT_KEY, COOKIE, JSON_SECRET)

WEATHER_TOOL: FunctionToolParam = {  # type: ignore[typeddict-item]  # no "strict": the API defaults it
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
}


@dataclass
class Outcome:
    texts: list[str] = field(default_factory=list)
    tool_calls: list[tuple[str, Any]] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    echoed: str = ""


async def drive(base_url: str) -> Outcome:
    """A user's session: plain chat, a tool loop over previous_response_id, a streamed
    reasoning answer, a 429, an answer echoing a secret, then an Agents SDK tool loop."""
    out = Outcome()
    sdk = AsyncOpenAI(
        base_url=base_url, api_key=API_KEY, max_retries=0, default_headers={"Cookie": f"s={COOKIE}"}
    )
    async with sdk:
        hello = await sdk.responses.create(model="gpt-4o", input="hello there")
        out.texts.append(hello.output_text)

        first = await sdk.responses.create(
            model="gpt-4o", input="What's the weather in Paris?", tools=[WEATHER_TOOL]
        )
        call = next(i for i in first.output if i.type == "function_call")
        out.tool_calls.append((call.name, json.loads(call.arguments)))
        second = await sdk.responses.create(
            model="gpt-4o",
            previous_response_id=first.id,
            tools=[WEATHER_TOOL],
            input=[
                {
                    "type": "function_call_output",
                    "call_id": call.call_id,
                    "output": '{"temp_c": 21}',
                }
            ],
        )
        out.texts.append(second.output_text)

        stream = await sdk.responses.create(
            model="o4-mini", input="A riddle: legs of a spider?", stream=True,
            reasoning={"summary": "auto"},
        )  # fmt: skip
        async for event in stream:
            out.event_types.append(event.type)
            if event.type == "response.completed":
                out.texts.append(event.response.output_text)

        try:
            await sdk.responses.create(model="gpt-4o", input="quota please")
        except openai.APIStatusError as exc:
            out.errors.append(type(exc).__name__)

        echo = await sdk.responses.create(
            model="gpt-4o", input="echo my token", metadata={"session_token": JSON_SECRET}
        )
        out.echoed = echo.output_text

    out.texts.append(await run_agent(base_url))
    return out


async def run_agent(base_url: str) -> str:
    agents = pytest.importorskip("agents")
    agents.set_tracing_disabled(True)

    @agents.function_tool  # type: ignore[untyped-decorator]
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return json.dumps({"temp_c": 18 if city == "Paris" else 0})

    async with AsyncOpenAI(base_url=base_url, api_key=AGENT_KEY, max_retries=0) as sdk:
        agent = agents.Agent(
            name="weather",
            instructions="Use the tool.",
            tools=[get_weather],
            model=agents.OpenAIResponsesModel(model="gpt-4o", openai_client=sdk),
        )
        result = await agents.Runner.run(
            agent, "weather in Paris for the agent", auto_previous_response_id=True
        )
    assert isinstance(result.final_output, str)
    return result.final_output


def distinct(types: list[str]) -> list[str]:
    """Event types with runs of the same type folded (delta counts follow the chunking)."""
    return [kind for kind, _ in itertools.groupby(types)]


def recorded_text(folder: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml")))


async def test_record_then_replay_gives_the_same_outputs(
    start_server: StartServer, tmp_path: Path
) -> None:
    upstream_file = tmp_path / "upstream" / "real-api.yaml"
    upstream_file.parent.mkdir()
    upstream_file.write_text(UPSTREAM, encoding="utf-8")
    out = tmp_path / "recorded"
    real = await start_server(
        Config(scenarios=(upstream_file.parent,), default_scenario="real-api", seed=3)
    )
    recorder = await start_server(
        Config(
            record_upstream=real.base_url,
            record_out=out,
            redact_paths=("metadata.session_token",),
            seed=5,
        )
    )
    recorded = await drive(recorder.base_url)
    await real.server.close()  # from now on nothing answers but the recorded file

    assert recorded.texts[:3] == [
        "Hello! How can I help you today?",
        "It is 21 C in Paris.",
        "A spider has eight legs. {{not a template}}",
    ]
    assert recorded.tool_calls == [("get_weather", {"city": "Paris"})]
    assert recorded.errors == ["RateLimitError"]
    assert recorded.echoed == f"Your token is {JSON_SECRET}."

    text = recorded_text(out)
    for secret in SECRETS:
        assert secret not in text
    assert "<redacted>" in text
    checked = check_paths([out])
    assert not checked.errors, checked.errors

    replay = await start_server(Config(scenarios=(out,), default_scenario="recorded", seed=11))
    replayed = await drive(replay.base_url)
    assert replayed.texts == recorded.texts
    assert replayed.tool_calls == recorded.tool_calls
    assert distinct(replayed.event_types) == distinct(recorded.event_types)
    assert "response.reasoning_summary_text.delta" in replayed.event_types
    assert replayed.errors == recorded.errors
    assert replayed.echoed == "Your token is <redacted>."

    # Recording the same traffic again (against the replay) changes no byte of the file.
    before = text
    again = await start_server(
        Config(
            record_upstream=replay.base_url,
            record_out=out,
            record_timing="none",
            redact_paths=("metadata.session_token",),
        )
    )
    await drive(again.base_url)
    assert recorded_text(out) == before
