"""The create body's table itself: every entry can word its errors, enums match the spec, the
compiled fast path agrees with each field's check, and the API's exact messages come out."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.errors import InvalidRequest
from mockserver.openai import request_items, request_parts
from mockserver.openai.request import ResponseRequest, parse_request
from mockserver.openai.request_compile import MESSAGES, accepts, compile_table
from mockserver.openai.request_fields import Field, Table
from mockserver.openai.request_table import CHECKED, FIELDS, KNOWN_FIELDS, SERVICE_TIERS, TEXT

GENERIC = {"missing_required_parameter", "invalid_type", "invalid_value"}
TABLES = [
    Table(*FIELDS), CHECKED, TEXT, request_parts.FUNCTION_TOOL, request_parts.JSON_SCHEMA_FORMAT,
    request_parts.ALLOWED_TOOLS, request_parts.TOOL_TYPE,
]  # fmt: skip


def all_fields() -> Iterator[tuple[Table, int, Field]]:
    """Every field of every table, nested shapes, items and map values included."""
    seen: set[int] = set()

    def visit(table: Table) -> Iterator[tuple[Table, int, Field]]:
        for i, f in enumerate(table.fields):
            if id(f) not in seen:
                seen.add(id(f))
                yield table, i, f
            for inner in (f.items, f.values):
                if inner is not None:
                    yield from visit(Table(inner))
            if f.shape is not None:
                yield from visit(f.shape)

    for table in TABLES:
        yield from visit(table)


def test_every_failure_of_every_entry_has_a_message() -> None:
    for _, _, f in all_fields():
        for code in f.failures():
            assert code in GENERIC or code in MESSAGES, (f.name, code)
        if f.types:
            assert f.expected, f.name  # the invalid_type wording
        if f.check is not None:
            assert f.check.__doc__, f.check.__name__  # says what it checks beyond the table


def test_messages_name_param_bound_and_value() -> None:
    for code, template in MESSAGES.items():
        assert "{param}" in template and "{bound}" in template, code
        assert "{value}" in template or code in {"string_does_not_match_pattern", "empty_string"}


# The spec's enum for each field (openai-openapi.yaml v2.3.0), written out here.
SPEC_ENUMS = {
    # ServiceTierResponses, what CreateResponse names (the SDK's ServiceTier is the same).
    "service_tier": ["auto", "default", "flex", "scale", "priority", "fast", "ultrafast"],
    "reasoning.effort": ["none", "minimal", "low", "medium", "high", "xhigh", "max"],
    "text.verbosity": ["low", "medium", "high"],
    "text.format.type": ["text", "json_schema", "json_object"],
    "include[]": [
        "file_search_call.results", "web_search_call.results", "web_search_call.action.sources",
        "message.input_image.image_url", "computer_call_output.output.image_url",
        "code_interpreter_call.outputs", "reasoning.encrypted_content",
        "message.output_text.logprobs",
    ],
    "tool_choice": ["none", "auto", "required"],
    "tool_choice.mode": ["auto", "required"],
    "input[].role": ["user", "assistant", "system", "developer"],
    "input[].status": ["in_progress", "completed", "incomplete"],
}  # fmt: skip
# Where the mock knowingly differs (nowhere now: `fast` is answered as `priority`).
NOT_YET: dict[str, set[str]] = {}
OURS = {
    "service_tier": SERVICE_TIERS,
    "reasoning.effort": next(f for f in FIELDS if f.name == "reasoning").shape.fields[0].enum,  # type: ignore[union-attr]
    "text.verbosity": TEXT.fields[1].enum,
    "text.format.type": request_parts.TEXT_FORMATS,
    "include[]": request_parts.INCLUDE.items.enum,  # type: ignore[union-attr]
    "tool_choice": request_parts.TOOL_CHOICE_MODES,
    "tool_choice.mode": request_parts.ALLOWED_TOOLS.fields[0].enum,
    "input[].role": request_items.MESSAGE_ROLES,
    "input[].status": request_items.ITEM_STATUSES,
}


@pytest.mark.parametrize("where", sorted(SPEC_ENUMS))
def test_enums_match_the_spec(where: str) -> None:
    assert set(OURS[where]) == set(SPEC_ENUMS[where]) - NOT_YET.get(where, set())
    assert len(OURS[where]) == len(set(OURS[where]))


def test_known_fields_are_the_create_body_parameters() -> None:
    assert {
        "access_programs", "background", "background_options", "context_management",
        "conversation", "image", "include", "input", "instructions",
        "max_output_tokens", "max_tool_calls", "metadata", "model", "moderation",
        "parallel_tool_calls", "previous_response_id", "prompt", "prompt_cache_key",
        "prompt_cache_options", "prompt_cache_retention", "reasoning", "safety_identifier",
        "service_tier", "store", "stream", "stream_options", "temperature", "text", "tool_choice",
        "tools", "top_logprobs", "top_p", "truncation", "user",
    } == KNOWN_FIELDS  # fmt: skip
    assert len(KNOWN_FIELDS) == len(FIELDS)  # each parameter listed once


SAMPLES: list[Any] = [
    None, True, False, 0, 1, -1, 15, 16, 20, 21, 0.5, 2.5, -0.5, "", "x", "auto", "medium", "low",
    "reasoning.encrypted_content", [], ["x"], {}, "get_weather", "bad name!", "x" * 65,
]  # fmt: skip


def test_the_inline_fast_path_agrees_with_each_fields_check() -> None:
    """run() keeps a value inline only when the field's own check would keep it unchanged."""
    checked = 0
    for _table, i, f in all_fields():
        test = accepts(f, i)
        if not test:
            continue
        env = {f"T{i}": f.py_types, f"E{i}": f.enum, f"P{i}": f.pattern}
        for v in SAMPLES:
            try:
                inline = bool(eval(test, env, {"v": v}))
            except TypeError:  # e.g. "x" >= 0: the compiled run never gets there (type first)
                inline = False
            if inline:
                kept = f.compiled(v, {}, f.name)
                assert kept == v and type(kept) is (float if f.bound_word == "decimal" else type(v))
                checked += 1
            else:
                with pytest.raises(InvalidRequest):
                    f.compiled(v, {}, f.name)
    assert checked > 20


