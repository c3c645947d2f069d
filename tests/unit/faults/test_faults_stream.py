"""Stream faults as a pure transformation of a real event list and its pacing offsets."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from specschema import validate
from streamcases import CASES

from mockserver.faults.error_catalog import ErrorContext
from mockserver.faults.spec import parse_faults
from mockserver.faults.stream_faults import MALFORMED_FRAME, FaultedStream, fault_stream
from mockserver.openai.events import render_events
from mockserver.streaming.schedule import Pacing, schedule


def stream(case: str = "message") -> tuple[list[dict[str, Any]], list[float]]:
    events = render_events(CASES[case], random.Random(1))
    offsets = schedule(
        Pacing(ttft_ms=100, interval_ms=10), events.roles, random.Random(2), events.delta_texts
    )
    return [dict(e) for e in events.events], offsets


def plan(
    fault: object, case: str = "message"
) -> tuple[FaultedStream, list[dict[str, Any]], list[float]]:
    events, offsets = stream(case)
    ctx = ErrorContext(request_id="req_1")
    return fault_stream(events, offsets, parse_faults(fault), ctx), events, offsets


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def assert_sequence(events: list[dict[str, Any]]) -> None:
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


def test_no_fault_changes_nothing() -> None:
    events, offsets = stream()
    result = fault_stream(events, offsets, parse_faults({"kind": "latency", "ms": 5}))
    assert (result.events, result.offsets, result.actions) == (events, offsets, {})
    assert result.final == events[-1]["response"]


def test_disconnect_after_events() -> None:
    result, events, _ = plan({"kind": "disconnect", "after_events": 4})
    assert result.events == events
    (action,) = result.actions[4]
    assert (action.kind, action.fault) == ("disconnect", "disconnect@after_events=4")
    assert result.ends_early


def test_at_event_picks_the_kth_of_a_type() -> None:
    result, events, _ = plan({"kind": "reset", "at_event": "response.output_text.delta#2"})
    (index,) = result.actions
    assert events[index]["type"] == "response.output_text.delta"
    assert types(events[:index]).count("response.output_text.delta") == 1


def test_at_event_that_never_comes_acts_at_the_end() -> None:
    result, events, _ = plan({"kind": "disconnect", "at_event": "response.refusal.delta"})
    assert list(result.actions) == [len(events)]


def test_default_point_is_half_way() -> None:
    result, events, _ = plan("disconnect")
    assert list(result.actions) == [len(events) // 2]


def test_after_ms_fires_at_that_time() -> None:
    result, _, offsets = plan({"kind": "disconnect", "after_ms": 105})
    (index,) = result.actions
    assert offsets[index - 1] < 105 <= offsets[index]
    assert result.offsets[index] == 105  # the hook fires at 105 ms, not at the next event


def test_stall_shifts_what_follows() -> None:
    result, _, offsets = plan({"kind": "stall", "after_events": 5, "ms": 300, "keepalive_ms": 100})
    (action,) = result.actions[5]
    assert (action.kind, action.ms, action.keepalive_ms) == ("stall", 300, 100)
    assert result.offsets[:6] == offsets[:6]
    assert result.offsets[6:] == [o + 300 for o in offsets[6:]]


def test_stall_at_a_time_waits_out_the_rest_of_the_gap() -> None:
    result, _, offsets = plan({"kind": "stall", "after_ms": 50, "ms": 20})
    (index,) = result.actions
    assert offsets[index] == 100  # the first delta, at ttft
    (action,) = result.actions[index]
    assert result.offsets[index] == 50 and action.wait_ms == 50
    assert result.offsets[index + 1] == offsets[index + 1] + 20


@pytest.mark.parametrize("shape", ["flat", "nested"])
def test_error_event_ends_the_stream(shape: str) -> None:
    result, events, _ = plan({"kind": "error_event", "after_events": 5, "shape": shape})
    # The wire: five events, the error event, then the end (no terminal event).
    raw, end = result.actions[5]
    assert (raw.kind, end.kind) == ("raw", "end")
    assert result.ends_early
    head, data = raw.data.decode().split("\ndata: ")
    assert head == "event: error" and data.endswith("\n\n")
    error = json.loads(data)
    assert error["sequence_number"] == 5
    body = error if shape == "flat" else error["error"]
    assert body["code"] == "server_error"
    assert "request ID req_1" in body["message"]
    if shape == "flat":
        validate(error, "ResponseErrorEvent")
    else:
        assert set(error) == {"type", "sequence_number", "error"}
        assert error["error"]["type"] == "server_error"
    # The timeline (store, replay): the response failed there.
    assert result.events[:5] == events[:5]
    assert types(result.events)[5:] == ["response.failed"]
    assert_sequence(result.events)
    assert result.final is not None and result.final["status"] == "failed"


def test_failed_replaces_the_rest_with_response_failed() -> None:
    fault = {"kind": "failed", "at_event": "response.output_item.added#2", "error_event": "flat"}
    result, events, _ = plan(fault, "function-calls")
    assert types(result.events)[-2:] == ["error", "response.failed"]
    assert_sequence(result.events)
    failed = result.events[-1]
    validate(failed, "ResponseFailedEvent")
    response: dict[str, Any] = failed["response"]
    assert response is result.final and result.terminal_changed
    assert response["status"] == "failed"
    assert response["error"]["code"] == "server_error"
    assert response["completed_at"] is None
    # Only the first call was finished before the cut.
    assert [item["name"] for item in response["output"]] == ["get_weather"]
    usage = response["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["output_tokens"] < events[-1]["response"]["usage"]["output_tokens"] + 10


def test_failed_with_a_chosen_code() -> None:
    result, _, _ = plan({"kind": "failed", "error": {"preset": "rate_limit_exceeded"}})
    response = result.events[-1]["response"]
    assert response["error"]["code"] == "rate_limit_exceeded"
    assert response["error"]["message"].startswith("Rate limit reached for")
    validate(result.events[-1], "ResponseFailedEvent")


def test_failed_defaults_to_the_terminal_event() -> None:
    result, events, _ = plan("failed")
    assert types(result.events) == [*types(events[:-1]), "response.failed"]
    assert [i["id"] for i in result.final["output"]] == [  # type: ignore[index]
        i["id"] for i in events[-1]["response"]["output"]
    ]


@pytest.mark.parametrize("reason", ["max_output_tokens", "content_filter"])
def test_incomplete(reason: str) -> None:
    result, _, _ = plan({"kind": "incomplete", "after_events": 6, "reason": reason})
    last = result.events[-1]
    validate(last, "ResponseIncompleteEvent")
    assert last["type"] == "response.incomplete"
    assert last["response"]["status"] == "incomplete"
    assert last["response"]["incomplete_details"] == {"reason": reason}
    assert_sequence(result.events)


def test_no_terminal_ends_before_the_terminal_event_by_default() -> None:
    result, events, _ = plan("no_terminal")
    assert result.events == events  # the response itself still completes
    (action,) = result.actions[len(events) - 1]
    assert action.kind == "end" and result.ends_early
    assert result.final == events[-1]["response"]


def test_no_terminal_at_a_point_ends_cleanly_there() -> None:
    result, events, _ = plan({"kind": "no_terminal", "after_events": 3})
    assert result.events == events
    assert [a.kind for a in result.actions[3]] == ["end"]


def test_malformed_frame_is_inserted_and_the_stream_goes_on() -> None:
    result, events, _ = plan({"kind": "malformed_frame", "after_events": 4})
    assert result.events == events
    (action,) = result.actions[4]
    assert action.kind == "raw" and action.data == MALFORMED_FRAME
    data = MALFORMED_FRAME.split(b"data: ", 1)[1]
    with pytest.raises(json.JSONDecodeError):
        json.loads(data)


def test_slow_close_holds_after_the_last_event() -> None:
    result, events, _ = plan({"kind": "slow_close", "ms": 250})
    (action,) = result.actions[len(events)]
    assert (action.kind, action.ms) == ("hold", 250)
    assert not result.ends_early


def test_several_faults_apply_in_order() -> None:
    faults = [{"kind": "stall", "after_events": 3, "ms": 10}, {"kind": "failed", "after_events": 6}]
    result, _, _ = plan(faults)
    assert list(result.actions) == [3]
    assert result.events[-1]["type"] == "response.failed"
    assert result.applied == ["stall@after_events=3", "failed@after_events=6"]


def test_a_cut_drops_the_actions_beyond_it() -> None:
    faults = [
        {"kind": "stall", "after_events": 8, "ms": 10},
        {"kind": "error_event", "after_events": 4},
    ]
    result, _, _ = plan(faults)
    assert list(result.actions) == [4] and len(result.events) == 5


def test_transport_only_faults_are_left_alone() -> None:
    result, events, offsets = plan(["reset", "truncated_body", {"kind": "latency", "ms": 1}])
    assert (result.events, result.offsets, result.actions) == (events, offsets, {})


def test_body_faults_without_a_point_act_on_a_stream_too() -> None:
    result, events, _ = plan("malformed_chunk")
    assert [a.kind for a in result.actions[len(events) // 2]] == ["malformed_chunk"]
    result, events, _ = plan("slow_close")
    assert [a.kind for a in result.actions[len(events)]] == ["hold"]
