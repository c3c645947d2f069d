"""Other clients users point at the mock work unchanged: the OpenAI Agents SDK and LangChain's
ChatOpenAI on the Responses API, tool loops included."""

from __future__ import annotations

import pytest

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}


async def test_agents_sdk_runs_a_tool_loop(mock):
    agents = pytest.importorskip("agents")
    agents.set_tracing_disabled(True)
    calls: list[str] = []

    @agents.function_tool
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


async def test_langchain_chat_openai_with_responses_api(mock):
    lc = pytest.importorskip("langchain_openai")
    llm = lc.ChatOpenAI(
        model="gpt-4o", base_url=mock.base_url, api_key="lc-key", use_responses_api=True
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
