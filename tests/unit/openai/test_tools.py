"""One list of offered tools (openai/tools.py), read by when, expect, zero-config, tool_choice."""

from __future__ import annotations

import random
import re
from typing import Any

from mockserver.openai.request import parse_request
from mockserver.openai.tools import offered_tools, tool_names
from mockserver.plan import FunctionCallPlan, VerbatimPlan
from mockserver.scenario.context import build_context
from mockserver.zeroconfig.generate import plan_for

LOOKUP = {"type": "function", "name": "lookup",
          "parameters": {"type": "object", "properties": {"id": {"type": "integer"}},
                         "required": ["id"], "additionalProperties": False}}  # fmt: skip
CRM = {"type": "namespace", "name": "crm", "description": "CRM tools", "tools": [LOOKUP]}
PATCH = {
    "type": "custom",
    "name": "apply_patch",
    "format": {"type": "grammar", "syntax": "regex", "definition": r"PATCH [a-z]{3,8}\.py"},
}
CODEX_TOOLS = {"type": "additional_tools", "role": "developer",
               "tools": [PATCH, {"type": "function", "name": "shell"}]}  # fmt: skip
USER = {"role": "user", "content": "go"}


def test_namespaces_and_additional_tools_are_flattened() -> None:
    tools = offered_tools([CRM, {"type": "web_search"}, {"type": "tool_search"}],
                          [USER, CODEX_TOOLS])  # fmt: skip
    assert [(t.kind, t.name, t.namespace) for t in tools] == [
        ("namespace", "crm", None), ("function", "lookup", "crm"),
        ("web_search", "web_search", None), ("tool_search", "tool_search", None),
        ("custom", "apply_patch", None),
        ("function", "shell", None),
    ]  # fmt: skip
    assert tool_names(tools) == {
        "crm",
        "lookup",
        "web_search",
        "tool_search",
        "apply_patch",
        "shell",
    }


def test_when_tools_sees_every_tool() -> None:
    body = {"model": "gpt-5", "tools": [CRM]}
    ctx = build_context(body, [USER, CODEX_TOOLS], {}, 1)
    assert {"lookup", "crm", "apply_patch", "shell"} <= ctx.tool_names


def plan(**fields: Any) -> Any:
    req = parse_request({"model": "gpt-5", "input": [USER], **fields}, strict=False)
    return plan_for(req, random.Random(3)).items[0]


def test_zero_config_calls_a_namespaced_function_with_its_namespace() -> None:
    call = plan(tools=[CRM], tool_choice="required")
    assert isinstance(call, FunctionCallPlan)
    assert (call.name, call.namespace) == ("lookup", "crm")
    assert '"id":' in call.arguments


def test_zero_config_calls_a_custom_tool_with_input_its_grammar_accepts() -> None:
    call = plan(tools=[PATCH], tool_choice={"type": "custom", "name": "apply_patch"})
    assert isinstance(call, VerbatimPlan)
    assert call.item["type"] == "custom_tool_call"
    assert call.item["name"] == "apply_patch"
    assert re.fullmatch(r"PATCH [a-z]{3,8}\.py", call.item["input"])


def test_zero_config_finds_tools_offered_in_additional_tools() -> None:
    call = plan(input=[USER, CODEX_TOOLS], tool_choice="required")
    assert isinstance(call, VerbatimPlan) and call.item["name"] == "apply_patch"


def test_deferred_tools_come_after_tools_offered_up_front() -> None:
    deferred = {**LOOKUP, "name": "later", "defer_loading": True}
    call = plan(tools=[deferred, {"type": "tool_search"}, LOOKUP], tool_choice="required")
    assert isinstance(call, FunctionCallPlan) and call.name == "lookup"
