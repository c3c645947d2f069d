"""Other clients users point at the mock work unchanged: the OpenAI Agents SDK and LangChain's
ChatOpenAI on the Responses API: tool loops, streamed runs, previous_response_id chains,
handoffs and structured output, against the example scenarios."""

from __future__ import annotations

import functools
import itertools
import json
import operator
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import RunningServer
from openai import AsyncOpenAI, OpenAI

from mockserver.config import Config
from mockserver.testing.admin_client import AdminClient
from mockserver.testing.admin_types import RequestEntry
from mockserver.testing.inprocess import ServerThread

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}


async def test_agents_sdk_runs_a_tool_loop(mock: RunningServer) -> None:
    agents = pytest.importorskip("agents")
    agents.set_tracing_disabled(True)
    calls: list[str] = []

    @agents.function_tool  # type: ignore[untyped-decorator]
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        calls.append(city)
        return f"21 C in {city}"

    async with mock.client() as sdk:
        model = agents.OpenAIResponsesModel(model="gpt-4o", openai_client=sdk)
        agent = agents.Agent(
            name="weather",
            instructions="Use the tool.",
            tools=[get_weather],
            model=model,
            # zero-config: a required tool is called; the SDK then resets tool_choice to auto
            model_settings=agents.ModelSettings(tool_choice="required"),
        )
        result = await agents.Runner.run(agent, "Weather in Paris?")
    assert len(calls) == 1
    assert isinstance(result.final_output, str) and result.final_output


async def test_langchain_chat_openai_with_responses_api(mock: RunningServer) -> None:
    lc = pytest.importorskip("langchain_openai")
    # Our own HTTP client, closed at the end: LangChain's default one is cached for the
    # process and left open (an "unclosed transport" ResourceWarning at exit).
    async with httpx.AsyncClient() as http_client:
        llm = lc.ChatOpenAI(
            model="gpt-4o",
            base_url=mock.base_url,
            api_key="lc-key",
            use_responses_api=True,
            http_async_client=http_client,
        )
        answer = await llm.ainvoke("Hello there")
        assert answer.text
        with_tools = llm.bind_tools(
            [{"type": "function", "name": "get_weather", "description": "w",
              "parameters": WEATHER_SCHEMA}],
            tool_choice="get_weather",
        )  # fmt: skip
        call = await with_tools.ainvoke("Weather in Paris?")
    assert call.tool_calls and call.tool_calls[0]["name"] == "get_weather"
    assert isinstance(call.tool_calls[0]["args"]["city"], str)


# --- scripted conversations: the example scenarios, through each client's own loop ------------

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
HANDOFF = """
name: handoff
description: A triage agent hands off to a weather agent, which calls its tool, then answers.
rules:
  - name: answer
    when: {has_tool_output: get_weather}
    reply: [{message: "It is {{ tool_output.get_weather.temp_c }} °C in Paris."}]
  - name: call-tool
    when: {tools: [get_weather]}
    reply: [{function_call: {name: get_weather, arguments: {city: Paris}}}]
  - name: hand-off
    when: {tools: [transfer_to_weather_agent]}
    reply: [{function_call: {name: transfer_to_weather_agent}}]
"""
_keys = itertools.count()


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """A server in a thread of its own (sync clients block their caller), with the example
    scenarios and a handoff scenario loaded."""
    handoff = tmp_path_factory.mktemp("scenarios") / "handoff.yaml"
    handoff.write_text(HANDOFF, encoding="utf-8")
    with ServerThread(Config(port=0, seed=7, scenarios=(SCENARIOS, handoff))) as server:
        yield server


def tenant() -> str:
    return f"clients-{next(_keys)}"  # a fresh tenant: fresh rule counters and journal


def journal(server: ServerThread, key: str, count: int) -> list[RequestEntry]:
    """The tenant's journal, once its `count` requests are in (a stream's entry is written
    just after its last byte, so it may trail the client by a moment)."""
    admin = AdminClient(server.url)
    deadline = time.monotonic() + 2
    while len(entries := admin.requests(tenant=key)) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return entries


