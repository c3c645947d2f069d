"""Strict mode's schema rules (openai/strict_schema.py), worded as real answers word them."""

from __future__ import annotations

import time
from typing import Any

import pytest

from mockserver.errors import InvalidRequest
from mockserver.openai.request import parse_request
from mockserver.openai.strict_schema import strict_problem


def obj(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A strict-ready object schema (every property required, no others allowed)."""
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False, **extra}  # fmt: skip


GOOD = obj({
    "name": {"type": "string", "format": "email"},
    "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
    "maybe": {"type": ["integer", "null"], "minimum": 0},
    "either": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/point"}]},
    "tree": {"$ref": "#"},
    "any": {},
}, **{"$defs": {"point": obj({"x": {"type": "number"}})}})  # fmt: skip

CASES = [
    ("missing-additional", {"type": "object", "properties": {"a": {"type": "string"}},
                            "required": ["a"]},
     "In context=(), 'additionalProperties' is required to be supplied and to be false."),
    ("required-misses", {**obj({"a": {"type": "string"}, "b": {"type": "string"}}),
                         "required": ["a"]},
     "In context=(), 'required' is required to be supplied and to be an array including "
     "every key in properties. Missing 'b'."),
    ("nested-required", obj({"o": {**obj({"a": {"type": "string"}}), "required": []}}),
     "In context=('properties', 'o'), 'required' is required to be supplied and to be an "
     "array including every key in properties. Missing 'a'."),
    ("extra-required", {**obj({"a": {"type": "string"}}), "required": ["a", "z"]},
     "In context=(), Extra required key 'z' supplied."),
    ("unresolved-ref", obj({"v": {"$ref": "#/$defs/Verdict"}}),
     "In context=('properties', 'v'), reference to component '#/$defs/Verdict' which was "
     "not found in the schema."),
    ("all-of", obj({"a": {"allOf": [{"type": "string"}]}}),
     "In context=('properties', 'a'), 'allOf' is not permitted."),
    ("unique-items", obj({"a": {"type": "array", "items": {"type": "string"},
                                "uniqueItems": True}}),
     "In context=('properties', 'a'), 'uniqueItems' is not permitted."),
    ("no-type", obj({"a": {"description": "anything"}}),
     "In context=('properties', 'a'), schema must have a 'type' key."),
    ("bad-format", obj({"url": {"type": "string", "format": "uri"}}),
     "In context=('properties', 'url'), 'uri' is not a valid format."),
    ("array-without-items", obj({"a": {"type": "array"}}),
     "In context=('properties', 'a'), array schema missing items."),
    ("in-any-of", obj({"a": {"anyOf": [{"type": "object", "properties": {}}]}}),
     "In context=('properties', 'a', 'anyOf', 0), 'additionalProperties' is required to be "
     "supplied and to be false."),
    ("in-defs", {**obj({"p": {"$ref": "#/$defs/p"}}),
                 "$defs": {"p": {"type": "object", "properties": {}}}},
     "In context=('$defs', 'p'), 'additionalProperties' is required to be supplied and to be "
     "false."),
]  # fmt: skip


def test_a_strict_ready_schema_passes() -> None:
    assert strict_problem(GOOD, "response_format") is None
    assert strict_problem(GOOD, "function") is None


@pytest.mark.parametrize(("schema", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_names_the_path(schema: dict[str, Any], message: str) -> None:
    assert strict_problem(schema, "response_format") == message


def test_a_function_root_union_is_refused_at_the_top() -> None:
    schema = {"type": "object", "oneOf": [obj({})]}
    assert strict_problem(schema, "function") == (
        "schema must have type 'object' and not have 'oneOf'/'anyOf'/'allOf'/'enum'/'not' at "
        "the top level. Found 'oneOf'."
    )
    assert strict_problem(schema, "response_format") == "In context=(), 'oneOf' is not permitted."


def nested(levels: int) -> dict[str, Any]:
    schema = obj({"leaf": {"type": "string"}})
    for _ in range(levels - 1):
        schema = obj({"child": schema})
    return schema


def test_limits_are_the_apis() -> None:
    assert strict_problem(nested(10), "response_format") is None
    assert strict_problem(nested(11), "response_format") == (
        "11 levels of nesting exceeds limit of 10."
    )
    wide = obj({f"p{i}": {"type": "string"} for i in range(5001)})
    assert strict_problem(wide, "response_format") == "5001 parameters exceeds limit of 5000."
    enums = obj({"e": {"type": "string", "enum": [str(i) for i in range(1001)]}})
    assert strict_problem(enums, "response_format") == "1001 enum values exceeds limit of 1000."
    long_enum = obj({"e": {"type": "string", "enum": [f"{i:0>70}" for i in range(300)]}})
    assert "exceeds limit of 15000" in (strict_problem(long_enum, "response_format") or "")


def test_hostile_schemas_cost_little() -> None:
    """Deep, wide and enum-heavy schemas: one linear walk, stopping at the first problem."""
    hostile = [
        nested(400),
        obj({f"p{i}": {"type": "string"} for i in range(50_000)}),
        obj({"e": {"type": "string", "enum": list(range(200_000))}}),
        obj({f"p{i}": {"$ref": "#/$defs/x"} for i in range(20_000)}),
    ]
    for schema in hostile:
        start = time.perf_counter()
        assert strict_problem(schema, "response_format") is not None
        assert time.perf_counter() - start < 0.5


def body(**fields: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "input": "hi", **fields}


LOOSE = {"type": "object", "properties": {"a": {"type": "string"}}}


def test_strict_function_tools_get_the_apis_400() -> None:
    tool = {"type": "function", "name": "f", "parameters": LOOSE, "strict": True}
    with pytest.raises(InvalidRequest) as info:
        parse_request(body(tools=[{"type": "web_search"}, tool]), strict=False)
    err = info.value
    assert (err.status, err.code, err.param) == (
        400,
        "invalid_function_parameters",
        "tools[1].parameters",
    )
    assert err.message == (
        "Invalid schema for function 'f': In context=(), 'additionalProperties' is required "
        "to be supplied and to be false."
    )
    # strict left out (the API falls back to non-strict) or false: accepted
    parse_request(body(tools=[{**tool, "strict": False}]), strict=False)
    parse_request(body(tools=[{k: v for k, v in tool.items() if k != "strict"}]), strict=False)


def test_namespaced_strict_functions_are_checked_too() -> None:
    inner = {"type": "function", "name": "lookup", "parameters": LOOSE, "strict": True}
    namespace = {"type": "namespace", "name": "crm", "description": "CRM", "tools": [inner]}
    with pytest.raises(InvalidRequest) as info:
        parse_request(body(tools=[namespace]), strict=False)
    assert (info.value.code, info.value.param) == (
        "invalid_function_parameters",
        "tools[0].tools[0].parameters",
    )


def test_strict_json_schema_formats_get_the_apis_400() -> None:
    fmt = {"type": "json_schema", "name": "answer", "schema": LOOSE, "strict": True}
    with pytest.raises(InvalidRequest) as info:
        parse_request(body(text={"format": fmt}), strict=False)
    err = info.value
    assert (err.code, err.param) == ("invalid_json_schema", "text.format.schema")
    assert err.message.startswith("Invalid schema for response_format 'answer': In context=()")
    parse_request(body(text={"format": {**fmt, "strict": False}}), strict=False)
    parse_request(body(text={"format": {**fmt, "schema": obj({"a": {"type": "string"}})}}),
                  strict=False)  # fmt: skip


CHOICES = [
    ({"type": "function", "name": "nope"}, "Tool choice 'nope' not found in 'tools' parameter."),
    ({"type": "custom", "name": "patch"}, "Tool choice 'patch' not found in 'tools' parameter."),
    ({"type": "image_generation"},
     "Tool choice 'image_generation' not found in 'tools' parameter."),
    ({"type": "mcp", "server_label": "deepwiki"},
     "Tool choice 'deepwiki' not found in 'tools' parameter."),
]  # fmt: skip


@pytest.mark.parametrize(("choice", "message"), CHOICES)
def test_tool_choice_naming_a_tool_not_offered_is_a_400(
    choice: dict[str, Any], message: str
) -> None:
    tools = [{"type": "function", "name": "f"}, {"type": "web_search"}]
    with pytest.raises(InvalidRequest) as info:
        parse_request(body(tools=tools, tool_choice=choice), strict=False)
    assert (info.value.message, info.value.param) == (message, "tool_choice")


def test_tool_choice_finds_namespaced_and_additional_tools() -> None:
    namespace = {"type": "namespace", "name": "crm", "description": "CRM",
                 "tools": [{"type": "function", "name": "lookup"}]}  # fmt: skip
    extra = {"type": "additional_tools", "role": "developer",
             "tools": [{"type": "custom", "name": "apply_patch"}]}  # fmt: skip
    req = body(tools=[namespace], input=[{"role": "user", "content": "hi"}, extra])
    parse_request({**req, "tool_choice": {"type": "function", "name": "lookup"}}, strict=False)
    parse_request({**req, "tool_choice": {"type": "custom", "name": "apply_patch"}}, strict=False)
    preview = body(tools=[{"type": "web_search_preview_2025_03_11"}],
                   tool_choice={"type": "web_search_preview"})  # fmt: skip
    parse_request(preview, strict=False)
