"""The Responses API lifecycle through the official SDK: create, retrieve, delete, input items,
conversations, storage, tenants and the zero-config answers."""

from __future__ import annotations

import json

import jsonschema
import openai
import pytest
from aiohttp import ClientSession
from conftest import RunningServer, StartServer
from openai import AsyncOpenAI
from openai.types.responses import FunctionToolParam, ResponseInputItemParam
from specschema import validate

WEATHER_TOOL: FunctionToolParam = {  # type: ignore[typeddict-item]  # no "strict"
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
        },
        "required": ["city", "unit", "days"],
        "additionalProperties": False,
    },
}


async def test_create_returns_a_complete_spec_response(client: AsyncOpenAI) -> None:
    response = await client.responses.create(
        model="gpt-4o",
        input="Tell me about Paris.",
        instructions="Be brief.",
        temperature=0.3,
        top_p=0.9,
        metadata={"suite": "core"},
    )
    body = response.model_dump(mode="json", exclude_unset=True)
    validate(body, "Response")
    assert response.id.startswith("resp_") and len(response.id) == 55
    assert response.status == "completed" and response.completed_at is not None
    assert response.output[0].id.startswith("msg_")
    assert response.output_text.strip()
    assert response.instructions == "Be brief."
    assert (response.temperature, response.top_p) == (0.3, 0.9)
    assert response.metadata == {"suite": "core"}
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


async def test_usage_counts_real_tokens(client: AsyncOpenAI) -> None:
    from mockserver.openai import tokens

    response = await client.responses.create(model="gpt-4o", input="one two three")
    assert response.usage.output_tokens == tokens.count(response.output_text)
    # the text plus the chat format's per-message and priming overhead
    assert response.usage.input_tokens == tokens.count("one two three") + 4 + 3


async def test_retrieve_returns_the_same_body(
    mock: RunningServer, client: AsyncOpenAI, http: ClientSession
) -> None:
    created = await client.responses.create(model="gpt-4o", input="hi")
    got = await client.responses.retrieve(created.id)
    assert got == created
    async with http.get(f"/v1/responses/{created.id}") as resp:
        raw = await resp.json()
    validate(raw, "Response")
    assert "output_text" not in raw  # an SDK convenience; the API never sends it


async def test_delete_then_get_and_delete_are_404(client: AsyncOpenAI, http: ClientSession) -> None:
    created = await client.responses.create(model="gpt-4o", input="hi")
    async with http.delete(f"/v1/responses/{created.id}") as resp:
        assert resp.status == 200
        assert await resp.json() == {"id": created.id, "object": "response", "deleted": True}
    with pytest.raises(openai.NotFoundError) as info:
        await client.responses.retrieve(created.id)
    assert info.value.code == "response_not_found"
    with pytest.raises(openai.NotFoundError):
        await client.responses.delete(created.id)


async def test_input_items_paging(client: AsyncOpenAI) -> None:
    messages: list[ResponseInputItemParam] = [
        {"role": "user", "content": f"message {i}"} for i in range(5)
    ]
    created = await client.responses.create(model="gpt-4o", input=messages)
    page = await client.responses.input_items.list(created.id)
    assert [m.content[0].text for m in page.data] == [f"message {i}" for i in range(4, -1, -1)]  # type: ignore[index]
    validate(page.model_dump(mode="json", exclude_unset=True), "ResponseItemList")
    first = await client.responses.input_items.list(created.id, limit=2, order="asc")
    assert [m.content[0].text for m in first.data] == ["message 0", "message 1"]  # type: ignore[index]
    assert first.has_more and first.first_id == first.data[0].id  # type: ignore[attr-defined]
    rest = await client.responses.input_items.list(
        created.id,
        limit=10,
        order="asc",
        after=first.last_id,  # type: ignore[attr-defined]
    )
    assert [m.content[0].text for m in rest.data] == ["message 2", "message 3", "message 4"]  # type: ignore[index]
    assert not rest.has_more
    every = [i async for i in client.responses.input_items.list(created.id, limit=2)]
    assert len(every) == 5  # the SDK's auto-pagination follows has_more/after