@pytest.fixture
async def agents_model(scripted: ServerThread) -> AsyncIterator[Callable[[str, str], Any]]:
    """Agents SDK models on the scripted server: model(tenant key, scenario name)."""
    agents = pytest.importorskip("agents")
    agents.set_tracing_disabled(True)
    clients: list[AsyncOpenAI] = []

    def model(key: str, scenario: str) -> Any:
        headers = {"X-Mock-Scenario": scenario}
        sdk = AsyncOpenAI(
            base_url=scripted.base_url, api_key=key, max_retries=0, default_headers=headers
        )
        clients.append(sdk)
        return agents.OpenAIResponsesModel(model="gpt-4o", openai_client=sdk)

    yield model
    for sdk in clients:
        await sdk.close()


def weather_tool(temp_c: int = 21) -> Any:
    agents = pytest.importorskip("agents")

    @agents.function_tool  # type: ignore[untyped-decorator]
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return json.dumps({"temp_c": temp_c, "sky": "sunny", "city": city})

    return get_weather


async def test_agents_sdk_run_streamed_tool_loop(
    scripted: ServerThread, agents_model: Callable[[str, str], Any]
) -> None:
    agents = pytest.importorskip("agents")
    key = tenant()
    agent = agents.Agent(
        name="weather",
        instructions="Use the tool.",
        tools=[weather_tool()],
        model=agents_model(key, "weather-agent"),
    )
    result = agents.Runner.run_streamed(agent, "What's the weather in Paris?")
    items, raw = [], []
    async for event in result.stream_events():
        if event.type == "run_item_stream_event":
            items.append(event.item.type)
        elif event.type == "raw_response_event":
            raw.append(event.data)
    assert items == ["tool_call_item", "tool_call_output_item", "message_output_item"]
    assert result.final_output == "It is 21 °C and sunny in Paris."
    # Two streamed responses, each numbered from 0 and ending in response.completed.
    starts = [i for i, e in enumerate(raw) if e.type == "response.created"]
    assert len(starts) == 2
    for first, last in zip(starts, [*starts[1:], len(raw)], strict=True):
        assert [e.sequence_number for e in raw[first:last]] == list(range(last - first))
        assert raw[last - 1].type == "response.completed"
    entries = journal(scripted, key, 2)
    assert [(e.rule, e.body["stream"]) for e in entries] == [("call-tool", True), ("answer", True)]


async def test_agents_sdk_previous_response_id_mode(
    scripted: ServerThread, agents_model: Callable[[str, str], Any]
) -> None:
    agents = pytest.importorskip("agents")
    key = tenant()
    agent = agents.Agent(
        name="weather",
        instructions="Use the tool.",
        tools=[weather_tool(18)],
        model=agents_model(key, "weather-agent"),
    )
    first = await agents.Runner.run(
        agent, "What's the weather in Paris?", auto_previous_response_id=True
    )
    assert first.final_output == "It is 18 °C and sunny in Paris."
    # The next run continues the stored conversation instead of resending it.
    again = await agents.Runner.run(
        agent, "And the weather now?", previous_response_id=first.last_response_id
    )
    assert again.final_output == "It is 18 °C and sunny in Paris."
    entries = journal(scripted, key, 4)
    assert [e.rule for e in entries] == ["call-tool", "answer", "call-tool", "answer"]
    # Only the new items travel: the tool output, chained to the response that asked for it.
    tool_round = entries[1].body
    assert tool_round["previous_response_id"] == entries[0].response_id
    assert [item["type"] for item in tool_round["input"]] == ["function_call_output"]
    assert entries[2].body["previous_response_id"] == first.last_response_id


async def test_agents_sdk_handoff_between_two_agents(
    scripted: ServerThread, agents_model: Callable[[str, str], Any]
) -> None:
    agents = pytest.importorskip("agents")
    key = tenant()
    model = agents_model(key, "handoff")
    weather = agents.Agent(
        name="weather_agent", instructions="Use the tool.", tools=[weather_tool()], model=model
    )
    triage = agents.Agent(name="triage", instructions="Hand off.", handoffs=[weather], model=model)
    result = agents.Runner.run_streamed(triage, "What's the weather in Paris?")
    seen: list[str] = []
    async for event in result.stream_events():
        if event.type == "agent_updated_stream_event":
            seen.append(f"agent:{event.new_agent.name}")
        elif event.type == "run_item_stream_event":
            seen.append(event.item.type)
    assert seen == [
        "agent:triage",
        "handoff_call_item",
        "handoff_output_item",
        "agent:weather_agent",
        "tool_call_item",
        "tool_call_output_item",
        "message_output_item",
    ]
    assert result.last_agent.name == "weather_agent"
    assert result.final_output == "It is 21 °C in Paris."
    assert [e.rule for e in journal(scripted, key, 3)] == ["hand-off", "call-tool", "answer"]