def test_a_shape_not_sent_gets_what_its_run_keeps_of_an_empty_object() -> None:
    """run() writes a missing shape's defaults inline (request_compile._defaults): equal to
    the shape's own run on {}, and fresh each time."""
    shapes = [f for _table, _i, f in all_fields() if f.shape is not None and f.keep == "shape"]
    assert shapes
    for f in shapes:
        assert f.shape is not None and f.attr
        table, attr = Table(f), f.attr
        assert table.run({}, "") == {attr: f.shape.run({}, f.name + ".")}
        assert table.run({}, "")[attr] is not table.run({}, "")[attr]
    first, second = CHECKED.run(OK, ""), CHECKED.run(OK, "")
    assert first["text"]["format"] is not second["text"]["format"]


def test_run_source_is_made_from_the_table() -> None:
    for f in CHECKED.fields:
        assert repr(f.name) in CHECKED.source
    compile(CHECKED.source, "<table>", "exec")


OK = {"model": "gpt-4o", "input": "hi"}
MESSAGE_CASES = [
    ({"temperature": 2.5}, "Invalid 'temperature': decimal above maximum value. Expected a "
     "value <= 2, but got 2.5 instead."),
    ({"top_p": -0.5}, "Invalid 'top_p': decimal below minimum value. Expected a value >= 0, "
     "but got -0.5 instead."),
    ({"max_output_tokens": 15}, "Invalid 'max_output_tokens': integer below minimum value. "
     "Expected a value >= 16, but got 15 instead."),
    ({"top_logprobs": 21}, "Invalid 'top_logprobs': integer above maximum value. Expected a "
     "value <= 20, but got 21 instead."),
    ({"metadata": {f"k{i}": "v" for i in range(17)}}, "Invalid 'metadata': too many properties. "
     "Expected an object with at most 16 properties, but got an object with 17 properties "
     "instead."),
    ({"metadata": {"k" * 65: "v"}}, "Invalid 'metadata': string too long. Expected a string with "
     "maximum length 64, but got a string with length 65 instead."),
    ({"metadata": {"k": "v" * 513}}, "Invalid 'metadata.k': string too long. Expected a string "
     "with maximum length 512, but got a string with length 513 instead."),
    ({"model": " "}, "Invalid 'model': empty string. Expected a string with minimum length 1."),
    ({"stream": "yes"}, "Invalid type for 'stream': expected a boolean, but got a string "
     "instead."),
    ({"input": 4}, "Invalid type for 'input': expected a string or an array, but got an integer "
     "instead."),
    ({"tool_choice": 4}, "Invalid type for 'tool_choice': expected a string or an object with a "
     "type, but got an integer instead."),
    ({"text": {"format": None}}, "Invalid type for 'text.format': expected an object, but got "
     "null instead."),
    ({"stream_options": {"include_obfuscation": None}}, "Invalid type for "
     "'stream_options.include_obfuscation': expected a boolean, but got null instead."),
    ({"service_tier": "gold"}, "Invalid value: 'gold'. Supported values are: 'auto', 'default', "
     "'flex', 'scale', 'priority', 'fast', and 'ultrafast'."),
    ({"include": ["x"]}, "Invalid value: 'x'. Supported values are: 'file_search_call.results', "
     "'web_search_call.results', 'web_search_call.action.sources', "
     "'message.input_image.image_url', 'computer_call_output.output.image_url', "
     "'code_interpreter_call.outputs', 'reasoning.encrypted_content', and "
     "'message.output_text.logprobs'."),
    ({"tools": [{"type": "function", "name": "f", "parameters": {"type": "string"}}]},
     "Invalid schema for function 'f': schema must be a JSON Schema of 'type: \"object\"', got "
     "'type: \"string\"'."),
    ({"tools": [{"type": "function", "name": "a b"}]}, "Invalid 'tools[0].name': string does not "
     "match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'."),
    ({"text": {"format": {"type": "json_schema", "name": 7, "schema": {}}}}, "Invalid "
     "'text.format.name': string does not match pattern. Expected a string that matches the "
     "pattern '^[a-zA-Z0-9_-]{1,64}$'."),
    ({"previous_response_id": "abc"}, "Invalid 'previous_response_id': 'abc'. Expected an ID "
     "that begins with 'resp'."),
    ({"background": True, "store": False}, "Background mode requires 'store' to be true."),
    ({"tool_choice": {"type": "allowed_tools", "mode": "auto"}}, "Missing required parameter: "
     "'tool_choice.tools'."),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "message"), MESSAGE_CASES)
