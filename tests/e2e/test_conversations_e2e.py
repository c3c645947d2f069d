"""The Conversations API, `conversation` on create, compaction and token counting, through the
official Python SDK; every object validated against the spec."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import openai
import pytest
from conftest import RunningServer, StartServer
from openai import AsyncOpenAI
from openai.types.responses import ResponseOutputItemAddedEvent, ResponseOutputItemDoneEvent
from specschema import validate
from streamcases import validate_event

SCENARIO = """
name: conv-aware
rules:
  - name: slow
    when: {input_contains: slowly}
    stream: {ttft_ms: 3000}
    reply: [{message: "at last"}]
  - name: broken
    when: {input_contains: break}
    reply: [{message: "this stream fails half-way"}]
    fault: {kind: failed, after_events: 4}
  - name: long
    when: {input_contains: at length}
    reply: [{message: "This answer goes on and on, far past sixteen tokens, so that a small
      max_output_tokens cuts it short and the response ends incomplete, not completed."}]
  - name: compacted
    when: {compacted: true, input_contains: again}
    reply: [{message: "compacted, turn {{ turn }}"}]
  - name: vip
    when: {conversation_metadata: {tier: vip}, conversation_items: {gte: 2}}
    reply: [{message: "vip again"}]
  - name: first
    when: {conversation: true, conversation_items: 0}
    reply: [{message: "first in conversation"}]
  - name: other
    reply: [{message: "turn {{ turn }}"}]
"""


def _dump(obj: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = obj.model_dump(mode="json", exclude_unset=True)
    return dumped


async def test_conversation_crud_and_items_validate(client: AsyncOpenAI) -> None:
    conv = await client.conversations.create(
        metadata={"topic": "demo"},
        items=[{"type": "message", "role": "user", "content": "Hello!"}],
    )
    validate(_dump(conv), "ConversationResource")
    assert conv.id.startswith("conv_") and conv.metadata == {"topic": "demo"}
    got = await client.conversations.retrieve(conv.id)
    assert got.id == conv.id
    updated = await client.conversations.update(conv.id, metadata={"topic": "new"})
    assert updated.metadata == {"topic": "new"}

    added = await client.conversations.items.create(
        conv.id,
        items=[
            {"type": "message", "role": "assistant", "content": "Hi there"},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Q"}]},
        ],
    )
    validate(_dump(added), "ConversationItemList")
    assert [i.type for i in added.data] == ["message", "message"]
    listing = await client.conversations.items.list(conv.id, order="asc", limit=2)
    validate(_dump(listing), "ConversationItemList")
    assert listing.has_more is True and len(listing.data) == 2
    everything = [i async for i in client.conversations.items.list(conv.id, order="asc")]
    assert len(everything) == 3
    first = everything[0]
    assert first.id is not None and first.id.startswith("msg_")
    item = await client.conversations.items.retrieve(first.id, conversation_id=conv.id)
    validate(_dump(item), "ConversationItem")
    after = await client.conversations.items.delete(first.id, conversation_id=conv.id)
    validate(_dump(after), "ConversationResource")
    with pytest.raises(openai.NotFoundError) as info:
        await client.conversations.items.delete(first.id, conversation_id=conv.id)
    assert info.value.code == "item_not_found"

    deleted = await client.conversations.delete(conv.id)
    validate(_dump(deleted), "DeletedConversationResource")
    with pytest.raises(openai.NotFoundError) as info:
        await client.conversations.items.create(
            conv.id, items=[{"type": "message", "role": "user", "content": "x"}]
        )
    assert info.value.body["message"] == f"Conversation with id '{conv.id}' not found."  # type: ignore[index]


async def test_responses_in_a_conversation_see_and_extend_it(
    mock: RunningServer, client: AsyncOpenAI
) -> None:
    async with mock.client(default_headers={"X-Mock-Scenario": "conv-aware"}) as sdk:
        await _add_scenario(mock, SCENARIO)
        conv = await sdk.conversations.create(metadata={"tier": "vip"})
        one = await sdk.responses.create(model="gpt-4o", input="hi", conversation=conv.id)
        validate(_dump(one), "Response")
        assert one.output_text == "first in conversation"
        assert one.conversation is not None and one.conversation.id == conv.id
        items = [i async for i in sdk.conversations.items.list(conv.id, order="asc")]
        assert [i.type for i in items] == ["message", "message"]  # input + output
        assert items[1].id == one.output[0].id
        streamed = await sdk.responses.create(
            model="gpt-4o", input="more", conversation={"id": conv.id}, stream=True
        )
        async for _ in streamed:
            pass
        items = [i async for i in sdk.conversations.items.list(conv.id, order="asc")]
        assert len(items) == 4
        two = await sdk.responses.create(model="gpt-4o", input="again?", conversation=conv.id)
        assert two.output_text == "vip again"
        entries = await _journal(mock)
        assert {e["conversation_id"] for e in entries if e["path"] == "/v1/responses"} == {conv.id}


async def test_conversation_with_previous_response_id_is_a_400(client: AsyncOpenAI) -> None:
    conv = await client.conversations.create()
    first = await client.responses.create(model="gpt-4o", input="x")
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.create(
            model="gpt-4o", input="y", conversation=conv.id, previous_response_id=first.id
        )
    assert info.value.code == "mutually_exclusive_parameters"


async def test_another_tenants_conversation_is_a_404(mock: RunningServer) -> None:
    async with mock.client("key-a") as a, mock.client("key-b") as b:
        conv = await a.conversations.create()
        with pytest.raises(openai.NotFoundError):
            await b.conversations.retrieve(conv.id)
        with pytest.raises(openai.NotFoundError):
            await b.responses.create(model="gpt-4o", input="x", conversation=conv.id)


async def test_malformed_items_name_their_param(client: AsyncOpenAI) -> None:
    conv = await client.conversations.create()
    wizard: Any = {"type": "message", "role": "wizard", "content": "x"}
    with pytest.raises(openai.BadRequestError) as info:
        await client.conversations.items.create(conv.id, items=[wizard])
    assert info.value.param == "items[0].role"
    too_many = [{"type": "message", "role": "user", "content": "x"}] * 21
    with pytest.raises(openai.BadRequestError) as info:
        await client.conversations.items.create(conv.id, items=too_many)  # type: ignore[arg-type]
    assert (info.value.code, info.value.param) == ("array_above_max_length", "items")


async def test_compact_stands_for_the_history(mock: RunningServer) -> None:
    async with mock.client(default_headers={"X-Mock-Scenario": "conv-aware"}) as sdk:
        await _add_scenario(mock, SCENARIO)
        first = await sdk.responses.create(model="gpt-4o", input="one " * 300)
        second = await sdk.responses.create(
            model="gpt-4o", input="two", previous_response_id=first.id
        )
        raw = await sdk.responses.with_raw_response.compact(
            model="gpt-4o", previous_response_id=second.id
        )
        body = json.loads(raw.http_response.text)  # the SDK types user messages as outputs
        validate(body, "CompactResource")
        compacted = raw.parse()
        kinds = [i.type for i in compacted.output]
        assert kinds == ["message", "message", "compaction"]  # the user messages, then it
        cmp = compacted.output[-1]
        assert cmp.id is not None and cmp.id.startswith("cmp_")
        validate(body["output"][-1], "CompactionBody")
        # Sent back, the compaction item stands for the history: turn 3, and compacted.
        again: list[Any] = [*body["output"], {"role": "user", "content": "again please"}]
        answer = await sdk.responses.create(model="gpt-4o", input=again)
        assert answer.output_text == "compacted, turn 3"
        # Counting agrees with usage, and the summary costs less than what it replaced.
        counted = await sdk.responses.input_tokens.count(model="gpt-4o", input=again)
        assert answer.usage is not None and counted.input_tokens == answer.usage.input_tokens
        assert second.usage is not None
        assert answer.usage.input_tokens < second.usage.input_tokens


async def test_context_management_compacts_past_its_threshold(client: AsyncOpenAI) -> None:
    conv = await client.conversations.create()
    managed: Any = [{"type": "compaction", "compact_threshold": 1000}]

    async def streamed(text: str) -> list[Any]:
        events = []
        stream = await client.responses.create(
            model="gpt-4o", input=text, conversation=conv.id, context_management=managed,
            stream=True,
        )  # fmt: skip
        async for event in stream:
            validate_event(_dump(event))  # the compaction item's events included
            events.append(event)
        added_or_done = (ResponseOutputItemAddedEvent, ResponseOutputItemDoneEvent)
        return [(e.type, e.item.type) for e in events if isinstance(e, added_or_done)]

    assert await streamed("word " * 1500) == [
        ("response.output_item.added", "message"),
        ("response.output_item.done", "message"),
        ("response.output_item.added", "compaction"),
        ("response.output_item.done", "compaction"),
    ]
    # The conversation now starts at the compaction: below the threshold, no new one.
    assert await streamed("short") == [
        ("response.output_item.added", "message"),
        ("response.output_item.done", "message"),
    ]
    response = await client.responses.create(
        model="gpt-4o", input="word " * 1500, context_management=managed
    )
    validate(_dump(response), "Response")
    assert [i.type for i in response.output] == ["message", "compaction"]
    counted = await client.responses.input_tokens.count(
        model="gpt-4o", input="next", conversation=conv.id
    )
    assert counted.input_tokens < 1000  # the compaction item counts as its summary
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.create(
            model="gpt-4o",
            input="x",
            context_management=[{"type": "compaction", "compact_threshold": 10}],
        )
    assert info.value.param == "context_management[0].compact_threshold"


async def test_background_joins_when_complete_and_not_when_cancelled(
    mock: RunningServer,
) -> None:
    async with mock.client(default_headers={"X-Mock-Scenario": "conv-aware"}) as sdk:
        await _add_scenario(mock, SCENARIO)
        conv = await sdk.conversations.create()
        slow = await sdk.responses.create(
            model="gpt-4o", input="slowly", conversation=conv.id, background=True
        )
        cancelled = await sdk.responses.cancel(slow.id)
        assert cancelled.status == "cancelled"
        assert [i async for i in sdk.conversations.items.list(conv.id)] == []
        quick = await sdk.responses.create(
            model="gpt-4o", input="quick", conversation=conv.id, background=True
        )
        for _ in range(500):  # up to 10 s on a loaded machine
            if (await sdk.responses.retrieve(quick.id)).status == "completed":
                break
            await asyncio.sleep(0.02)
        items = [i async for i in sdk.conversations.items.list(conv.id, order="asc")]
        assert [i.type for i in items] == ["message", "message"]


async def test_compacting_past_the_context_window_is_the_apis_400(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.compact(model="gpt-4o", input="word " * 130_000)
    assert (info.value.code, info.value.param) == ("context_length_exceeded", "input")


async def test_a_tampered_compaction_item_is_a_400(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.create(
            model="gpt-4o",
            input=[{"type": "compaction", "encrypted_content": "not-ours"}],
        )
    assert info.value.code == "invalid_encrypted_content"


async def test_a_failed_stream_adds_nothing_an_incomplete_one_does(mock: RunningServer) -> None:
    async with mock.client(default_headers={"X-Mock-Scenario": "conv-aware"}) as sdk:
        await _add_scenario(mock, SCENARIO)
        conv = await sdk.conversations.create()
        stream = await sdk.responses.create(
            model="gpt-4o", input="break it", conversation=conv.id, stream=True
        )
        kinds = [event.type async for event in stream]
        assert kinds[-1] == "response.failed"
        assert [i async for i in sdk.conversations.items.list(conv.id)] == []
        cut = await sdk.responses.create(
            model="gpt-4o", input="say it at length", conversation=conv.id, max_output_tokens=16
        )
        assert cut.status == "incomplete"
        items = [i async for i in sdk.conversations.items.list(conv.id, order="asc")]
        assert len(items) == 2 and items[1].id == cut.output[0].id


async def test_counting_a_conversation_agrees_with_usage(client: AsyncOpenAI) -> None:
    conv = await client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "word " * 300}]
    )
    await client.responses.create(model="gpt-4o", input="first", conversation=conv.id)
    body: dict[str, Any] = {"input": "second", "instructions": "Be brief."}
    counted = await client.responses.input_tokens.count(
        model="gpt-4o", conversation=conv.id, **body
    )
    answer = await client.responses.create(model="gpt-4o", conversation=conv.id, **body)
    assert answer.usage is not None and counted.input_tokens == answer.usage.input_tokens
    assert answer.usage.input_tokens > 300


async def test_same_seed_same_bytes(start_server: StartServer) -> None:
    async def session() -> list[bytes]:
        server = await start_server(seed=42, freeze_time=1_700_000_000)
        bodies = []
        async with server.client("det-key") as sdk:
            made = await sdk.conversations.with_raw_response.create(metadata={"k": "v"})
            bodies.append(made.http_response.content)
            conv_id = json.loads(made.http_response.content)["id"]
            answer = await sdk.responses.with_raw_response.create(
                model="gpt-4o", input="Tell me a story.", conversation=conv_id
            )
            bodies.append(answer.http_response.content)
            listed = await sdk.conversations.items.with_raw_response.list(conv_id)
            bodies.append(listed.http_response.content)
            packed = await sdk.responses.with_raw_response.compact(model="gpt-4o", input="hi")
            bodies.append(packed.http_response.content)
        return bodies

    assert await session() == await session()  # byte for byte


async def test_a_full_conversation_refuses_a_response_before_it_runs(
    client: AsyncOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockserver.pipeline import conversations

    monkeypatch.setattr(conversations, "MAX_ITEMS", 3)
    conv = await client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "one"}]
    )
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.create(
            model="gpt-4o", input=[{"role": "user", "content": "a"}] * 2, conversation=conv.id
        )
    assert (info.value.code, info.value.param) == (
        "conversation_items_limit_exceeded",
        "conversation",
    )
    assert len([i async for i in client.conversations.items.list(conv.id)]) == 1


async def _add_scenario(mock: RunningServer, text: str) -> None:
    yaml = {"Content-Type": "application/yaml"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{mock.root}/_mock/scenarios", data=text, headers=yaml) as answer,
    ):
        assert answer.status in (200, 201), await answer.text()


async def _journal(mock: RunningServer) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{mock.root}/_mock/requests") as answer,
    ):
        body: dict[str, Any] = await answer.json()
        data: list[dict[str, Any]] = body["data"]
        return data