def chat(server: ServerThread, key: str, scenario: str | None, **kw: Any) -> Any:
    lc = pytest.importorskip("langchain_openai")
    headers = {"X-Mock-Scenario": scenario} if scenario else None
    return lc.ChatOpenAI(
        model="gpt-4o",
        base_url=server.base_url,
        api_key=key,
        use_responses_api=True,
        max_retries=0,
        default_headers=headers,
        **kw,
    )


def test_langchain_stream_accumulates_what_get_returns(scripted: ServerThread) -> None:
    key = tenant()
    chunks = list(chat(scripted, key, "plain-chat").stream("hello"))
    assert len(chunks) > 3  # word by word, not one block
    message = functools.reduce(operator.add, chunks)
    assert message.text == "Hello! You are talking to gpt-4o. How can I help?"
    with OpenAI(base_url=scripted.base_url, api_key=key) as sdk:
        stored = sdk.responses.retrieve(message.response_metadata["id"])
    assert stored.output_text == message.text
    assert stored.usage is not None
    assert message.usage_metadata["output_tokens"] == stored.usage.output_tokens
    assert message.usage_metadata["input_tokens"] == stored.usage.input_tokens


def test_langchain_bind_tools_loop_with_tool_messages(scripted: ServerThread) -> None:
    messages = pytest.importorskip("langchain_core.messages")
    key = tenant()
    tool = {"type": "function", "name": "get_weather", "description": "Weather in a city.",
            "parameters": WEATHER_SCHEMA}  # fmt: skip
    llm = chat(scripted, key, "weather-agent").bind_tools([tool])
    history: list[Any] = [messages.HumanMessage("What's the weather in Paris?")]
    # Streamed, the tool call arrives in argument chunks that LangChain joins.
    call = functools.reduce(operator.add, llm.stream(history))
    assert [(c["name"], c["args"]) for c in call.tool_calls] == [
        ("get_weather", {"city": "Paris", "unit": "celsius"})
    ]
    history.append(call)
    output = json.dumps({"temp_c": 19, "sky": "cloudy"})
    history += [messages.ToolMessage(output, tool_call_id=c["id"]) for c in call.tool_calls]
    answer = llm.invoke(history)
    assert answer.text == "It is 19 °C and cloudy in Paris."
    _, second = journal(scripted, key, 2)
    (sent,) = [i for i in second.body["input"] if i.get("type") == "function_call_output"]
    assert (sent["call_id"], sent["output"]) == (call.tool_calls[0]["id"], output)


def test_langchain_structured_output_json_schema(scripted: ServerThread) -> None:
    pydantic = pytest.importorskip("pydantic")

    class Forecast(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        city: str
        temp_c: float
        rain: bool

    key = tenant()
    structured = chat(scripted, key, "structured-output").with_structured_output(
        Forecast, method="json_schema"
    )
    forecast = structured.invoke("Forecast for Paris?")
    assert isinstance(forecast, Forecast)
    (entry,) = journal(scripted, key, 1)
    assert entry.rule == "anything-structured"  # `json: auto`: valid against Forecast's schema
    fmt = entry.body["text"]["format"]
    assert (fmt["type"], fmt["name"], fmt["strict"]) == ("json_schema", "Forecast", True)


def test_langchain_use_previous_response_id(scripted: ServerThread) -> None:
    messages = pytest.importorskip("langchain_core.messages")
    key = tenant()
    llm = chat(scripted, key, "conversation", use_previous_response_id=True)
    history: list[Any] = [messages.HumanMessage("hi")]
    first = llm.invoke(history)
    assert first.text == "Hi! What is your name?"
    history += [first, messages.HumanMessage("Ada")]
    second = llm.invoke(history)
    # `turn` follows previous_response_id: the server saw the whole conversation.
    assert second.text == "Nice to meet you, Ada! Ask me anything."
    entries = journal(scripted, key, 2)
    assert entries[1].body["previous_response_id"] == first.response_metadata["id"]
    assert [m.get("content") for m in entries[1].body["input"]] == ["Ada"]
