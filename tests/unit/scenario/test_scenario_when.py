"""Each `when` key: it holds for a matching request, and explains itself for one that is not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.scenario import load_text
from mockserver.scenario.context import ConversationFacts, build_context
from mockserver.scenario.when import WHEN, Miss, chance


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def tool_round(name: str, output: str, call_id: str = "call_1") -> list[dict[str, Any]]:
    return [
        {"type": "function_call", "call_id": call_id, "name": name, "arguments": "{}"},
        {"type": "function_call_output", "call_id": call_id, "output": output},
    ]


WEATHER = {"type": "function", "name": "get_weather", "parameters": {}}
BODY = {
    "model": "gpt-4o-mini",
    "instructions": "You are a Terse assistant.",
    "tools": [WEATHER, {"type": "web_search"}],
    "metadata": {"suite": "a", "run": "7"},
    "stream": True,
    "text": {"format": {"type": "json_schema", "name": "x", "schema": {}}},
    "input": [{"role": "user", "content": "x"}],
}
CONVERSATION = [
    user("first question"),
    *tool_round("lookup", "{}"),
    user("What is the Weather in Paris?"),
]
CONVERSATION += tool_round("get_weather", '{"temp_c": 21}', "call_2")
HEADERS = {"user-agent": "OpenAI/Python 3.54.0", "x-team": "blue"}
FACTS = ConversationFacts(id="conv_1", metadata={"tier": "vip"}, items=4, compacted=True)

# key -> (a value that holds, a value that does not, what "got" says for the miss)
CASES = {
    "model": ("gpt-4o*", "gpt-5*", "gpt-4o-mini"),
    "input_contains": ("weather in paris", ["weather", "london"], "What is the Weather in Paris?"),
    "input_matches": (r"(?i)weather\s+in\s+\w+", r"^Weather", "What is the Weather in Paris?"),
    "instructions_contains": ("terse", "verbose", "You are a Terse assistant."),
    "tools": (
        ["get_weather", "web_search"],
        ["get_weather", "file_search"],
        ["get_weather", "web_search"],
    ),
    "has_tool_output": ("get_weather", "lookup", ["get_weather"]),
    "metadata": ({"suite": "a"}, {"suite": "b", "run": "7"}, {"suite": "a", "run": "7"}),
    "headers": ({"User-Agent": "OpenAI/Python *"}, {"x-team": "red"}, {"x-team": "blue"}),
    "stream": (True, False, True),
    "call": (3, [1, 2], 3),
    "turn": ({"gte": 2}, {"lte": 1}, 2),
    "json": (
        {"text.format.type": "json_schema", "tools.0.name": "get_weather"},
        {"text.format.type": "text", "temperature": 0.2},
        {"text.format.type": "json_schema", "temperature": "<absent>"},
    ),
    "probability": (1, 0, "draw"),
    "conversation": (True, False, True),
    "conversation_metadata": ({"tier": "vip"}, {"tier": "free"}, {"tier": "vip"}),
    "conversation_items": ({"gte": 2}, 0, 4),
    "compacted": (True, False, True),
}


def check(key: str, value: object) -> Miss | None:
    (scenario,) = load_text(
        json.dumps({"name": "s", "rules": [{"when": {key: value}, "error": "server_error"}]}), "t"
    )
    (condition,) = scenario.rules[0].when
    ctx = build_context(BODY, CONVERSATION, HEADERS, call=3, seed=11, facts=FACTS)
    return WHEN[key].check(condition, ctx, "s/rule-1")


def test_every_when_key_has_a_case() -> None:
    assert set(CASES) == set(WHEN)


@pytest.mark.parametrize("key", CASES, ids=list(CASES))
def test_when_key_holds(key: str) -> None:
    assert check(key, CASES[key][0]) is None


@pytest.mark.parametrize("key", CASES, ids=list(CASES))
def test_when_key_explains_a_miss(key: str) -> None:
    _, failing, got = CASES[key]
    miss = check(key, failing)
    assert miss is not None
    assert (miss.key, miss.expected) == (key, failing)
    if key == "probability":
        assert miss.got.startswith("draw ")
    else:
        assert miss.got == got


def test_has_tool_output_true_and_false_look_at_the_current_step_only() -> None:
    fresh = [*CONVERSATION, user("And in Rome?")]
    ctx = build_context(BODY, fresh, {}, call=1)
    assert ctx.recent_outputs == ()
    assert ctx.outputs_by_tool["get_weather"] == {"temp_c": 21}  # still there for templates
    ctx = build_context(BODY, CONVERSATION, {}, call=1)
    assert [o.name for o in ctx.recent_outputs] == ["get_weather"]


def test_string_input_and_easy_messages_count_as_user_text() -> None:
    ctx = build_context(BODY, [{"role": "user", "content": "plain"}], {}, call=1)
    assert (ctx.latest_user_text, ctx.turn) == ("plain", 1)


def test_tool_output_that_is_not_json_stays_text() -> None:
    items = [user("q"), *tool_round("echo", "not json")]
    assert build_context(BODY, items, {}, call=1).outputs_by_tool["echo"] == "not json"


def test_probability_is_seeded_per_rule_and_call() -> None:
    draws = [chance(5, "s/r", call) for call in range(1, 201)]
    assert draws == [chance(5, "s/r", call) for call in range(1, 201)]
    assert draws != [chance(6, "s/r", call) for call in range(1, 201)]
    share = sum(d < 0.3 for d in draws) / len(draws)
    assert 0.2 < share < 0.4
