"""Conversations without HTTP: items, bounds, eviction, pending items, the body checks."""

from __future__ import annotations

import random
from typing import Any

import pytest

from mockserver.conversations import body
from mockserver.conversations.items import as_resource, checked_items
from mockserver.conversations.store import (
    MAX_ITEMS,
    Conversation,
    ConversationStore,
    Owned,
    PendingItems,
    find,
)
from mockserver.errors import InvalidRequest, NotFound
from mockserver.openai.ids import IdFactory


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def new(conv_id: str = "conv_1") -> Conversation:
    return Conversation(conv_id, 1, {})


def test_items_get_ids_statuses_and_output_text_lists() -> None:
    ids = IdFactory(random.Random(1))
    made = as_resource({"type": "message", "role": "assistant", "content": [
        {"type": "output_text", "text": "hi"}]}, ids)  # fmt: skip
    assert made["id"].startswith("msg_") and made["status"] == "completed"
    assert made["content"] == [{"annotations": [], "logprobs": [], "type": "output_text",
                                "text": "hi"}]  # fmt: skip
    kept = as_resource({"id": "fc_given", "type": "function_call", "call_id": "c", "name": "f",
                        "arguments": "{}"}, ids)  # fmt: skip
    assert kept["id"] == "fc_given"
    output = as_resource({"type": "function_call_output", "call_id": "c", "output": "x"}, ids)
    assert output["id"].startswith("fco_")


def test_same_seed_same_ids() -> None:
    one = as_resource(user("a"), IdFactory(random.Random(7)))
    two = as_resource(user("a"), IdFactory(random.Random(7)))
    assert one == two


def test_a_conversation_holds_at_most_max_items() -> None:
    conv = new()
    conv.add([{"id": f"msg_{i}"} for i in range(MAX_ITEMS)])
    with pytest.raises(InvalidRequest) as info:
        conv.add([{"id": "msg_one_more"}])
    assert info.value.code == "conversation_items_limit_exceeded"
    assert len(conv) == MAX_ITEMS


def test_deleting_an_item_twice_is_a_404() -> None:
    conv = new()
    conv.add([{"id": "msg_a"}, {"id": "msg_b"}])
    conv.remove("msg_a")
    with pytest.raises(NotFound) as info:
        conv.remove("msg_a")
    assert (info.value.code, info.value.param) == ("item_not_found", "item_id")
    assert [i["id"] for i in conv.items()] == ["msg_b"]


def test_the_oldest_conversation_goes_past_the_cap() -> None:
    store = ConversationStore(max_stored=2)
    a: Owned = {}
    b: Owned = {}
    first, second, third = new("conv_a"), new("conv_b"), new("conv_c")
    store.put(a, first)
    store.put(b, second)
    store.put(a, third)
    assert set(a) == {"conv_c"} and set(b) == {"conv_b"} and store.count == 2
    assert first.deleted  # a response still running in it adds nothing
    with pytest.raises(NotFound):
        find(a, "conv_a")


def test_delete_and_forget() -> None:
    store = ConversationStore(max_stored=10)
    owned: Owned = {}
    conv = new()
    store.put(owned, conv)
    store.delete(owned, conv.id)
    assert conv.deleted and store.count == 0
    with pytest.raises(NotFound) as info:
        store.delete(owned, conv.id)
    assert info.value.message == "Conversation with id 'conv_1' not found."
    store.put(owned, new("conv_2"))
    store.forget(owned)
    assert owned == {} and store.count == 0


@pytest.mark.parametrize(
    ("status", "joins"),
    [("completed", True), ("incomplete", True), ("failed", False), ("cancelled", False)],
)
def test_pending_items_join_only_a_good_ending(status: str, joins: bool) -> None:
    conv = new()
    PendingItems(conv, [{"id": "msg_in"}]).settle({"status": status, "output": [{"id": "msg_out"}]})
    assert [i["id"] for i in conv.items()] == (["msg_in", "msg_out"] if joins else [])


def test_pending_items_do_not_join_a_deleted_conversation() -> None:
    conv = new()
    conv.deleted = True
    PendingItems(conv, [{"id": "msg_in"}]).settle({"status": "completed", "output": []})
    assert conv.items() == []


def test_bodies_are_checked_like_the_api() -> None:
    made = body.create_body({"metadata": {"k": "v"}, "items": [{"role": "user", "content": "x"}]})
    assert made.metadata == {"k": "v"} and made.items[0]["type"] == "message"
    with pytest.raises(InvalidRequest) as info:
        body.create_body({"metadata": {f"k{i}": "v" for i in range(17)}})
    assert info.value.code == "object_above_max_properties"
    with pytest.raises(InvalidRequest) as info:
        body.update_body({})
    assert (info.value.code, info.value.param) == ("missing_required_parameter", "metadata")
    with pytest.raises(InvalidRequest) as info:
        checked_items([user("ok"), {"type": "function_call_output", "call_id": "c"}])
    assert info.value.param == "items[1].output"
    assert "'items[1].output'" in info.value.message
    with pytest.raises(InvalidRequest) as info:
        checked_items([{"type": "compaction", "encrypted_content": "gAAAA-not-ours"}])
    assert (info.value.code, info.value.param) == (
        "invalid_encrypted_content",
        "items[0].encrypted_content",
    )


@pytest.mark.parametrize(
    ("raw", "param"),
    [(7, "conversation"), ({}, "conversation.id"), ({"id": 3}, "conversation.id"),
     ("resp_1", "conversation")],
)  # fmt: skip
def test_a_bad_conversation_parameter_names_its_param(raw: Any, param: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        body.conversation_id(raw)
    assert info.value.param == param


def test_conversation_forms() -> None:
    assert body.conversation_id("conv_1") == body.conversation_id({"id": "conv_1"}) == "conv_1"
    assert body.conversation_id(None) is None


def test_context_management_thresholds() -> None:
    assert body.compact_threshold(None) is None
    assert body.compact_threshold([{"type": "compaction"}]) == 0  # the model's default
    assert body.compact_threshold([{"type": "compaction", "compact_threshold": 5000}]) == 5000
    for raw, param in [
        ([{"type": "truncate"}], "context_management[0].type"),
        ([{"type": "compaction", "compact_threshold": 999}],
         "context_management[0].compact_threshold"),
        ("x", "context_management"),
    ]:  # fmt: skip
        with pytest.raises(InvalidRequest) as info:
            body.compact_threshold(raw)
        assert info.value.param == param
