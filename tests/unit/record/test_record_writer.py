"""writer.py: one observed exchange -> the rule a person would write; every kind of output
item, errors, timing modes, and the `when` read from the conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockserver.record.cassette import Cassette
from mockserver.record.observed import Observed, Timing
from mockserver.record.writer import NotRecorded, RecordedRule, TimingMode, rule_for
from mockserver.scenario.cli import check_paths
from mockserver.scenario.load import load_text

USER = {"role": "user", "content": "What's the weather?"}
JSON_TIMING = Timing(None, (), 123.0)  # a JSON answer that took 123 ms
TOOL = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}


def seen(
    output: list[dict[str, Any]] | None = None,
    *,
    body: dict[str, Any] | None = None,
    conversation: tuple[dict[str, Any], ...] = (USER,),
    status: int = 200,
    error: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timing: Timing = JSON_TIMING,
    streamed: bool = False,
    response: dict[str, Any] | None = None,
    deltas: tuple[str, ...] = (),
) -> Observed:
    if response is None and status < 400:
        response = {"object": "response", "status": "completed", "output": output or []}
    return Observed(
        body or {"model": "gpt-4o", "input": "x"}, conversation, status, response, error,
        headers or {}, timing, streamed, deltas,
    )  # fmt: skip


def made(observed: Observed, timing: TimingMode = "summary") -> RecordedRule:
    rule = rule_for(observed, timing)
    assert isinstance(rule, RecordedRule), rule
    return rule


def message(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
            "content": list(parts)}  # fmt: skip


def text(value: str, **more: Any) -> dict[str, Any]:
    return {"type": "output_text", "text": value, "annotations": [], "logprobs": [], **more}


def test_a_text_answer_is_a_message_identified_by_user_text_and_turn() -> None:
    rule = made(seen([message(text("Hi there"))]))
    assert rule.when == {"input_contains": "What's the weather?", "turn": 1}
    assert rule.answer == {"reply": [{"message": "Hi there"}]}
    assert rule.latency_ms == 120 and rule.pacing is None
    assert rule.name == "what-s-the-weather"


def test_each_output_item_kind_in_the_languages_words() -> None:
    note = {"type": "url_citation", "url": "https://x.test", "title": "X", "start_index": 0,
            "end_index": 1}  # fmt: skip
    output = [
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "S"}],
         "content": [{"type": "reasoning_text", "text": "T"}], "encrypted_content": "gAAA"},
        message({"type": "refusal", "refusal": "No."}),
        message(text("See X", annotations=[note])),
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather",
         "arguments": '{"city":"Paris"}', "status": "completed"},
        {"type": "function_call", "id": "fc_2", "call_id": "call_2", "name": "get_weather",
         "arguments": '{"city": "Rome"}', "status": "completed"},
        {"type": "web_search_call", "id": "ws_1", "status": "completed",
         "action": {"type": "search", "query": "news"}},
        message(text("a"), text("b")),
    ]  # fmt: skip
    reply = made(seen(output)).answer["reply"]
    assert reply[0] == {"reasoning": {"summary": ["S"], "text": ["T"], "encrypted_content": "gAAA"}}
    assert reply[1] == {"refusal": "No."}
    assert reply[2] == {"message": {"text": "See X", "annotations": [note]}}
    # Arguments the mock would write back identically are an object; others stay raw text.
    assert reply[3] == {"function_call": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    assert reply[4] == {"function_call": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}
    assert reply[5] == {"item": {"type": "web_search_call", "status": "completed",
                                 "action": {"type": "search", "query": "news"}}}  # fmt: skip
    assert reply[6]["item"]["type"] == "message" and "id" not in reply[6]["item"]


def test_structured_output_is_json_and_template_braces_are_kept_literal() -> None:
    body = {
        "model": "gpt-4o",
        "text": {"format": {"type": "json_schema", "name": "a", "schema": {}}},
    }
    rule = made(seen([message(text('{"answer":42}'))], body=body))
    assert rule.answer["reply"] == [{"json": {"answer": 42}}]
    rule = made(seen([message(text("use {{ name }} here"))]))
    assert rule.answer["reply"] == [{"message": "use {{ '{{' }} name }} here"}]
    # (tests/e2e/test_record_replay.py replays such a text and gets the braces back)
    assert load_text("name: t\nrules: [{reply: [{message: \"a {{ '{{' }} b\"}]}]", "t")


def test_incomplete_status_and_usage_as_recorded() -> None:
    response = {
        "object": "response", "status": "incomplete", "output": [message(text("cut"))],
        "incomplete_details": {"reason": "max_output_tokens"},
        "usage": {"input_tokens": 5, "output_tokens": 7, "total_tokens": 12,
                  "input_tokens_details": {"cached_tokens": 2},
                  "output_tokens_details": {"reasoning_tokens": 3}},
    }  # fmt: skip
    answer = made(seen(response=response)).answer
    assert answer["status"] == "incomplete"
    assert answer["incomplete_reason"] == "max_output_tokens"
    assert answer["usage"] == {
        "input_tokens": 5, "output_tokens": 7, "total_tokens": 12,
        "input_tokens_details": {"cached_tokens": 2},
        "output_tokens_details": {"reasoning_tokens": 3},
    }  # fmt: skip


def test_an_error_answer_is_an_error_with_its_status_headers_and_literal_message() -> None:
    error = {"message": "Limit {x} reached", "type": "requests", "code": "rate_limit_exceeded",
             "param": None}  # fmt: skip
    rule = made(seen(status=429, error=error, headers={"retry-after": "2"}))
    assert rule.answer == {"error": {
        "status": 429, "type": "requests", "code": "rate_limit_exceeded",
        "message": "Limit {{x}} reached", "headers": {"retry-after": "2"},
    }}  # fmt: skip
    assert rule.name.endswith("error-429")


@pytest.mark.parametrize(
    ("observed", "why"),
    [
        (seen(status=500, error=None, response=None), "without an OpenAI error body"),
        (seen(response={"object": "response", "status": "cancelled", "output": []}), "cancelled"),
        (
            Observed({}, (USER,), 200, None, None, {}, Timing(None, (), 1.0), True),
            "holds no Response",
        ),
    ],
)
def test_what_cannot_be_a_rule_says_why(observed: Observed, why: str) -> None:
    result = rule_for(observed, "summary")
    assert isinstance(result, NotRecorded) and why in result.reason


def test_when_names_the_tool_outputs_a_request_brings() -> None:
    call = {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"}
    out = {"type": "function_call_output", "call_id": "c1", "output": "{}"}
    body = {"model": "gpt-4o", "tools": [TOOL]}
    first = made(seen([message(text("x"))], body=body))
    assert first.when == {"input_contains": USER["content"], "has_tool_output": False, "turn": 1}
    second = made(seen([message(text("x"))], body=body, conversation=(USER, call, out)))
    assert second.when["has_tool_output"] == "get_weather"
    assert second.name.endswith("after-get_weather")
    call2 = {**call, "call_id": "c2", "name": "get_time"}
    out2 = {**out, "call_id": "c2"}
    both = made(seen([message(text("x"))], body=body, conversation=(USER, call, call2, out, out2)))
    assert both.when["has_tool_output"] is True
    later = ({"role": "user", "content": "again"},)
    assert made(seen([message(text("x"))], conversation=(USER, out, *later))).when["turn"] == 2


@pytest.mark.parametrize(
    ("mode", "pacing"),
    [
        ("summary", {"ttft_ms": 250, "interval_ms": 20, "jitter_ms": 10}),
        ("exact", {"delays_ms": [248, 10, 20, 40], "chunk": ["Hi", " there", " you", "!"]}),
        ("none", None),
    ],
)
def test_stream_timing_as_pacing(mode: TimingMode, pacing: dict[str, Any] | None) -> None:
    timing = Timing(248.0, (10.0, 20.0, 40.0), 400.0)
    observed = seen([message(text("Hi there you!"))], timing=timing, streamed=True,
                    deltas=("Hi", " there", " you", "!"))  # fmt: skip
    rule = made(observed, mode)
    assert rule.pacing == pacing and rule.latency_ms is None


def test_every_recorded_kind_passes_validate(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "all.yaml", "all")
    output: list[dict[str, Any]] = [
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "S"}]},
        {"type": "reasoning", "id": "rs_2", "summary": []},
        message(text("multi\nline {{ x }}")),
        message(text("part one"), text("part two")),
        {"type": "function_call", "id": "fc_1", "call_id": "c", "name": "f", "arguments": "{"},
        {"type": "web_search_call", "id": "ws_1", "status": "completed",
         "action": {"type": "search", "query": "news"}},
    ]  # fmt: skip
    timing = Timing(248.0, (18.0, 31.0), 400.0)
    cassette.add(made(seen(output, timing=timing, streamed=True), "exact"))
    error = {"message": "m {y}", "type": "server_error", "code": None}
    cassette.add(
        made(seen(status=503, error=error, conversation=({"role": "user", "content": "b"},)))
    )
    cassette.save()
    checked = check_paths([tmp_path])
    assert not checked.errors, checked.errors
    assert checked.rules == 2


def test_a_verbatim_item_the_spec_refuses_is_left_out_and_said() -> None:
    odd: dict[str, Any] = {"type": "web_search_call", "id": "ws_1", "status": "done"}
    rule = made(seen([odd, message(text("ok"))]))
    assert rule.answer["reply"] == [{"message": "ok"}]
    assert rule.description is not None and "Left out a web_search_call item" in rule.description


def test_a_stream_ending_in_response_failed_is_the_failed_fault() -> None:
    failed = {"object": "response", "status": "failed", "output": [message(text("so far"))],
              "error": {"code": "server_error", "message": "boom"}}  # fmt: skip
    event = {"type": "error", "error": {"type": "tokens", "code": "rate_limit_exceeded",
                                       "message": "slow {down}", "param": None}}  # fmt: skip
    rule = made(
        Observed({}, (USER,), 200, failed, None, {}, Timing(5.0, (), 9.0), True, error_event=event)
    )
    assert rule.answer == {
        "reply": [{"message": "so far"}],
        "fault": {"kind": "failed", "error_event": "nested", "error": {
            "status": 500, "type": "tokens", "code": "rate_limit_exceeded",
            "message": "slow {{down}}"}},
    }  # fmt: skip
    bare = made(Observed({}, (USER,), 200, {**failed, "output": []}, None, {},
                         Timing(None, (), 9.0), True))  # fmt: skip
    boom = {"status": 500, "type": "server_error", "code": "server_error", "message": "boom"}
    assert bare.answer == {"fault": {"kind": "failed", "error": boom}}
