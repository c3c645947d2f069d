"""Bad requests get the API's error (status, type, code, param), never a traceback, and the
server keeps serving afterwards."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from aiohttp import ClientSession
from conftest import RunningServer, StartServer
from openai import AsyncOpenAI
from specschema import validate

OK = {"model": "gpt-4o", "input": "hi"}
BAD_TOOL = {"type": "function", "name": "bad name!"}
BAD_BODIES = [
    ("missing-model", {"input": "hi"}, "missing_required_parameter", "model"),
    ("missing-input", {"model": "gpt-4o"}, "missing_required_parameter", "input"),
    ("model-type", {**OK, "model": 4}, "invalid_type", "model"),
    ("input-type", {**OK, "input": 4}, "invalid_type", "input"),
    ("temperature-high", {**OK, "temperature": 2.5}, "decimal_above_max_value", "temperature"),
    ("temperature-low", {**OK, "temperature": -1}, "decimal_below_min_value", "temperature"),
    ("temperature-type", {**OK, "temperature": "hot"}, "invalid_type", "temperature"),
    ("top-p-high", {**OK, "top_p": 1.5}, "decimal_above_max_value", "top_p"),
    ("max-output-low", {**OK, "max_output_tokens": 15}, "integer_below_min_value",
     "max_output_tokens"),
    ("metadata-keys", {**OK, "metadata": {f"k{i}": "v" for i in range(17)}},
     "object_above_max_properties", "metadata"),
    ("metadata-key-long", {**OK, "metadata": {"k" * 65: "v"}}, "string_above_max_length",
     "metadata"),
    ("metadata-value-long", {**OK, "metadata": {"k": "v" * 513}}, "string_above_max_length",
     "metadata.k"),
    ("metadata-value-type", {**OK, "metadata": {"k": 1}}, "invalid_type", "metadata.k"),
    ("tools-type", {**OK, "tools": {}}, "invalid_type", "tools"),
    ("tool-no-type", {**OK, "tools": [{"name": "f"}]}, "missing_required_parameter",
     "tools[0].type"),
    ("tool-bad-name", {**OK, "tools": [BAD_TOOL]}, "invalid_value", "tools[0].name"),
    ("tool-unknown-type", {**OK, "tools": [{"type": "teleport"}]}, "invalid_value",
     "tools[0].type"),
    ("tool-choice-mode", {**OK, "tool_choice": "sometimes"}, "invalid_value", "tool_choice"),
    ("tool-choice-unknown", {**OK, "tool_choice": {"type": "function", "name": "nope"}},
     "invalid_value", "tool_choice"),
    ("text-format-type", {**OK, "text": {"format": {"type": "yaml"}}}, "invalid_value",
     "text.format.type"),
    ("text-format-no-schema", {**OK, "text": {"format": {"type": "json_schema", "name": "x"}}},
     "missing_required_parameter", "text.format.schema"),
    ("text-format-no-name", {**OK, "text": {"format": {"type": "json_schema", "schema": {}}}},
     "missing_required_parameter", "text.format.name"),
    ("previous-id-form", {**OK, "previous_response_id": "abc"}, "invalid_value",
     "previous_response_id"),
    ("role", {**OK, "input": [{"role": "robot", "content": "x"}]}, "invalid_value",
     "input[0].role"),
    ("include", {**OK, "include": ["everything"]}, "invalid_value", "include[0]"),
    ("background-no-store", {**OK, "background": True, "store": False}, "invalid_value", "store"),
    ("service-tier", {**OK, "service_tier": "gold"}, "invalid_value", "service_tier"),
    ("stream-type", {**OK, "stream": "yes"}, "invalid_type", "stream"),
    ("model-blank", {**OK, "model": " "}, "empty_string", "model"),
    ("instructions-type", {**OK, "instructions": 1}, "invalid_type", "instructions"),
    ("top-logprobs-high", {**OK, "top_logprobs": 21}, "integer_above_max_value", "top_logprobs"),
    ("reasoning-effort", {**OK, "reasoning": {"effort": "huge"}}, "invalid_value",
     "reasoning.effort"),
    ("text-verbosity", {**OK, "text": {"verbosity": "loud"}}, "invalid_value", "text.verbosity"),
    ("text-format-null", {**OK, "text": {"format": None}}, "invalid_type", "text.format"),
    ("stream-options-flag", {**OK, "stream_options": {"include_obfuscation": "no"}},
     "invalid_type", "stream_options.include_obfuscation"),
    ("allowed-tools-no-mode", {**OK, "tool_choice": {"type": "allowed_tools", "tools": []}},
     "missing_required_parameter", "tool_choice.mode"),
    ("item-type", {**OK, "input": [{"type": "teleport"}]}, "invalid_value", "input[0].type"),
    ("part-text-type", {**OK, "input": [{"role": "user", "content": [{"type": "input_text",
     "text": 1}]}]}, "invalid_type", "input[0].content[0].text"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "code", "param"), [c[1:] for c in BAD_BODIES],
                         ids=[c[0] for c in BAD_BODIES])  # fmt: skip
async def test_bad_body_gets_the_api_error(
    http: ClientSession, body: Any, code: str, param: str | None
) -> None:
    async with http.post("/v1/responses", json=body) as resp:
        assert resp.status == 400
        error = await resp.json()
    validate(error, "ErrorResponse")
    assert error["error"]["type"] == "invalid_request_error"
    assert (error["error"]["code"], error["error"]["param"]) == (code, param)
    async with http.post("/v1/responses", json=OK) as resp:
        assert resp.status == 200  # and the server keeps serving


async def test_sdk_raises_bad_request_with_code_and_param(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.create(model="gpt-4o", input="hi", temperature=3)
    assert (info.value.code, info.value.param) == ("decimal_above_max_value", "temperature")
    assert info.value.request_id.startswith("req_")  # type: ignore[union-attr]


RAW_BODIES = [
    ("not-json", b"{nope", 400),
    ("not-object", b"[1, 2]", 400),
    ("not-utf8", b'{"model": "\xff\xfe", "input": "x"}', 400),
    ("too-deep", b"[" * 5000 + b"]" * 5000, 400),
    ("empty", b"", 400),
    ("string", b'"hello"', 400),
]


@pytest.mark.parametrize(("raw", "status"), [c[1:] for c in RAW_BODIES],
                         ids=[c[0] for c in RAW_BODIES])  # fmt: skip
async def test_unparseable_bodies(http: ClientSession, raw: bytes, status: int) -> None:
    headers = {"Content-Type": "application/json"}
    async with http.post("/v1/responses", data=raw, headers=headers) as resp:
        assert resp.status == status
        error = await resp.json()
    validate(error, "ErrorResponse")
    assert "Traceback" not in error["error"]["message"]


async def test_body_over_the_limit_is_413(start_server: StartServer) -> None:
    from aiohttp import ClientSession

    server = await start_server(max_body_bytes=1000)
    async with ClientSession(headers={"Authorization": "Bearer k"}) as http:
        big = {"model": "gpt-4o", "input": "x" * 2000}
        async with http.post(f"{server.base_url}/responses", json=big) as resp:
            assert resp.status == 413
            validate(await resp.json(), "ErrorResponse")


async def test_unknown_fields_are_accepted_by_default_and_rejected_when_strict(
    start_server: StartServer,
) -> None:
    lenient = await start_server()
    strict = await start_server(strict=True)
    async with lenient.client() as sdk:
        ok = await sdk.responses.create(model="m", input="x", extra_body={"new_field": 1})
        assert ok.status == "completed"
    async with strict.client() as sdk:
        with pytest.raises(openai.BadRequestError) as info:
            await sdk.responses.create(model="m", input="x", extra_body={"new_field": 1})
        assert (info.value.code, info.value.param) == ("unknown_parameter", "new_field")


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_id_of_the_wrong_form(http: ClientSession, method: str) -> None:
    async with http.request(method, "/v1/responses/msg_123") as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "invalid_response_id"


async def test_unknown_route_is_an_openai_404(http: ClientSession) -> None:
    async with http.post("/v1/nothing", json={}) as resp:
        assert resp.status == 404
        error = await resp.json()
    validate(error, "ErrorResponse")
    assert error["error"]["message"] == "Invalid URL (POST /v1/nothing)"


async def test_missing_key_is_401(mock: RunningServer) -> None:
    from aiohttp import ClientSession

    async with (
        ClientSession() as http,
        http.post(f"{mock.base_url}/responses", json=OK) as resp,
    ):
        assert resp.status == 401
        error = await resp.json()
    validate(error, "ErrorResponse")
    assert error["error"]["code"] == "authentication_required"


async def test_api_key_restriction(start_server: StartServer) -> None:
    server = await start_server(api_keys=("good-key",))
    async with server.client("good-key") as sdk:
        assert (await sdk.responses.create(model="m", input="x")).status == "completed"
    async with server.client("sk-wrong-key-1234") as sdk:
        with pytest.raises(openai.AuthenticationError) as info:
            await sdk.responses.create(model="m", input="x")
    assert info.value.code == "invalid_api_key"
    assert "sk-wrong-key-1234" not in info.value.body["message"]  # type: ignore[index]  # keys are never echoed
    assert info.value.body["message"].startswith("Incorrect API key provided: sk-")  # type: ignore[index]


async def test_an_unknown_conversation_is_the_apis_404(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        await client.responses.create(model="gpt-4o", input="x", conversation="conv_123")
    assert (info.value.code, info.value.param) == ("conversation_not_found", "conversation")
    assert info.value.body["message"] == "Conversation with id 'conv_123' not found."  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**OK, "tool_choice": "sometimes"},
         "Invalid value: 'sometimes'. Supported values are: 'none', 'auto', and 'required'."),
        ({**OK, "text": {"format": {"type": "yaml"}}},
         "Invalid value: 'yaml'. Supported values are: 'text', 'json_object', and 'json_schema'."),
    ],
)  # fmt: skip
async def test_enum_errors_read_like_the_api(
    http: ClientSession, body: dict[str, Any], message: str
) -> None:
    async with http.post("/v1/responses", json=body) as resp:
        assert (await resp.json())["error"]["message"] == message
