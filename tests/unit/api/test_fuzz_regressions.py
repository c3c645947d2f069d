"""Regressions found by fuzzing the HTTP surface (hypothesis, schemathesis, hand-written cases).

Each case once made the server answer 500, stall every client, or log a traceback. Now a
wrong request is the API's 400 naming the parameter, a hostile but valid one is answered
quickly, and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.http_exceptions import BadHttpMessage
from aiohttp.web_protocol import RequestPayloadError
from conftest import RunningServer
from specschema import validate

from mockserver.api.admin import JOURNAL
from mockserver.errors import InvalidRequest
from mockserver.http.body import read_body
from mockserver.observe.httplog import MalformedRequestFilter

OK = {"model": "gpt-4o", "input": "hi"}


def _tool(parameters: object, **extra: object) -> dict[str, object]:
    tool = {"type": "function", "name": "f", "parameters": parameters}
    return {**OK, "tools": [tool], "tool_choice": "required", **extra}


def _prop(schema: object) -> dict[str, object]:
    return {"type": "object", "properties": {"a": schema}, "required": ["a"]}


def _format(schema: object) -> dict[str, object]:
    return {**OK, "text": {"format": {"type": "json_schema", "name": "x", "schema": schema}}}


def _input(*items: object) -> dict[str, object]:
    return {**OK, "input": list(items)}


FCO = {"type": "function_call_output", "call_id": "c1"}
ALLOWED = {"type": "allowed_tools", "mode": "required"}
PARAMS = "tools[0].parameters"
BAD_BODIES = [
    # tool_choice: a 500 in the generator (iterating an int, unhashable names)
    ("allowed-tools-not-a-list", {**OK, "tool_choice": {**ALLOWED, "tools": 5}},
     "invalid_type", "tool_choice.tools"),
    ("allowed-tools-mode", {**OK, "tool_choice": {**ALLOWED, "mode": "always", "tools": []}},
     "invalid_value", "tool_choice.mode"),
    ("allowed-tools-name-list", {**OK, "tool_choice": {**ALLOWED, "tools": [
        {"type": "function", "name": ["f"]}]}}, "invalid_type", "tool_choice.tools[0].name"),
    ("tool-choice-unknown-type", {**OK, "tool_choice": {"type": "teleport"}}, "invalid_value",
     "tool_choice.type"),
    ("tool-choice-name-type", {**OK, "tool_choice": {"type": "function", "name": ["f"]},
     "tools": [{"type": "function", "name": "f"}]}, "invalid_type", "tool_choice.name"),
    # tools: unhashable types, malformed JSON Schemas (500s in the generator)
    ("tool-type-list", {**OK, "tools": [{"type": ["function"]}]}, "invalid_type",
     "tools[0].type"),
    ("tool-type-object", {**OK, "tools": [{"type": {}}]}, "invalid_type", "tools[0].type"),
    ("tool-description-type", {**OK, "tools": [{"type": "function", "name": "f",
     "description": 5}]}, "invalid_type", "tools[0].description"),
    ("tool-strict-type", {**OK, "tools": [{"type": "function", "name": "f", "strict": "yes"}]},
     "invalid_type", "tools[0].strict"),
    ("params-properties-int", _tool({"type": "object", "properties": 5}),
     "invalid_function_parameters", PARAMS),
    ("params-properties-list", _tool({"type": "object", "properties": [1]}),
     "invalid_function_parameters", PARAMS),
    ("params-min-items-string", _tool(_prop({"type": "array", "minItems": "x"})),
     "invalid_function_parameters", PARAMS),
    ("params-minimum-string", _tool(_prop({"type": "integer", "minimum": "x"})),
     "invalid_function_parameters", PARAMS),
    ("params-max-length-string", _tool(_prop({"type": "string", "maxLength": "x"})),
     "invalid_function_parameters", PARAMS),
    ("params-exclusive-minimum-string", _tool(_prop({"exclusiveMinimum": "x"})),
     "invalid_function_parameters", PARAMS),
    ("params-ref-int", _tool(_prop({"$ref": 5})), "invalid_function_parameters", PARAMS),
    ("params-any-of-object", _tool(_prop({"anyOf": {"x": 1}})), "invalid_function_parameters",
     PARAMS),
    ("params-all-of-ints", _tool(_prop({"allOf": [1]})), "invalid_function_parameters", PARAMS),
    ("params-enum-object", _tool(_prop({"enum": {"a": 1}})), "invalid_function_parameters",
     PARAMS),
    ("params-required-lists", _tool({"type": "object", "required": [["a"]]}),
     "invalid_function_parameters", PARAMS),
    ("params-format-list", _tool(_prop({"type": "string", "format": ["date"]})),
     "invalid_function_parameters", PARAMS),
    ("params-not-an-object-schema", _tool({"type": "string"}), "invalid_function_parameters",
     PARAMS),
    # text.format
    ("format-properties-string", _format({"type": "object", "properties": "x"}),
     "invalid_json_schema", "text.format.schema"),
    ("format-name-pattern", {**OK, "text": {"format": {"type": "json_schema", "name": "a b",
     "schema": {}}}}, "invalid_value", "text.format.name"),
    ("format-strict-type", {**OK, "text": {"format": {"type": "json_schema", "name": "x",
     "schema": {}, "strict": "yes"}}}, "invalid_type", "text.format.strict"),
    ("verbosity", {**OK, "text": {"verbosity": "loud"}}, "invalid_value", "text.verbosity"),
    # input items: unhashable types and ids reached the scenario matcher (500)
    ("item-type-list", _input({"type": ["message"], "content": "x"}), "invalid_type",
     "input[0].type"),
    ("item-type-object", _input({"type": {}}), "invalid_type", "input[0].type"),
    ("item-type-unknown", _input({"type": "teleport"}), "invalid_value", "input[0].type"),
    ("call-id-list", _input({**FCO, "call_id": ["c1"], "output": "x"}), "invalid_type",
     "input[0].call_id"),
    ("function-call-arguments-object", _input({"type": "function_call", "call_id": "c1",
     "name": "f", "arguments": {"a": 1}}), "invalid_type", "input[0].arguments"),
    ("function-call-no-name", _input({"type": "function_call", "call_id": "c1",
     "arguments": "{}"}), "missing_required_parameter", "input[0].name"),
    ("output-object", _input({**FCO, "output": {"a": 1}}), "invalid_type", "input[0].output"),
    ("output-number", _input({**FCO, "output": 5}), "invalid_type", "input[0].output"),
    ("output-part-text-int", _input({**FCO, "output": [{"type": "input_text", "text": 5}]}),
     "invalid_type", "input[0].output[0].text"),
    ("item-id-int", _input({"role": "user", "content": "x", "id": 5}), "invalid_type",
     "input[0].id"),
    ("item-status", _input({"role": "user", "content": "x", "status": "done"}),
     "invalid_value", "input[0].status"),
    ("part-text-int", _input({"role": "user", "content": [{"type": "input_text", "text": 5}]}),
     "invalid_type", "input[0].content[0].text"),
    ("part-text-missing", _input({"role": "user", "content": [{"type": "input_text"}]}),
     "missing_required_parameter", "input[0].content[0].text"),
    ("part-type-unknown", _input({"role": "user", "content": [{"type": "text", "text": "x"}]}),
     "invalid_value", "input[0].content[0].type"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "code", "param"), [c[1:] for c in BAD_BODIES],
                         ids=[c[0] for c in BAD_BODIES])  # fmt: skip
async def test_malformed_parts_get_a_400_naming_them(
    http: ClientSession, body: Any, code: str, param: str | None
) -> None:
    async with http.post("/v1/responses", json=body) as resp:
        error = await resp.json()
        assert resp.status == 400, error
    validate(error, "ErrorResponse")
    assert (error["error"]["code"], error["error"]["param"]) == (code, param)
    async with http.post("/v1/responses", json=body, headers={"X-Mock-Scenario": "x"}) as resp:
        assert resp.status == 400  # the same, whoever would have answered
    async with http.post("/v1/responses", json=OK) as resp:
        assert resp.status == 200


def test_schema_errors_say_where_like_the_api() -> None:
    from mockserver.openai.request_schemas import check_function_parameters

    with pytest.raises(InvalidRequest) as info:
        check_function_parameters(_prop({"type": "array", "minItems": "x"}), "f", "tools[0]")
    assert info.value.message == (
        "Invalid schema for function 'f': In context=('properties', 'a', 'minItems'), "
        "'x' is not of type 'integer'."
    )


CALL = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{"}
ANSWER = {"role": "assistant", "content": [{"type": "output_text", "text": "a"}]}
# Each a whole, consistent input (a call with its output, reasoning with what follows it):
# tests/unit/pipeline/test_loop_check.py has the agent-loop refusals.
GOOD_ITEMS = [
    ("image-part", [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]),
    ("file-part", [{"role": "user", "content": [{"type": "input_file", "file_id": "file_1"}]}]),
    ("output-text", [ANSWER]),
    ("refusal", [{"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]}]),
    # malformed JSON arguments are the model's text
    ("call-and-output", [CALL, {**FCO, "output": "ok"}]),
    ("output-parts", [CALL, {**FCO, "output": [{"type": "input_text", "text": "a"},
                                               {"type": "input_image", "image_url": "x"}]}]),
    ("reasoning", [{"type": "reasoning", "id": "rs_1", "summary": [],
                    "encrypted_content": "gAAA"}, ANSWER]),
    ("tool-search-arguments-object", [{"type": "tool_search_call", "arguments": {"q": 1}}]),
]  # fmt: skip


@pytest.mark.parametrize("items", [c[1] for c in GOOD_ITEMS], ids=[c[0] for c in GOOD_ITEMS])
async def test_well_formed_items_of_every_kind_are_accepted(
    http: ClientSession, items: list[dict[str, Any]]
) -> None:
    async with http.post("/v1/responses", json=_input(*items)) as resp:
        assert resp.status == 200, await resp.text()


HOSTILE_SCHEMAS = [
    # each stalled the event loop (every client) for minutes, or forever
    ("min-items-huge", _prop({"type": "array", "minItems": 10**9})),
    ("min-length-huge", _prop({"type": "string", "minLength": 10**9})),
    ("nested-min-items", _prop(json.loads('{"type":"array","minItems":6,"items":' * 8
                                          + '{"type":"string"}' + "}" * 8))),
    ("ref-loop-through-if", {"type": "object", "properties": {"x": {
        "if": {"$ref": "#"}, "then": {"$ref": "#"}}}}),
    ("ref-loop-through-all-of", {"type": "object", "properties": {"x": {"allOf": [
        {"$ref": "#"}, {"$ref": "#"}]}}}),
    ("wide-recursion", {"type": "object", "properties": {f"p{i}": {"$ref": "#"}
                                                         for i in range(12)}}),
    ("pattern-huge-repeat", _prop({"type": "string", "pattern": "^a{100000000}$"})),
]  # fmt: skip


@pytest.mark.parametrize("schema", [c[1] for c in HOSTILE_SCHEMAS],
                         ids=[c[0] for c in HOSTILE_SCHEMAS])  # fmt: skip
async def test_hostile_schemas_are_answered_quickly(
    http: ClientSession, schema: dict[str, Any]
) -> None:
    start = time.perf_counter()
    async with http.post("/v1/responses", json=_tool(schema)) as resp:
        body = await resp.json()
        assert resp.status == 200, body
    assert time.perf_counter() - start < 5  # was: minutes, with every other client stalled
    (call,) = body["output"]
    assert isinstance(json.loads(call["arguments"]), dict)


SURROGATES = [
    ("metadata-key", b'{"model": "gpt-4o", "input": "x", "metadata": {"\\ud800": "v"}}',
     "metadata"),
    ("input", b'{"model": "gpt-4o", "input": "a\\udfffb"}', "input"),
    ("nested-unknown-field", b'{"model": "gpt-4o", "input": "x", "extra": [{"k": "\\ud83d"}]}',
     "extra[0].k"),
    ("model", b'{"model": "\\ud800", "input": "x"}', "model"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "param"), [c[1:] for c in SURROGATES],
                         ids=[c[0] for c in SURROGATES])  # fmt: skip
async def test_lone_surrogates_are_refused_where_they_are(
    http: ClientSession, raw: bytes, param: str
) -> None:
    headers = {"Content-Type": "application/json"}
    async with http.post("/v1/responses", data=raw, headers=headers) as resp:
        error = await resp.json()
        assert resp.status == 400, error  # was a 500: no UTF-8 encoder takes them
    validate(error, "ErrorResponse")
    assert (error["error"]["code"], error["error"]["param"]) == ("invalid_encoding", param)


async def test_escaped_surrogate_pairs_are_ordinary_characters(http: ClientSession) -> None:
    raw = b'{"model": "gpt-4o", "input": "\\ud83e\\udd16", "metadata": {"k": "\\ud83d\\ude00"}}'
    async with http.post("/v1/responses", data=raw) as resp:
        assert resp.status == 200
        assert (await resp.json())["metadata"] == {"k": "\U0001f600"}


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_body_that_does_not_decode_is_a_400(http: ClientSession, encoding: str) -> None:
    headers = {"Content-Type": "application/json", "Content-Encoding": encoding}
    async with http.post("/v1/responses", data=b"not compressed", headers=headers) as resp:
        error = await resp.json()
        assert resp.status == 400, error  # was a 500
    assert error["error"]["code"] == "invalid_encoding"


async def test_a_client_gone_mid_body_is_no_server_error(
    mock: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Content-Length promises more than arrives, then the connection closes."""
    head = (
        "POST /v1/responses HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer gone\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    with caplog.at_level(logging.INFO, logger="mockserver"):
        _, writer = await asyncio.open_connection(mock.server.host, mock.server.port)
        writer.write(head.encode() + b'{"model"')
        await writer.drain()
        await asyncio.sleep(0.1)
        writer.close()
        await writer.wait_closed()
        journal = mock.app[JOURNAL]
        for _ in range(100):
            if len(journal):
                break
            await asyncio.sleep(0.02)
    (entry,) = list(journal)
    assert entry.exchange.status != 500
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


class _Unfinished:
    """A body stream that has not reached its end (the failure comes while reading)."""

    def is_eof(self) -> bool:
        return False


class _BrokenBody:
    """A request whose body fails the way aiohttp fails it (what a test client cannot send)."""

    content_length = 100
    content = _Unfinished()
    headers: dict[str, str] = {}  # noqa: RUF012

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def read(self) -> bytes:
        raise self.error


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConnectionResetError("Connection lost"), "incomplete_body"),  # was a 500 and a traceback
        (RequestPayloadError("400, message:\n  Can not decode content-encoding: br"),
         "invalid_encoding"),
    ],
)  # fmt: skip
async def test_a_body_that_cannot_be_read_is_the_clients_400(error: Exception, code: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        await read_body(_BrokenBody(error), 1000)  # type: ignore[arg-type]
    assert (info.value.status, info.value.code) == (400, code)


async def test_deeply_nested_scenario_yaml_is_a_400(http: ClientSession) -> None:
    raw = b"- " * 3000 + b"x"  # building it recursed past Python's limit: a 500
    async with http.post("/_mock/scenarios", data=raw) as resp:
        error = await resp.json()
        assert resp.status == 400, error
    assert error["error"]["code"] == "mock_invalid_scenario"
    # Our own depth check says "nested more than 100 levels"; PyYAML >= 6.0.4's libyaml stops
    # earlier with "exceeded maximum nesting depth". Either way: located, and about nesting.
    problems = error["error"]["problems"]
    assert any(re.search(r":1:\d+: .*nest", p) for p in problems), problems


def _record(exc: BaseException | None) -> logging.LogRecord:
    return logging.LogRecord(
        "aiohttp.server", logging.ERROR, __file__, 1, "Error handling request from %s",
        ("127.0.0.1",), (type(exc), exc, None) if exc else None,
    )  # fmt: skip


def test_malformed_http_is_logged_as_one_line() -> None:
    record = _record(BadHttpMessage("Duplicate 'Content-Type' header found."))
    assert MalformedRequestFilter().filter(record)
    assert (record.levelno, record.exc_info) == (logging.WARNING, None)
    assert record.getMessage() == (
        "malformed request: 400, message: Duplicate 'Content-Type' header found. "
        "(Error handling request from 127.0.0.1)"
    )
    bug = _record(KeyError("x"))  # anything else keeps its level and traceback
    assert MalformedRequestFilter().filter(bug)
    assert (bug.levelno, bug.exc_info is not None) == (logging.ERROR, True)


async def test_the_server_keeps_serving_after_all_of_it(mock: RunningServer) -> None:
    async with ClientSession(headers={"Authorization": "Bearer k"}) as session:
        bodies = [c[1] for c in BAD_BODIES] + [_tool(s) for _, s in HOSTILE_SCHEMAS]
        for body in bodies:
            async with session.post(f"{mock.base_url}/responses", json=body) as resp:
                assert resp.status < 500
        async with session.post(f"{mock.base_url}/responses", json=OK) as resp:
            assert resp.status == 200
