"""Agent-loop refusals (pipeline/loop_check.py): history and input items checked together."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from mockserver.errors import MockError
from mockserver.openai.ids import IdFactory
from mockserver.pipeline.loop_check import check
from mockserver.pipeline.store import StoredResponse, Tenant

USER = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
ANSWER = {"id": "msg_1", "type": "message", "role": "assistant",
          "content": [{"type": "output_text", "text": "ok"}]}  # fmt: skip
REASONING = {"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "gAAA"}
CALL = {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "f",
        "arguments": "{}"}  # fmt: skip
OUTPUT = {"type": "function_call_output", "call_id": "call_1", "output": "{}"}
CUSTOM = {"type": "custom_tool_call", "call_id": "call_2", "name": "patch", "input": "x"}
CUSTOM_OUTPUT = {"type": "custom_tool_call_output", "call_id": "call_2", "output": "done"}


def tenant() -> Tenant:
    rng = random.Random(1)
    return Tenant(name="t", rng=rng, ids=IdFactory(rng))


def refusal(history: list[Any], items: list[Any], owner: Tenant | None = None) -> MockError:
    with pytest.raises(MockError) as info:
        check(owner or tenant(), history, items)
    assert (info.value.param, info.value.code) == ("input", None)
    return info.value


GOOD = [
    ("plain", [], [USER]),
    ("call-then-output", [USER, CALL], [OUTPUT]),
    ("whole-loop-in-input", [], [USER, REASONING, CALL, OUTPUT, ANSWER]),
    ("custom-loop", [], [USER, CUSTOM, CUSTOM_OUTPUT]),
    ("reasoning-then-answer", [], [USER, REASONING, ANSWER]),
    ("hosted-call-needs-no-output", [], [USER, {"type": "web_search_call", "id": "ws_1"}]),
]


@pytest.mark.parametrize(("history", "items"), [c[1:] for c in GOOD], ids=[c[0] for c in GOOD])
def test_consistent_loops_pass(history: list[Any], items: list[Any]) -> None:
    check(tenant(), history, items)


def test_an_output_without_its_call() -> None:
    error = refusal([USER], [{**OUTPUT, "call_id": "call_zz"}])
    assert (error.status, error.message) == (
        400,
        "No tool call found for function call output with call_id call_zz.",
    )
    error = refusal([], [USER, CUSTOM_OUTPUT])
    assert error.message == ("No tool call found for custom tool call output with call_id call_2.")


def test_a_call_without_its_output() -> None:
    error = refusal([USER, CALL], [USER])  # a new question after an unanswered call
    assert (error.status, error.message) == (400, "No tool output found for function call call_1.")
    error = refusal([], [USER, CUSTOM, USER])
    assert error.message == "No tool output found for custom tool call call_2."


def test_duplicate_ids() -> None:
    error = refusal([USER, REASONING, ANSWER], [REASONING, ANSWER, USER])  # replayed history
    assert (error.status, error.message) == (
        400,
        "Duplicate item found with id rs_1. Remove duplicate items from your input and try again.",
    )
    error = refusal([], [USER, ANSWER, ANSWER])
    assert "Duplicate item found with id msg_1." in error.message


def test_reasoning_without_what_followed_it() -> None:
    error = refusal([], [USER, REASONING])
    assert (error.status, error.message) == (
        400,
        "Item 'rs_1' of type 'reasoning' was provided without its required following item.",
    )
    refusal([], [USER, REASONING, OUTPUT])  # the call it led to was dropped
    refusal([], [USER, REASONING, USER])


def stored_tenant() -> Tenant:
    owner = tenant()
    response = {"id": "resp_1", "object": "response", "output": [REASONING, CALL]}
    owner.responses["resp_1"] = StoredResponse(owner, response, [{"id": "msg_in", **USER}], None)
    return owner


def test_item_references_resolve_in_the_store() -> None:
    owner = stored_tenant()
    refs = [{"type": "item_reference", "id": i} for i in ("msg_in", "rs_1", "fc_1")]
    check(owner, [], [*refs, OUTPUT])  # stateless replay by reference (Vercel AI SDK, store)
    error = refusal([], [USER, {"type": "item_reference", "id": "rs_nope"}], owner)
    assert (error.status, error.message) == (
        404,
        "Item with id 'rs_nope' not found. Items are not persisted when `store` is set to "
        "false. Try again with `store` set to true, or remove this item from your input.",
    )
    # A reference to what previous_response_id already brings is a duplicate.
    history = [{"id": "msg_in", **USER}, REASONING, CALL]
    error = refusal(history, [{"type": "item_reference", "id": "rs_1"}, OUTPUT], owner)
    assert error.message.startswith("Duplicate item found with id rs_1.")


def test_reasoning_without_its_encrypted_content_is_read_from_the_store() -> None:
    bare = {"id": "rs_1", "type": "reasoning", "summary": []}
    check(stored_tenant(), [], [USER, bare, CALL, OUTPUT])  # stored: read back by id
    error = refusal([], [USER, bare, ANSWER])  # a store: false response's, or made up
    assert (error.status, error.message) == (
        404,
        "Item with id 'rs_1' not found. Items are not persisted when `store` is set to "
        "false. Try again with `store` set to true, or remove this item from your input.",
    )


def test_looking_up_many_ids_scans_each_stored_body_once() -> None:
    owner = tenant()
    for n in range(2000):
        output = [{"id": f"msg_{n}", "type": "message", "role": "assistant", "content": []}]
        response = {"id": f"resp_{n}", "output": output}
        owner.responses[f"resp_{n}"] = StoredResponse(owner, response, [], None)
    refs = [{"type": "item_reference", "id": f"msg_{n}"} for n in range(0, 2000, 4)]
    start = time.perf_counter()
    check(owner, [], [USER, *refs])
    error = refusal([], [USER, *refs, {"type": "item_reference", "id": "msg_none"}], owner)
    assert error.status == 404
    assert time.perf_counter() - start < 2  # ~50 ms unloaded: 2 x 2000 scans, 500 parses