@pytest.mark.parametrize(
    ("query", "code"),
    [("limit=0", "integer_below_min_value"), ("limit=101", "integer_above_max_value"),
     ("order=sideways", "invalid_value"), ("after=msg_nope", "invalid_value"),
     ("limit=many", "invalid_type")],
)  # fmt: skip
async def test_input_items_bad_query(
    client: AsyncOpenAI, http: ClientSession, query: str, code: str
) -> None:
    created = await client.responses.create(model="gpt-4o", input="hi")
    async with http.get(f"/v1/responses/{created.id}/input_items?{query}") as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == code


async def test_previous_response_id_links_turns(client: AsyncOpenAI) -> None:
    first = await client.responses.create(model="gpt-4o", input="My name is Ada.")
    second = await client.responses.create(
        model="gpt-4o", input="What is my name?", previous_response_id=first.id
    )
    assert second.previous_response_id == first.id
    # the second turn reads the first turn's input and output as well as its own input
    assert second.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens
    items = await client.responses.input_items.list(second.id)
    assert [m.content[0].text for m in items.data] == ["What is my name?"]  # type: ignore[index]


async def test_long_conversations_report_cached_tokens(client: AsyncOpenAI) -> None:
    long_text = "word " * 1500
    first = await client.responses.create(model="gpt-4o", input=long_text)
    second = await client.responses.create(
        model="gpt-4o", input="and now?", previous_response_id=first.id
    )
    cached = second.usage.input_tokens_details.cached_tokens
    assert cached > 1024 and cached % 128 == 0
    assert cached <= second.usage.input_tokens


async def test_unknown_previous_response_is_400(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.create(model="gpt-4o", input="x", previous_response_id="resp_123")
    assert info.value.code == "previous_response_not_found"
    assert info.value.param == "previous_response_id"
    assert info.value.body["message"] == "Previous response with id 'resp_123' not found."  # type: ignore[index]


async def test_store_false_is_never_retrievable(client: AsyncOpenAI) -> None:
    created = await client.responses.create(model="gpt-4o", input="secret", store=False)
    assert created.store is False  # type: ignore[attr-defined]
    with pytest.raises(openai.NotFoundError):
        await client.responses.retrieve(created.id)
    with pytest.raises(openai.BadRequestError):
        await client.responses.create(model="gpt-4o", input="x", previous_response_id=created.id)


async def test_tenants_are_isolated(mock: RunningServer) -> None:
    async with mock.client("key-a") as a, mock.client("key-b") as b:
        created = await a.responses.create(model="gpt-4o", input="mine")
        with pytest.raises(openai.NotFoundError):
            await b.responses.retrieve(created.id)
        with pytest.raises(openai.NotFoundError):
            await b.responses.delete(created.id)
        with pytest.raises(openai.BadRequestError) as info:
            await b.responses.create(model="gpt-4o", input="x", previous_response_id=created.id)
        assert info.value.code == "previous_response_not_found"
        assert (await a.responses.retrieve(created.id)).id == created.id


async def test_required_tool_gets_arguments_valid_against_its_schema(client: AsyncOpenAI) -> None:
    response = await client.responses.create(
        model="gpt-4o", input="Weather in Paris?", tools=[WEATHER_TOOL], tool_choice="required"
    )
    validate(response.model_dump(mode="json", exclude_unset=True), "Response")
    call = response.output[0]
    assert call.type == "function_call" and call.name == "get_weather"
    assert call.id.startswith("fc_") and call.call_id.startswith("call_")
    jsonschema.validate(json.loads(call.arguments), WEATHER_TOOL["parameters"])


async def test_named_tool_choice_calls_that_tool(client: AsyncOpenAI) -> None:
    other: FunctionToolParam = {
        **WEATHER_TOOL,
        "name": "get_time",
        "parameters": {"type": "object"},
    }
    response = await client.responses.create(
        model="gpt-4o",
        input="x",
        tools=[WEATHER_TOOL, other],
        tool_choice={"type": "function", "name": "get_time"},
    )
    assert response.output[0].name == "get_time"


async def test_tool_loop_answers_after_the_tool_output(client: AsyncOpenAI) -> None:
    first = await client.responses.create(
        model="gpt-4o", input="Weather?", tools=[WEATHER_TOOL], tool_choice="required"
    )
    call = first.output[0]
    second = await client.responses.create(
        model="gpt-4o",
        previous_response_id=first.id,
        tools=[WEATHER_TOOL],
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"t": 21}'}],  # type: ignore[misc,list-item]
    )
    assert second.output[0].type == "message" and second.output_text


