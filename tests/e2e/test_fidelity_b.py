"""Fidelity, round two (items 2, 3, 5), through the official SDKs as a client sees them:
agent-loop inputs the API refuses, strict-mode schemas, tools in namespaces, additional_tools
items and custom tools."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp import ClientSession
from conftest import RunningServer
from openai import AsyncOpenAI, BadRequestError, NotFoundError
from pydantic import BaseModel
from specschema import validate

USER: Any = {"role": "user", "content": "Weather in Paris?"}
WEATHER: Any = {"type": "function", "name": "get_weather", "strict": True,
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                          "required": ["city"], "additionalProperties": False}}  # fmt: skip
LOOSE: Any = {"type": "object", "properties": {"city": {"type": "string"}}}
CRM: Any = {"type": "namespace", "name": "crm", "description": "Customer records",
       "tools": [{"type": "function", "name": "lookup_customer", "strict": True,
                  "parameters": {"type": "object", "properties": {"id": {"type": "integer"}},
                                 "required": ["id"], "additionalProperties": False}}]}  # fmt: skip
PATCH_GRAMMAR = r"\*\*\* Begin Patch\n[a-z]{3,12}\n\*\*\* End Patch"
PATCH: Any = {"type": "custom", "name": "apply_patch", "description": "Apply a patch",
         "format": {"type": "grammar", "syntax": "regex", "definition": PATCH_GRAMMAR}}  # fmt: skip


def error_of(exc: BadRequestError | NotFoundError) -> dict[str, Any]:
    body = exc.body
    assert isinstance(body, dict)
    return body


# ---- item 2: agent-loop inputs -----------------------------------------------------------------


async def test_an_output_for_a_call_never_made_is_refused(client: AsyncOpenAI) -> None:
    with pytest.raises(BadRequestError) as info:
        await client.responses.create(
            model="gpt-4o",
            input=[USER, {"type": "function_call_output", "call_id": "call_x1", "output": "{}"}],
        )
    assert info.value.status_code == 400
    assert error_of(info.value) == {
        "message": "No tool call found for function call output with call_id call_x1.",
        "type": "invalid_request_error", "param": "input", "code": None,
    }  # fmt: skip


async def test_a_turn_after_tool_calls_must_answer_them(client: AsyncOpenAI) -> None:
    first = await client.responses.create(
        model="gpt-4o", input="Weather?", tools=[WEATHER], tool_choice="required"
    )
    call = first.output[0]
    assert call.type == "function_call"
    with pytest.raises(
        BadRequestError, match=f"No tool output found for function call {call.call_id}"
    ):
        await client.responses.create(
            model="gpt-4o", previous_response_id=first.id, input="And tomorrow?", tools=[WEATHER]
        )
    answered = await client.responses.create(
        model="gpt-4o", previous_response_id=first.id, tools=[WEATHER],
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "21 C"}],
    )  # fmt: skip
    assert answered.status == "completed"


async def test_replaying_items_next_to_previous_response_id_is_a_duplicate(
    client: AsyncOpenAI,
) -> None:
    first = await client.responses.create(model="gpt-4o", input="Hello")
    replayed: Any = first.output[0].model_dump(mode="json", exclude_none=True)
    with pytest.raises(BadRequestError) as info:
        await client.responses.create(
            model="gpt-4o", previous_response_id=first.id, input=[replayed, USER]
        )
    assert error_of(info.value) == {
        "message": f"Duplicate item found with id {replayed['id']}. Remove duplicate items "
        "from your input and try again.",
        "type": "invalid_request_error", "param": "input", "code": None,
    }  # fmt: skip


async def test_a_reasoning_item_without_what_followed_it_is_refused(client: AsyncOpenAI) -> None:
    first = await client.responses.create(
        model="o4-mini", input="Weather?", tools=[WEATHER], tool_choice="required", store=False,
        include=["reasoning.encrypted_content"],
    )  # fmt: skip
    reasoning, call = first.output[0], first.output[1]
    assert reasoning.type == "reasoning" and call.type == "function_call"
    output: Any = {"type": "function_call_output", "call_id": call.call_id, "output": "21"}
    dropped_call = [USER, reasoning.model_dump(mode="json", exclude_none=True), output]
    with pytest.raises(BadRequestError) as info:
        await client.responses.create(model="o4-mini", input=dropped_call, store=False)
    assert error_of(info.value)["message"] == (
        f"Item '{reasoning.id}' of type 'reasoning' was provided without its required "
        "following item."
    )
    whole = [*dropped_call[:2], call.model_dump(mode="json", exclude_none=True), dropped_call[2]]
    answer = await client.responses.create(model="o4-mini", input=whole, store=False)
    assert answer.status == "completed"


async def test_reasoning_from_a_store_false_response_needs_its_encrypted_content(
    client: AsyncOpenAI,
) -> None:
    """The classic trap: store=false, and the reasoning item sent back without what
    include=["reasoning.encrypted_content"] would have given."""
    first = await client.responses.create(
        model="o4-mini", input="Weather?", tools=[WEATHER], tool_choice="required", store=False
    )
    reasoning, call = first.output[0], first.output[1]
    assert reasoning.type == "reasoning" and call.type == "function_call"
    output: Any = {"type": "function_call_output", "call_id": call.call_id, "output": "21"}
    items: Any = [USER, *(i.model_dump(mode="json", exclude_none=True) for i in first.output)]
    with pytest.raises(NotFoundError) as info:
        await client.responses.create(model="o4-mini", input=[*items, output], store=False)
    assert error_of(info.value)["message"].startswith(f"Item with id '{reasoning.id}' not found.")


async def test_item_references_resolve_or_404(client: AsyncOpenAI) -> None:
    first = await client.responses.create(
        model="gpt-4o", input="Weather?", tools=[WEATHER], tool_choice="required"
    )
    call = first.output[0]
    assert call.type == "function_call" and call.id
    # A stateless client sends the stored items by reference (no previous_response_id).
    by_reference = await client.responses.create(
        model="gpt-4o", tools=[WEATHER],
        input=[USER, {"type": "item_reference", "id": call.id},
               {"type": "function_call_output", "call_id": call.call_id, "output": "21"}],
    )  # fmt: skip
    assert by_reference.status == "completed"
    with pytest.raises(NotFoundError) as info:
        await client.responses.create(
            model="gpt-4o", input=[USER, {"type": "item_reference", "id": "msg_missing"}]
        )
    assert info.value.status_code == 404
    assert error_of(info.value) == {
        "message": "Item with id 'msg_missing' not found. Items are not persisted when `store` "
        "is set to false. Try again with `store` set to true, or remove this item from your "
        "input.",
        "type": "invalid_request_error", "param": "input", "code": None,
    }  # fmt: skip


# ---- item 3: strict schemas ---------------------------------------------------------------------


async def test_a_strict_function_with_a_loose_schema_is_refused(client: AsyncOpenAI) -> None:
    tool: Any = {**WEATHER, "parameters": LOOSE}
    with pytest.raises(BadRequestError) as info:
        await client.responses.create(model="gpt-4o", input="hi", tools=[tool])
    assert error_of(info.value) == {
        "message": "Invalid schema for function 'get_weather': In context=(), "
        "'additionalProperties' is required to be supplied and to be false.",
        "type": "invalid_request_error", "param": "tools[0].parameters",
        "code": "invalid_function_parameters",
    }  # fmt: skip


async def test_a_strict_json_schema_missing_a_required_key_is_refused(
    client: AsyncOpenAI,
) -> None:
    schema: Any = {**LOOSE, "properties": {"city": {"type": "string"}, "temp": {"type": "number"}},
              "required": ["city"], "additionalProperties": False}  # fmt: skip
    fmt: Any = {"type": "json_schema", "name": "report", "schema": schema, "strict": True}
    with pytest.raises(BadRequestError) as info:
        await client.responses.create(model="gpt-4o", input="hi", text={"format": fmt})
    assert error_of(info.value) == {
        "message": "Invalid schema for response_format 'report': In context=(), 'required' is "
        "required to be supplied and to be an array including every key in properties. "
        "Missing 'temp'.",
        "type": "invalid_request_error", "param": "text.format.schema",
        "code": "invalid_json_schema",
    }  # fmt: skip


class Forecast(BaseModel):
    city: str
    days: list[int]
    note: str | None


async def test_the_sdks_own_strict_schemas_are_accepted(client: AsyncOpenAI) -> None:
    """responses.parse makes a strict schema from a Pydantic model: it must pass."""
    parsed = await client.responses.parse(model="gpt-4o", input="Forecast?", text_format=Forecast)
    assert isinstance(parsed.output_parsed, Forecast)


async def test_tool_choice_naming_a_tool_not_offered_is_refused(client: AsyncOpenAI) -> None:
    with pytest.raises(BadRequestError) as info:
        await client.responses.create(
            model="gpt-4o", input="Draw a cat", tools=[WEATHER],
            tool_choice={"type": "image_generation"},
        )  # fmt: skip
    assert error_of(info.value)["message"] == (
        "Tool choice 'image_generation' not found in 'tools' parameter."
    )
    assert error_of(info.value)["param"] == "tool_choice"


# ---- item 5: namespaced, additional and custom tools ---------------------------------------


async def test_a_required_namespaced_function_is_called_with_its_namespace(
    client: AsyncOpenAI,
) -> None:
    response = await client.responses.create(
        model="gpt-5",
        input="Who is customer 7?",
        tools=[CRM],
        tool_choice="required",
    )
    call = response.output[-1]
    assert call.type == "function_call"
    assert (call.name, call.namespace) == ("lookup_customer", "crm")
    validate(response.model_dump(mode="json", exclude_unset=True), "Response")


async def test_a_custom_tool_gets_input_its_grammar_accepts(client: AsyncOpenAI) -> None:
    stream = await client.responses.create(
        model="gpt-4o", input="Fix it", tools=[PATCH], stream=True,
        tool_choice={"type": "custom", "name": "apply_patch"},
    )  # fmt: skip
    events = [event async for event in stream]
    types = [e.type for e in events]
    assert "response.custom_tool_call_input.delta" in types
    final = events[-1]
    assert final.type == "response.completed"
    call = final.response.output[-1]
    assert call.type == "custom_tool_call" and call.name == "apply_patch"
    assert re.fullmatch(PATCH_GRAMMAR, call.input)
    validate(final.response.model_dump(mode="json", exclude_unset=True), "Response")


CODEX = """
name: codex
rules:
  - name: run-shell
    when: {tools: [shell, apply_patch], has_tool_output: false}
    expect: {tools: [shell]}
    reply:
      - function_call: {name: shell, arguments: {command: [ls]}}
  - name: done
    when: {has_tool_output: shell}
    reply: [{message: "Listed."}]
