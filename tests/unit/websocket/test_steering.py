"""Steering state of a socket: accepted, failed with its codes, pending with stubs."""

from __future__ import annotations

import random

import pytest

from mockserver.openai.ids import IdFactory
from mockserver.websocket.codec import Steer
from mockserver.websocket.steering import MAX_PENDING, Steering, required_input, steer_items


def steering() -> Steering:
    return Steering(IdFactory(random.Random(1)))


def test_accepted_then_pending_with_stubs() -> None:
    s = steering()
    active = s.begin("resp_1", "lane", True)
    accepted = s.steer(Steer("resp_1", "go left"))
    assert accepted["type"] == "response.steer.accepted"
    assert accepted["steer"]["id"].startswith("steer_") and accepted["stream_id"] == "lane"
    output = [{"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"}]
    (pending,) = s.pend(active, output)
    assert pending["required_input"] == [
        {"type": "function_call_output", "call_id": "call_1", "name": "f"}
    ]
    assert pending["sequence_number"] == accepted["sequence_number"] + 1
    s.end(active)
    (queued,) = s.take_pending("resp_1")
    assert queued.items == [{"type": "message", "role": "user", "content": "go left"}]
    assert s.take_pending("resp_1") == []


def test_failures() -> None:
    s = steering()
    assert s.steer(Steer("resp_x", "a"))["error"]["code"] == "response_not_found"
    active = s.begin("resp_1", None, True)
    for _ in range(MAX_PENDING):
        assert s.steer(Steer("resp_1", "a"))["type"] == "response.steer.accepted"
    assert s.steer(Steer("resp_1", "a"))["error"]["code"] == "too_many_pending_steers"
    s.end(active)
    failed = s.steer(Steer("resp_1", "a"))
    assert failed["error"]["code"] == "response_already_completed"
    assert failed["steer"] == {"input": "a", "previous_response_id": "resp_1"}


@pytest.mark.parametrize(
    "value",
    [
        [],
        [{"role": "system", "content": "x"}],
        [{"type": "function_call_output", "call_id": "c", "output": "x"}],
        [{"role": "user", "content": [{"type": "output_text", "text": "x"}]}],
        [{"role": "user", "content": "x", "name": "n"}],
        [{"role": "user", "content": 3}],
        7,
    ],
)
def test_only_user_messages_steer(value: object) -> None:
    with pytest.raises(ValueError):
        steer_items(value)


def test_user_parts_steer() -> None:
    parts = [{"type": "input_text", "text": "x"}, {"type": "input_image", "image_url": "u"}]
    assert (
        steer_items([{"type": "message", "role": "user", "content": parts}])[0]["content"] == parts
    )


def test_required_input_kinds() -> None:
    stubs = required_input(
        [
            {"type": "message"},
            {"type": "custom_tool_call", "call_id": "c1"},
            {"type": "mcp_approval_request", "id": "mcpr_1"},
        ]
    )
    assert stubs == [
        {"type": "custom_tool_call_output", "call_id": "c1"},
        {"type": "mcp_approval_response", "approval_request_id": "mcpr_1"},
    ]


def test_unsteerable_response_refuses() -> None:
    s = steering()
    s.begin("resp_1", None, False)
    assert s.steer(Steer("resp_1", "a"))["error"]["code"] == "steering_not_supported"