def test_the_api_messages_word_for_word(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_request({**OK, **extra}, strict=False)
    assert info.value.message == message


def test_defaults_of_a_bare_body() -> None:
    req = parse_request(dict(OK), strict=False)
    assert req.input_items == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    ]
    assert (req.tools, req.tool_choice, req.metadata, req.include) == ([], "auto", {}, [])
    assert req.text == {"format": {"type": "text"}, "verbosity": "medium"}
    assert (req.store, req.stream, req.background, req.parallel_tool_calls) == (
        True, False, False, True)  # fmt: skip
    assert (req.include_obfuscation, req.reasoning, req.temperature) == (True, None, None)
    other = parse_request(dict(OK), strict=False)
    assert other.text is not req.text and other.tools is not req.tools  # fresh, never shared


def test_a_decimal_is_kept_as_a_float_and_null_verbosity_stays_null() -> None:
    req = parse_request({**OK, "temperature": 1, "text": {"verbosity": None}}, strict=False)
    assert type(req.temperature) is float
    assert req.text == {"format": {"type": "text"}, "verbosity": None}


def test_the_fast_construction_is_the_dataclass() -> None:
    req = parse_request({**OK, "new": 1}, strict=False)
    names = {f.name for f in dataclasses.fields(ResponseRequest)}
    assert set(vars(req)) == names
    assert req == ResponseRequest(**{n: getattr(req, n) for n in names})
    assert req.unknown_fields == ("new",) and req.get("new") == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        req.model = "x"  # type: ignore[misc]


def test_include_helper_checks_like_the_body() -> None:
    assert request_parts.include(None) == []
    assert request_parts.include(["reasoning.encrypted_content"]) == ["reasoning.encrypted_content"]
    with pytest.raises(InvalidRequest) as info:
        request_parts.include(["nope"])
    assert info.value.param == "include[0]"


def test_input_items_helper_is_the_body_check() -> None:
    assert request_parts.input_items({"prompt": {"id": "p"}}) == []
    assert request_parts.input_items({"input": "x"})[0]["role"] == "user"
    with pytest.raises(InvalidRequest) as info:
        request_parts.input_items({})
    assert (info.value.code, info.value.param) == ("missing_required_parameter", "input")


def _outcome(run: Any, body: dict[str, Any]) -> Any:
    try:
        return run(body, "")
    except InvalidRequest as exc:
        return (exc.message, exc.param, exc.code)


def test_a_run_made_for_the_keys_sent_is_the_general_run() -> None:
    """Table.run_for(keys) reads only the keys sent: for every body it keeps what the general
    run keeps, or raises its error (the first, in table order)."""
    rng = random.Random(12)
    names = [f.name for f in CHECKED.fields] + ["prompt", "conversation"]
    values = [*SAMPLES, "hi", "gpt-4o", {"format": {"type": "text"}}, {"effort": "low"},
              {"include_obfuscation": False}, [{"type": "function", "name": "f"}],
              [{"role": "user", "content": "hi"}], {"verbosity": None}, "resp_1"]  # fmt: skip
    for _ in range(2000):
        keys = rng.sample(names, rng.randint(0, 6))
        body = {k: rng.choice(values) for k in keys}
        if rng.random() < 0.5:
            body = {"model": "gpt-4o", "input": "hi", **body}
        shaped = compile_table(CHECKED.fields, frozenset(body))[1]
        assert _outcome(shaped, body) == _outcome(CHECKED.run, body), body


def test_runs_for_keys_are_bounded() -> None:
    table = Table(*TEXT.fields)
    for i in range(Table.MAX_SHAPES + 5):
        table.run_for(("format",) * (i % 3 + 1) + (str(i),))
    assert len(table.runs) == Table.MAX_SHAPES
    assert table.run_for(("verbosity", "new")) is table.run
