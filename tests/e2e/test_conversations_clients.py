"""Conversations through the clients users run: the OpenAI Agents SDK's
OpenAIConversationsSession and `conversation_id`, and the official Node SDK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import RunningServer
from test_node_sdk import run_node_script

NODE_SCRIPT = Path(__file__).parent / "node" / "conversations_check.mjs"
# Two user turns, each a tool loop: ask for the tool, then answer from its output. The turn
# number comes from the history the session sends back (or the server-side conversation).
SCENARIO = """
name: conv-agent
rules:
  - name: call-tool
    when: {tools: [get_weather], has_tool_output: false}
    reply:
      - function_call: {name: get_weather, arguments: {city: Paris}}
  - name: answer
    when: {has_tool_output: get_weather}
    reply:
      - message: "Turn {{ turn }}: {{ tool_output.get_weather }}"
"""


def _agents() -> Any:
    agents = pytest.importorskip("agents")
    agents.set_tracing_disabled(True)
    return agents


def _weather_tool(agents: Any, calls: list[str]) -> Any:
    @agents.function_tool  # type: ignore[untyped-decorator]
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        calls.append(city)
        return f"21 C in {city}"

    return get_weather


async def _use(mock: RunningServer, key: str) -> None:
    yaml = {"Content-Type": "application/yaml"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{mock.root}/_mock/scenarios", data=SCENARIO, headers=yaml) as r:
            assert r.status in (200, 201), await r.text()
        async with http.put(
            f"{mock.root}/_mock/tenants/binding",
            params={"tenant": key},
            json={"scenario": "conv-agent"},
        ) as r:
            assert r.status == 200, await r.text()


async def test_agents_sdk_conversations_session_two_turn_tool_loop(mock: RunningServer) -> None:
    agents = _agents()
    from agents.memory import OpenAIConversationsSession

    await _use(mock, "agents-session")
    calls: list[str] = []
    async with mock.client("agents-session") as sdk:
        session = OpenAIConversationsSession(openai_client=sdk)
        agent = agents.Agent(
            name="weather",
            instructions="Use the tool.",
            tools=[_weather_tool(agents, calls)],
            model=agents.OpenAIResponsesModel(model="gpt-4o", openai_client=sdk),
        )
        one = await agents.Runner.run(agent, "Weather in Paris?", session=session)
        two = await agents.Runner.run(agent, "And now?", session=session)
        assert one.final_output == "Turn 1: 21 C in Paris"
        assert two.final_output == "Turn 2: 21 C in Paris"
        assert calls == ["Paris", "Paris"]
        # The session's conversation holds both turns: user, call, output, answer (x2).
        items = [i async for i in sdk.conversations.items.list(session.session_id, order="asc")]
        assert [i.type for i in items] == [
            *("message", "function_call", "function_call_output", "message"),
            *("message", "function_call", "function_call_output", "message"),
        ]


async def test_agents_sdk_conversation_id_keeps_the_history_on_the_server(
    mock: RunningServer,
) -> None:
    agents = _agents()
    await _use(mock, "agents-conv")
    calls: list[str] = []
    async with mock.client("agents-conv") as sdk:
        conv = await sdk.conversations.create(metadata={"user": "alice"})
        agent = agents.Agent(
            name="weather",
            instructions="Use the tool.",
            tools=[_weather_tool(agents, calls)],
            model=agents.OpenAIResponsesModel(model="gpt-4o", openai_client=sdk),
        )
        one = await agents.Runner.run(agent, "Weather in Paris?", conversation_id=conv.id)
        two = await agents.Runner.run(agent, "And now?", conversation_id=conv.id)
        assert (one.final_output, two.final_output) == (
            "Turn 1: 21 C in Paris",
            "Turn 2: 21 C in Paris",
        )
        items = [i async for i in sdk.conversations.items.list(conv.id, order="asc")]
        assert len(items) == 8  # each request's new input and output joined the conversation


async def test_node_sdk_conversation_round_trip(mock: RunningServer, tmp_path: Path) -> None:
    found = await run_node_script(NODE_SCRIPT, mock.base_url, tmp_path)
    conv_id = found["conversation"]["id"]
    assert conv_id.startswith("conv_") and found["conversation"]["object"] == "conversation"
    assert found["conversation"]["metadata"] == {"topic": "node"}
    assert found["responses"] == [conv_id, conv_id]
    # The created item, then each turn's input and answer.
    assert found["items"] == [
        "message:user",
        *("message:user", "message:assistant"),
        *("message:user", "message:assistant"),
    ]
    assert found["firstItemSame"] is True
    assert found["deleted"] is True and found["goneAfterDelete"] is True
