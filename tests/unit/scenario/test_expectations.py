"""Expectations (`expect:` in a rule): checked per request, recorded, reported by /_mock/verify."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession
from conftest import RunningServer, StartServer
from openai import AsyncOpenAI, BadRequestError
from openai.types.responses import FunctionToolParam, ResponseInputItemParam

from mockserver.pipeline.store import tenant_hash
from mockserver.scenario import ScenarioLoadError, load_text
from mockserver.scenario.expectations import diff_lines, report

WEATHER_TOOL: FunctionToolParam = {  # type: ignore[typeddict-item]  # no "strict": the API defaults it
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
CLOCK_TOOL: FunctionToolParam = {**WEATHER_TOOL, "name": "get_time"}
AGENT = """
name: agent
rules:
  - name: call-tools
    when: {call: 1}
    expect: {tools: [get_weather], headers: {x-trace-id: "run-*"}}
    reply:
      - function_call: {name: get_weather, arguments: {city: Paris}, call_id: call_w}
      - function_call: {name: get_time, arguments: {city: Paris}, call_id: call_t}
  - name: answer
    when: {call: 2}
    expect:
      function_call_output: [get_weather, get_time]
      input_contains: paris
    reply:
      - message: "Done."
"""


@pytest.fixture
async def server(start_server: StartServer) -> RunningServer:
    server = await start_server(seed=11)
    async with ClientSession(base_url=server.root) as admin:
        resp = await admin.post("/_mock/scenarios", data=AGENT)
        assert resp.status == 201, await resp.text()
    return server


@pytest.fixture
async def admin(server: RunningServer) -> AsyncIterator[ClientSession]:
    async with ClientSession(base_url=server.root) as session:
        yield session


@pytest.fixture
async def sdk(server: RunningServer) -> AsyncIterator[AsyncOpenAI]:
    headers = {"X-Mock-Scenario": "agent", "X-Trace-Id": "run-42"}
    async with server.client("sk-agent", default_headers=headers) as client:
        yield client


async def verify(admin: ClientSession, tenant: str = "sk-agent") -> dict[str, Any]:
    resp = await admin.get(f"/_mock/verify?tenant={tenant}")
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


def outputs(*call_ids: str) -> list[ResponseInputItemParam]:
    return [{"type": "function_call_output", "call_id": c, "output": "{}"} for c in call_ids]


async def test_a_client_that_does_everything_right_passes(
    sdk: AsyncOpenAI, admin: ClientSession
) -> None:
    first = await sdk.responses.create(
        model="gpt-4o", input="Weather and time in Paris?", tools=[WEATHER_TOOL, CLOCK_TOOL]
    )
    await sdk.responses.create(
        model="gpt-4o", previous_response_id=first.id, input=outputs("call_w", "call_t")
    )
    result = await verify(admin)
    assert result == {
        "object": "mockserver.verification",
        "ok": True,
        "violations": 0,
        "requests": [],
        "report": "All expectations met.",
    }


async def test_violations_do_not_change_the_answer_and_are_reported(
    sdk: AsyncOpenAI, admin: ClientSession
) -> None:
    # No tools offered, the trace header is missing; then only one of two outputs comes back,
    # which the API refuses before any rule is asked (pipeline/loop_check.py).
    first = await sdk.responses.create(
        model="gpt-4o", input="Weather in Paris?", extra_headers={"X-Trace-Id": "other"}
    )
    assert [item.type for item in first.output] == ["function_call", "function_call"]
    with pytest.raises(BadRequestError, match="No tool output found for function call call_t"):
        await sdk.responses.create(
            model="gpt-4o", previous_response_id=first.id, input=outputs("call_w")
        )
    second = await sdk.responses.create(
        model="gpt-4o", previous_response_id=first.id, input=outputs("call_w", "call_t")
    )
    assert second.output_text == "Done."
    result = await verify(admin)
    assert (result["ok"], result["violations"]) == (False, 2)
    assert [e["rule"] for e in result["requests"]] == ["call-tools"]  # "answer" is met
    first_entry = result["requests"][0]
    assert [(v["key"], v["expected"], v["got"]) for v in first_entry["expectations"]] == [
        ("tools", ["get_weather"], []),
        ("headers", {"x-trace-id": "run-*"}, {"x-trace-id": "other"}),
    ]
    seq1 = result["requests"][0]["seq"]
    id1, t1 = result["requests"][0]["request_id"], result["requests"][0]["time"]
    assert result["report"] == (
        "2 expectation(s) not met:\n\n"
        f"request #{seq1} {id1} at {t1}: answered by agent/call-tools (<request body>:4)\n"
        "  expect.tools:\n"
        '    - expected: ["get_weather"]\n'
        "    + got:      []\n"
        "  expect.headers:\n"
        '    - x-trace-id: "run-*"\n'
        '    + x-trace-id: "other"'
    )


async def test_streamed_requests_are_checked_too(sdk: AsyncOpenAI, admin: ClientSession) -> None:
    stream = await sdk.responses.create(model="gpt-4o", input="Paris?", stream=True)
    types = [event.type async for event in stream]
    assert types[-1] == "response.completed"  # the answer is whole
    result = await verify(admin)
    assert [v["key"] for v in result["requests"][0]["expectations"]] == ["tools"]


async def test_the_journal_marks_entries_with_violations(
    sdk: AsyncOpenAI, admin: ClientSession
) -> None:
    await sdk.responses.create(model="gpt-4o", input="Paris?", tools=[WEATHER_TOOL])
    await sdk.responses.create(model="gpt-4o", input="in Paris", tools=[WEATHER_TOOL])
    flagged = await (await admin.get("/_mock/requests?violations=true")).json()
    clean = await (await admin.get("/_mock/requests?violations=false")).json()
    assert [e["rule"] for e in flagged["data"]] == ["answer"]  # no outputs at all
    assert [e["rule"] for e in clean["data"]] == ["call-tools"]


async def test_verify_is_per_tenant(server: RunningServer, admin: ClientSession) -> None:
    async with server.client("sk-careless", default_headers={"X-Mock-Scenario": "agent"}) as sdk:
        await sdk.responses.create(model="gpt-4o", input="hi")
    async with server.client("sk-careful") as sdk:
        await sdk.responses.create(model="gpt-4o", input="hi")  # zero-config: no expectations
    assert (await verify(admin, "sk-careful"))["ok"] is True
    careless = await verify(admin, "sk-careless")
    assert careless["ok"] is False
    assert {e["tenant"] for e in careless["requests"]} == {tenant_hash("sk-careless")}
    everyone = await (await admin.get("/_mock/verify")).json()
    assert everyone["violations"] == careless["violations"]


async def test_a_tenant_reset_clears_its_violations(sdk: AsyncOpenAI, admin: ClientSession) -> None:
    await sdk.responses.create(model="gpt-4o", input="hi")
    assert (await verify(admin))["ok"] is False
    assert (await admin.post("/_mock/reset?tenant=sk-agent")).status == 200
    resp = await admin.get("/_mock/verify?tenant=sk-agent")
    assert resp.status == 404  # the tenant is gone with everything it had


# ---- each key --------------------------------------------------------------------------------

FCO_CASES = [
    # (expect value, conversation, expected miss or None)
    ("true-all-answered", True, [("fc", "a", "c1"), ("fco", "c1")], None),
    (
        "true-one-missing",
        True,
        [("fc", "a", "c1"), ("fc", "b", "c2"), ("fco", "c1")],
        {"c1 (a)": "output", "c2 (b)": "missing"},
    ),
    ("true-no-call", True, [], {"a function call since the latest user message": "none was made"}),
    ("name-answered", "a", [("fc", "a", "c1"), ("fc", "b", "c2"), ("fco", "c1")], None),
    (
        "name-never-called",
        "z",
        [("fc", "a", "c1"), ("fco", "c1")],
        {"a call to z": "no such call since the latest user message"},
    ),
    (
        "old-turn-does-not-count",
        "a",
        [("fc", "a", "c1"), ("fco", "c1"), ("user",)],
        {"a call to a": "no such call since the latest user message"},
    ),
    ("wrong-call-id", ["a"], [("fc", "a", "c1"), ("fco", "c9")], {"c1 (a)": "missing"}),
]


def _conversation(steps: list[tuple[str, ...]]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [{"role": "user", "content": "go"}]
    for step in steps:
        if step[0] == "fc":
            items.append(
                {"type": "function_call", "name": step[1], "call_id": step[2], "arguments": "{}"}
            )
        elif step[0] == "fco":
            items.append({"type": "function_call_output", "call_id": step[1], "output": "1"})
        else:
            items.append({"role": "user", "content": "again"})
    return items


@pytest.mark.parametrize(
    ("wanted", "steps", "got"), [c[1:] for c in FCO_CASES], ids=[c[0] for c in FCO_CASES]
)
def test_function_call_output(wanted: Any, steps: list[tuple[str, ...]], got: Any) -> None:
    from mockserver.scenario.context import build_context
    from mockserver.scenario.expectations import check, parse_expect

    ctx = build_context({"model": "m"}, _conversation(steps), {}, call=1)
    misses = check(parse_expect({"function_call_output": wanted}), ctx, "s/r")
    assert [m.got for m in misses] == ([] if got is None else [got])


WHEN_KEYS = [
    ("model", "gpt-4o*", {"model": "gpt-4o-mini"}, {"model": "o3"}),
    ("input_contains", ["paris", "rain"], {"input": "Rain in Paris?"}, {"input": "Paris?"}),
    ("input_matches", r"\d{4}", {"input": "in 2025"}, {"input": "soon"}),
    ("instructions_contains", "brief", {"instructions": "Be brief."}, {"instructions": "Ramble"}),
    ("has_tool_output", False, {"input": "hi"}, {"input": _conversation([("fco", "x")])}),
    ("metadata", {"suite": "e2e"}, {"metadata": {"suite": "e2e"}}, {"metadata": {}}),
    ("stream", False, {}, {"stream": True}),
    ("turn", 1, {"input": "hi"}, {"input": _conversation([("user",)])}),
    (
        "json",
        {"text.format.type": "json_schema"},
        {"text": {"format": {"type": "json_schema"}}},
        {},
    ),
]


@pytest.mark.parametrize(
    ("key", "value", "meets", "misses"), WHEN_KEYS, ids=[c[0] for c in WHEN_KEYS]
)
def test_when_keys_work_as_expectations(
    key: str, value: Any, meets: dict[str, Any], misses: dict[str, Any]
) -> None:
    from mockserver.openai.request_parts import input_items
    from mockserver.scenario.context import build_context
    from mockserver.scenario.expectations import check, parse_expect

    expect = parse_expect({key: value})
    for body, missed in ((meets, False), (misses, True)):
        body = {"model": "gpt-4o", "input": "x", **body}
        conversation = input_items(body)
        found = check(expect, build_context(body, conversation, {}, call=1), "s/r")
        assert [m.key for m in found] == ([key] if missed else []), body


# ---- loading -----------------------------------------------------------------------------------

BAD = [
    ("unknown-key", "{call: 2}", "$.rules[0].expect.call: unknown key 'call'"),
    ("empty", "{}", "$.rules[0].expect: empty mapping; give at least one of"),
    ("not-a-mapping", "[tools]", "$.rules[0].expect: expected a mapping, got a list"),
    (
        "fco-false",
        "{function_call_output: false}",
        "$.rules[0].expect.function_call_output: got false; allowed: true, a tool name or "
        "a list of tool names",
    ),
    (
        "bad-regex",
        "{input_matches: '(oops'}",
        "$.rules[0].expect.input_matches: invalid regular expression",
    ),
    ("bad-range", "{turn: {gte: 3, lte: 1}}", "$.rules[0].expect.turn: empty range"),
]


@pytest.mark.parametrize(("expect", "message"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_expectations_are_load_errors(expect: str, message: str) -> None:
    text = f"name: x\nrules:\n  - reply: [{{message: a}}]\n    expect: {expect}\n"
    with pytest.raises(ScenarioLoadError) as caught:
        load_text(text, "x.yaml")
    assert any(message in line for line in caught.value.lines()), caught.value.lines()
    assert all(line.startswith("x.yaml:4:") for line in caught.value.lines())


def test_diff_lines_for_plain_values_and_mappings() -> None:
    plain = {"key": "model", "expected": "gpt-4o*", "got": "o3"}
    assert diff_lines(plain) == ["expect.model:", '  - expected: "gpt-4o*"', '  + got:      "o3"']
    mapping = {"key": "metadata", "expected": {"a": "1", "b": "2"}, "got": {"a": "1", "b": None}}
    assert diff_lines(mapping) == [
        "expect.metadata:",
        '    a: "1"',
        '  - b: "2"',
        "  + b: null",
    ]
    extra = {"key": "json", "expected": {"a": 1}, "got": {"b": 2}}
    assert diff_lines(extra) == ["expect.json:", "  - a: 1", "  + a: (absent)", "  + b: 2"]
    assert report([]) == "All expectations met."
