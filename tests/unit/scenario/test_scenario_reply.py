"""Reply items -> Plans, templates in them, and the answer-time errors."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from mockserver.plan import FunctionCallPlan, MessagePlan, Plan, ReasoningPlan, VerbatimPlan
from mockserver.scenario import Counters, ScenarioAnswerError, decide, load_text
from mockserver.scenario.reply import REPLIES
from mockserver.scenario.schema import schema
from mockserver.zeroconfig.generate import json_for_schema

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "temp": {"type": "integer"}},
    "required": ["city", "temp"],
    "additionalProperties": False,
}
BODY = {
    "model": "gpt-4o",
    "instructions": "be nice",
    "metadata": {"user": "ada"},
    "text": {"format": {"type": "json_schema", "name": "w", "schema": SCHEMA}},
}
CONVERSATION: list[dict[str, Any]] = [
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "weather?"}]},
    {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "c1", "output": '{"temp_c": 21, "sky": ["sun"]}'},
]


def plan_of(reply_yaml: str, body: dict[str, Any] | None = None, **rule: object) -> Plan:
    items = textwrap.indent(textwrap.dedent(reply_yaml), "      ")
    text = f"name: s\nseed: 3\nrules:\n  - reply:\n{items}"
    for key, value in rule.items():
        text += f"    {key}: {json.dumps(value)}\n"
    (scenario,) = load_text(text, "t")
    return decide(
        scenario,
        body=body or BODY,
        conversation=CONVERSATION,
        headers={},
        counters=Counters(),
        seed=3,
        json_for_schema=json_for_schema,
        generate=lambda: pytest.fail("no fallback expected"),
    ).plan


REPLY_CASES = {
    "message": ("- message: Hello {{ metadata.user }}\n", MessagePlan("Hello ada")),
    "message-annotations": (
        "- message:\n    text: See x\n    annotations:\n"
        "      - {type: url_citation, url: 'https://x.test', title: X,"
        " start_index: 4, end_index: 5}\n",
        MessagePlan(
            "See x",
            (
                {
                    "type": "url_citation",
                    "url": "https://x.test",
                    "title": "X",
                    "start_index": 4,
                    "end_index": 5,
                },
            ),
        ),
    ),
    "refusal": (
        "- refusal: I can't help with {{ input }}\n",
        MessagePlan("I can't help with weather?", refusal=True),
    ),
    "function_call-object": (
        "- function_call: {name: f, arguments:"
        " {t: '{{ tool_output.get_weather.temp_c }}', s: 'x{{ call }}'}}\n",
        FunctionCallPlan("f", '{"t":21,"s":"x1"}'),  # compact, as models write it
    ),
    "function_call-raw": (
        "- function_call: {name: f, arguments: '{\"broken\": ', call_id: call_fixed}\n",
        FunctionCallPlan("f", '{"broken": ', "call_fixed"),
    ),
    "reasoning": (
        "- reasoning: {summary: [Look up, Answer], text: think, encrypted_content: gAAA}\n",
        ReasoningPlan(("Look up", "Answer"), ("think",), "gAAA"),
    ),
    "item": (
        "- item: {type: web_search_call, status: completed,"
        " action: {type: search, query: '{{ input }}'}}\n",
        VerbatimPlan(
            {
                "type": "web_search_call",
                "status": "completed",
                "action": {"type": "search", "query": "weather?"},
            }
        ),
    ),
    "json-value": (
        "- json: {city: Paris, temp: '{{ tool_output.get_weather.temp_c }}'}\n",
        MessagePlan('{"city":"Paris","temp":21}'),
    ),
}


def test_every_reply_kind_is_in_the_schema_and_has_a_case() -> None:
    kinds = set(schema()["$defs"]["reply_item"]["properties"])
    assert kinds == set(REPLIES)
    assert {case.split("-")[0] for case in REPLY_CASES} | {"json"} == kinds


@pytest.mark.parametrize("case", REPLY_CASES, ids=list(REPLY_CASES))
def test_reply_kind_becomes_its_plan(case: str) -> None:
    reply, expected = REPLY_CASES[case]
    assert plan_of(reply).items == (expected,)


def test_json_auto_generates_from_the_request_schema() -> None:
    (item,) = plan_of("- json: auto\n").items
    value = json.loads(item.text)  # type: ignore[union-attr]
    assert set(value) == {"city", "temp"} and isinstance(value["temp"], int)
    assert plan_of("- json: auto\n").items == (item,)  # seeded


def test_json_auto_without_a_schema_is_a_clear_400() -> None:
    with pytest.raises(
        ScenarioAnswerError,
        match=r"json: auto generates from the request's text\.format json_schema",
    ) as info:
        plan_of("- json: auto\n", body={"model": "gpt-4o"})
    assert (info.value.status, info.value.code) == (400, "mock_template_error")


def test_several_function_calls_are_parallel_calls_in_order() -> None:
    plan = plan_of("- function_call: {name: a}\n- function_call: {name: b, arguments: {x: 1}}\n")
    assert [(i.name, i.arguments) for i in plan.items] == [("a", "{}"), ("b", '{"x":1}')]  # type: ignore[union-attr]


def test_rule_level_settings_reach_the_plan() -> None:
    plan = plan_of(
        "- message: cut\n",
        status="incomplete",
        incomplete_reason="content_filter",
        usage={"input_tokens": 1000, "output_tokens_details": {"reasoning_tokens": 5}},
        latency_ms=250,
        stream={"ttft_ms": 100, "chunk": {"size": 4}},
        fault={"kind": "disconnect", "after_events": 3},
    )
    assert (plan.status, plan.incomplete_reason, plan.latency_ms) == (
        "incomplete",
        "content_filter",
        250,
    )
    assert plan.usage == {"input_tokens": 1000, "output_tokens_details": {"reasoning_tokens": 5}}
    assert plan.stream is not None
    assert (plan.stream.ttft_ms, plan.stream.chunk, plan.stream.chunk_size) == (100, "fixed", 4)
    assert [f.name for f in plan.fault] == ["disconnect@after_events=3"]
    assert (plan.scenario, plan.rule) == ("s", "rule-1")


def test_an_error_rule_carries_its_parsed_spec() -> None:
    (scenario,) = load_text(
        "name: e\nrules: [{error: {preset: rate_limit_exceeded, retry_after: 2}}]", "t"
    )
    plan = decide(
        scenario,
        body=BODY,
        conversation=[],
        headers={},
        counters=Counters(),
        seed=1,
        json_for_schema=json_for_schema,
        generate=lambda: None,  # type: ignore[arg-type,return-value]
    ).plan
    assert plan.error is not None
    assert (plan.error.status, plan.error.code, plan.error.retry_after) == (
        429,
        "rate_limit_exceeded",
        2,
    )
    assert plan.items == ()


def test_a_missing_template_value_is_a_clear_400_naming_rule_and_line() -> None:
    with pytest.raises(ScenarioAnswerError) as info:
        plan_of("- message: '{{ tool_output.search.hits }}'\n")
    assert info.value.message == (
        "Scenario 's', rule 'rule-1' (t:4): {{ tool_output.search.hits }}: no output of tool "
        "'search' in the conversation (tool outputs: get_weather)"
    )


def test_faker_text_is_seeded_by_seed_rule_and_call() -> None:
    (scenario,) = load_text(
        "name: f\nrules: [{reply: [{message: '{{ faker.name }} in {{ faker.city }}'}]}]", "t"
    )

    def texts(seed: int) -> list[str]:
        counters = Counters()
        return [
            decide(
                scenario,
                body=BODY,
                conversation=[],
                headers={},
                counters=counters,
                seed=seed,
                json_for_schema=json_for_schema,
                generate=lambda: None,  # type: ignore[arg-type,return-value]
            )
            .plan.items[0]
            .text  # type: ignore[union-attr]
            for _ in range(3)
        ]

    first = texts(1)
    assert len(set(first)) == 3  # each call its own text
    assert texts(1) == first  # and the same again from the same seed
    assert texts(2) != first