async def test_json_schema_format_answers_valid_json(client: AsyncOpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "kind": {"anyOf": [{"type": "string", "enum": ["a", "b"]}, {"type": "null"}]},
            "address": {"$ref": "#/$defs/address"},
        },
        "required": ["name", "tags", "score", "kind", "address"],
        "additionalProperties": False,
        "$defs": {
            "address": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
                "required": ["city", "zip"],
                "additionalProperties": False,
            }
        },
    }
    response = await client.responses.create(
        model="gpt-4o",
        input="Describe someone.",
        text={"format": {"type": "json_schema", "name": "person", "schema": schema}},
    )
    jsonschema.validate(json.loads(response.output_text), schema)
    assert response.text.format.type == "json_schema"


async def test_max_output_tokens_cuts_the_answer(client: AsyncOpenAI) -> None:
    prompt = "Tell me a long story."
    response = await client.responses.create(model="gpt-4o", input=prompt, max_output_tokens=16)
    full = await client.responses.create(model="gpt-4o", input=prompt)
    assert full.usage.output_tokens > 16  # seed 7 makes this answer long enough to be cut
    validate(response.model_dump(mode="json", exclude_unset=True), "Response")
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.usage.output_tokens == 16
    assert response.output[0].status == "incomplete"
    assert full.output_text.startswith(response.output_text)


async def test_same_seed_same_bytes(start_server: StartServer, http: ClientSession) -> None:
    async def run() -> list[bytes]:
        server = await start_server(seed=42, freeze_time=1_700_000_000)
        bodies = []
        async with server.client() as sdk:
            for text in ["a", "b", "a"]:
                raw = await sdk.responses.with_raw_response.create(model="gpt-4o", input=text)
                bodies.append(raw.content)
        return bodies

    first, second = await run(), await run()
    assert first == second
    a1, a3 = json.loads(first[0]), json.loads(first[2])
    assert a1["output"][0]["content"] == a3["output"][0]["content"]  # text depends on the request
    assert a1["id"] != a3["id"]


async def test_openai_headers_on_every_answer(client: AsyncOpenAI) -> None:
    raw = await client.responses.with_raw_response.create(model="gpt-4o", input="hi")
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.headers["openai-version"] == "2020-10-01"
    assert int(raw.headers["openai-processing-ms"]) >= 0
    assert raw.request_id == raw.headers["x-request-id"]


async def test_endpoint_info(http: ClientSession) -> None:
    async with http.get("/v1/responses") as resp:
        info = await resp.json()
    assert info["name"] == "mockserver"
    assert "POST /v1/responses" in info["endpoints"]


async def test_cancel_of_a_non_background_response_is_an_error(client: AsyncOpenAI) -> None:
    created = await client.responses.create(model="gpt-4o", input="hi")
    with pytest.raises(openai.BadRequestError):
        await client.responses.cancel(created.id)


async def test_max_stored_evicts_the_oldest(start_server: StartServer) -> None:
    server = await start_server(max_stored=2)
    async with server.client() as sdk:
        ids = [(await sdk.responses.create(model="m", input=str(i))).id for i in range(3)]
        with pytest.raises(openai.NotFoundError):
            await sdk.responses.retrieve(ids[0])
        assert (await sdk.responses.retrieve(ids[2])).id == ids[2]
