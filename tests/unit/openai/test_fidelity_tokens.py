"""Token fidelity: the output budget with reasoning, and tools and response formats as the
API writes them into the prompt."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.openai import budget, tokens, usage
from mockserver.openai.tool_prompt import response_format_text, tools_text


def _message(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


REASONING = {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Thinking " * 30}]}
ANSWER = _message("The answer is forty-two, as everyone knows.")
CALL = {"type": "function_call", "name": "f", "arguments": '{"location":"Paris, France"}'}


def test_a_reasoning_summary_is_not_billed_on_its_own() -> None:
    assert usage.output_tokens([REASONING]) == 0
    assert usage.output_tokens([REASONING, ANSWER]) == usage.output_tokens([ANSWER])


def test_without_a_budget_nothing_changes() -> None:
    fitted = budget.fit([REASONING, ANSWER], None, 4096, scripted=False)
    assert (fitted.output, fitted.reasoning_tokens, fitted.cut) == (
        [REASONING, ANSWER],
        4096,
        False,
    )


@pytest.mark.parametrize("scripted", [True, False])
def test_output_tokens_never_exceed_the_budget(scripted: bool) -> None:
    for cap in (16, 17, 30, 64, 100, 129, 200, 1000):
        for spent in (0, 64, 128, 640, 5000):
            fitted = budget.fit([REASONING, ANSWER, CALL], cap, spent, scripted)
            total = usage.output_tokens(fitted.output) + fitted.reasoning_tokens
            assert total <= cap, (cap, spent, scripted)
            assert fitted.output[0] is REASONING  # the reasoning item is always kept


def test_a_scripted_count_is_kept_unless_the_budget_cannot_hold_it() -> None:
    answer = usage.output_tokens([ANSWER])
    kept = budget.fit([REASONING, ANSWER], 128 + answer, 128, scripted=True)
    assert (kept.reasoning_tokens, kept.cut, kept.output) == (128, False, [REASONING, ANSWER])
    over = budget.fit([REASONING, ANSWER], 100, 128, scripted=True)
    assert (over.reasoning_tokens, over.cut, over.output) == (100, True, [REASONING])


def test_a_generated_count_yields_to_the_answer_in_steps_of_64() -> None:
    answer = usage.output_tokens([ANSWER])
    fitted = budget.fit([REASONING, ANSWER], 100 + answer, 640, scripted=False)
    assert (fitted.reasoning_tokens, fitted.cut) == (64, False)
    tight = budget.fit([REASONING, ANSWER], answer + 10, 640, scripted=False)
    assert (tight.reasoning_tokens, tight.cut, tight.output) == (0, False, [REASONING, ANSWER])


def test_a_cut_call_keeps_its_cost_within_the_budget() -> None:
    fitted = budget.fit([CALL], 5, 0)
    assert fitted.cut and fitted.output[0]["status"] == "incomplete"
    assert usage.output_tokens(fitted.output) <= 5


WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the weather",
    "parameters": {
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "The city"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": ["integer", "null"]},
            "hours": {"type": "array", "items": {"type": "number"}},
            "where": {"anyOf": [{"type": "string"}, {"type": "object", "properties": {}}]},
        },
        "required": ["location"],
    },
}


def test_function_tools_are_written_as_a_namespace() -> None:
    assert tools_text([WEATHER]) == (
        "# Tools\n\n## functions\n\nnamespace functions {\n\n"
        "// Get the weather\ntype get_weather = (_: {\n"
        "// The city\nlocation: string,\n"
        'unit?: "celsius" | "fahrenheit",\n'
        "days?: number | null,\n"
        "hours?: number[],\n"
        "where?: string | object,\n"
        "}) => any;\n\n} // namespace functions"
    )
    bare = {"type": "function", "name": "now", "parameters": {"type": "object", "properties": {}}}
    assert "type now = () => any;" in tools_text([bare])
    assert tools_text([{"type": "web_search"}]) == ""


def test_a_json_schema_format_is_written_as_a_type() -> None:
    text_format = {
        "type": "json_schema",
        "name": "City",
        "description": "A city.",
        "schema": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "tags": {"type": "array"}},
            "required": ["name"],
        },
    }
    assert response_format_text(text_format) == (
        "# Response Formats\n\n## City\n\n// A city.\n"
        "type City = {\nname: string,\ntags?: any[],\n}"
    )
    assert response_format_text({"type": "text"}) == ""
    assert response_format_text(None) == ""


def test_deep_schemas_are_bounded() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(500):
        schema = {"type": "object", "properties": {"x": schema}}
    text = response_format_text({"type": "json_schema", "name": "Deep", "schema": schema})
    assert "any" in text and text.count("{") <= 20


def test_input_tokens_count_the_developer_message_for_tools_and_format() -> None:
    items = [{"type": "message", "role": "user", "content": "Hi"}]
    plain = usage.input_tokens(None, items, [])
    with_tools = usage.input_tokens(None, items, [WEATHER])
    assert with_tools == plain + tokens.count(tools_text([WEATHER])) + usage.PER_MESSAGE
    hosted = [{"type": "web_search"}]
    assert usage.input_tokens(None, items, hosted) == plain + tokens.count_json(hosted)
    text_format = {"type": "json_schema", "name": "R", "schema": {"type": "object"}}
    assert usage.input_tokens(None, items, [], text_format) > plain
