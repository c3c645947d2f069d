"""observed.py and chains.py: SSE read back from any chunking within a budget; the
conversation of a chained request rebuilt from what the recorder relayed."""

from __future__ import annotations

import json

import pytest

from mockserver.record.chains import Chains
from mockserver.record.observed import SseReader, StreamTooLarge


def frame(event: dict[str, object]) -> bytes:
    return f"event: {event['type']}\r\ndata: {json.dumps(event)}\r\n\r\n".encode()


def test_events_from_any_chunking_with_their_times() -> None:
    final = {"id": "resp_1", "object": "response", "status": "completed", "output": []}
    data = b"".join([
        frame({"type": "response.created"}),
        frame({"type": "response.output_text.delta", "delta": "Hi"}),
        frame({"type": "response.output_text.delta", "delta": " you"}),
        frame({"type": "response.completed", "response": final}),
    ])  # fmt: skip
    reader = SseReader(max_bytes=10_000)
    for i in range(0, len(data), 7):
        reader.feed(data[i : i + 7], at_ms=float(i))
    assert [kind for _, kind in reader.events] == [
        "response.created", "response.output_text.delta", "response.output_text.delta",
        "response.completed",
    ]  # fmt: skip
    assert reader.final == final and reader.message_deltas == ["Hi", " you"]
    timing = reader.timing(total_ms=500.0)
    assert timing.first_delta_ms is not None and len(timing.gaps_ms) == 1


def test_a_stream_past_the_budget_stops_being_read() -> None:
    reader = SseReader(max_bytes=10)
    with pytest.raises(StreamTooLarge):
        reader.feed(b"x" * 11, 0.0)


def test_chains_rebuild_the_conversation_and_forget_the_oldest() -> None:
    chains = Chains(max_links=2)
    chains.remember({"input": "hi"}, {"id": "r1", "output": [{"type": "message", "id": "m"}]})
    second = {"input": [{"role": "user", "content": "more"}], "previous_response_id": "r1"}
    conversation, unknown = chains.conversation(second)
    assert not unknown
    assert [i.get("role") or i.get("type") for i in conversation] == ["user", "message", "user"]
    chains.remember(second, {"id": "r2", "output": []})
    chains.remember({"input": "x"}, {"id": "r3", "output": []})  # r1 is forgotten
    conversation, unknown = chains.conversation({"input": "y", "previous_response_id": "r2"})
    assert unknown and len(conversation) == 2  # r2's items, then this input


def test_a_conversations_items_come_before_each_request() -> None:
    chains = Chains()
    chains.opened("conv_1", [{"type": "message", "role": "user", "content": "I am Ada."}])
    first = {"conversation": "conv_1", "input": "hi"}
    conversation, unknown = chains.conversation(first)
    assert not unknown and [i["content"] for i in conversation] == ["I am Ada.", "hi"]
    chains.remember(first, {"id": "r1", "output": [{"type": "message", "role": "assistant"}]})
    conversation, _ = chains.conversation({"conversation": {"id": "conv_1"}, "input": "more"})
    assert len(conversation) == 4
    assert chains.conversation({"conversation": "conv_x", "input": "x"})[1]  # never seen