"""


async def test_tools_in_additional_tools_items_match_scenarios(
    start_server: Any,
) -> None:
    """How the Codex CLI offers its tools: an additional_tools input item, no `tools`."""
    server: RunningServer = await start_server(seed=3)
    async with ClientSession(base_url=server.root) as admin:
        resp = await admin.post("/_mock/scenarios", data=CODEX)
        assert resp.status == 201, await resp.text()
    command = {"type": "object", "properties": {"command": {"type": "array"}}}
    shell = {"type": "function", "name": "shell", "parameters": command}
    offered: Any = {"type": "additional_tools", "role": "developer", "tools": [shell, PATCH]}
    async with server.client(default_headers={"X-Mock-Scenario": "codex"}) as sdk:
        first = await sdk.responses.create(model="gpt-5", input=[offered, USER], store=False)
        call = first.output[-1]
        assert call.type == "function_call" and call.name == "shell"
        output: Any = {"type": "function_call_output", "call_id": call.call_id, "output": "a.py"}
        items = [offered, USER, call.model_dump(mode="json", exclude_none=True), output]
        second = await sdk.responses.create(model="gpt-5", input=items, store=False)
        assert second.output_text == "Listed."
    async with ClientSession(base_url=server.root) as admin:
        verify = await admin.get("/_mock/verify?tenant=test-key")
        assert (await verify.json())["ok"] is True


async def test_agents_sdk_runs_a_namespaced_tool_loop(mock: RunningServer) -> None:
    agents = pytest.importorskip("agents")
    agents.set_tracing_disabled(True)
    looked_up: list[int] = []

    @agents.function_tool  # type: ignore[untyped-decorator]
    def lookup_customer(id: int) -> str:
        """A customer's record."""
        looked_up.append(id)
        return f"customer {id}: Ada"

    async with mock.client() as sdk:
        agent = agents.Agent(
            name="crm",
            instructions="Look customers up.",
            tools=agents.tool_namespace(
                name="crm", description="Customer records", tools=[lookup_customer]
            ),
            model=agents.OpenAIResponsesModel(model="gpt-5", openai_client=sdk),
            # zero-config: the required tool is called (namespaced), then tool_choice resets
            model_settings=agents.ModelSettings(tool_choice="required"),
        )
        result = await agents.Runner.run(agent, "Who is customer 7?")
    assert len(looked_up) == 1
    assert isinstance(result.final_output, str) and result.final_output


NAMESPACED = """
name: crm
rules:
  - name: look-up
    when: {tools: [lookup_customer], has_tool_output: false}
    reply:
      - function_call: {name: lookup_customer, namespace: crm, arguments: {id: 7}}
"""


async def test_a_scenario_scripts_a_namespaced_call(start_server: Any) -> None:
    server: RunningServer = await start_server(seed=3)
    async with ClientSession(base_url=server.root) as admin:
        resp = await admin.post("/_mock/scenarios", data=NAMESPACED)
        assert resp.status == 201, await resp.text()
    async with server.client(default_headers={"X-Mock-Scenario": "crm"}) as sdk:
        response = await sdk.responses.create(model="gpt-5", input="Customer 7?", tools=[CRM])
    call = response.output[-1]
    assert call.type == "function_call"
    assert (call.name, call.namespace, call.arguments) == ("lookup_customer", "crm", '{"id":7}')
