"""Testing an app that uses the OpenAI Responses API, with mockserver's pytest plugin.

Install mockserver in your test environment and the `mockserver` fixture is there: the
first test that uses it starts a mock server in-process; each test gets its own API key,
so tests (and xdist workers) never see each other's state. Run with `pytest`, or against a
running container with `pytest --mockserver-url http://localhost:8000`.
"""

from __future__ import annotations

import json

import openai
import pytest

# ---- the code under test (normally imported from your app) ------------------------------------

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def get_weather(city: str) -> dict[str, object]:
    return {"city": city, "temp_c": 21, "sky": "sunny"}


def ask_agent(client: openai.OpenAI, question: str) -> str:
    """A minimal tool loop: call the tools the model asks for until it answers in text."""
    response = client.responses.create(model="gpt-4o", input=question, tools=[WEATHER_TOOL])
    while calls := [item for item in response.output if item.type == "function_call"]:
        outputs = [
            {
                "type": "function_call_output",
                "call_id": call.call_id,
                "output": json.dumps(get_weather(**json.loads(call.arguments))),
            }
            for call in calls
        ]
        response = client.responses.create(
            model="gpt-4o",
            previous_response_id=response.id,
            input=outputs,
            tools=[WEATHER_TOOL],
        )
    return response.output_text


def summarize(text: str) -> str:
    """Code that builds its own client from OPENAI_BASE_URL / OPENAI_API_KEY."""
    with openai.OpenAI() as client:
        return client.responses.create(model="gpt-4o-mini", input=f"Summarize: {text}").output_text


# ---- the tests --------------------------------------------------------------------------------

WEATHER_AGENT = """
name: weather-agent
rules:
  - name: call-tool
    when: {has_tool_output: false}
    expect: {tools: [get_weather]}          # the app must offer the tool
    reply:
      - function_call: {name: get_weather, arguments: {city: Paris}}
  - name: answer
    when: {has_tool_output: get_weather}
    expect: {function_call_output: get_weather}   # and send the tool's result back
    reply:
      - message: >-
          It is {{ tool_output.get_weather.temp_c }} °C and
          {{ tool_output.get_weather.sky }} in Paris.
"""
# Scenarios can be dicts too: "429 twice (per test), then an answer".
FLAKY = {
    "name": "flaky",
    "rules": [
        {
            "name": "throttled",
            "times": 2,
            # The SDK honours retry-after-ms: a short one keeps the test quick.
            "error": {"preset": "rate_limit_exceeded", "retry_after_ms": 10},
        },
        {"name": "ok", "reply": [{"message": "Finally."}]},
    ],
}
ALWAYS_429 = {"name": "always-429", "rules": [{"name": "no", "error": "rate_limit_exceeded"}]}
SUMMARY = """
name: summary
rules:
  - name: sum
    when: {input_contains: summarize}
    reply: [{message: Short.}]
"""


def test_the_agent_answers_from_the_tool_output(mockserver):
    mockserver.use(WEATHER_AGENT)  # a YAML string; also a scenario name, a file path or a dict

    answer = ask_agent(mockserver.client(), "What's the weather in Paris?")

    assert answer == "It is 21 °C and sunny in Paris."
    mockserver.assert_called("call-tool", times=1)
    mockserver.assert_called("answer", times=1)
    # What the app sent, as the server saw it:
    first, second = mockserver.requests()
    assert first.body["tools"][0]["name"] == "get_weather"
    assert second.body["previous_response_id"] == first.response_id
    mockserver.verify()  # every `expect:` was met (else: a readable diff)


@pytest.mark.mockserver(scenario=FLAKY)  # the marker picks a scenario for one test
def test_the_sdk_retries_through_two_rate_limits(mockserver):
    client = mockserver.client(max_retries=2)

    assert client.responses.create(model="gpt-4o", input="hi").output_text == "Finally."

    attempts = mockserver.requests()
    assert [(r.status, r.retry_count) for r in attempts] == [(429, 0), (429, 1), (200, 2)]


def test_without_retries_the_app_sees_the_429(mockserver):
    mockserver.use(ALWAYS_429)
    with pytest.raises(openai.RateLimitError) as caught:
        mockserver.client(max_retries=0).responses.create(model="gpt-4o", input="hi")
    assert caught.value.code == "rate_limit_exceeded"


def test_code_that_reads_the_environment(mockserver_env):
    mockserver_env.use(SUMMARY)

    assert summarize("a very long text") == "Short."
    (request,) = mockserver_env.requests()
    assert request.body["model"] == "gpt-4o-mini"


async def test_async_clients_work_the_same(mockserver):
    async with mockserver.async_client() as client:
        response = await client.responses.create(model="gpt-4o", input="Hello!")

    assert response.output_text  # no scenario: a plausible generated answer
    (request,) = mockserver.requests()
    assert request.scenario is None and request.status == 200
