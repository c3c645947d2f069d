from __future__ import annotations

import copy
import random
import string
from typing import Any

import pytest
from openai import omit
from openai._models import construct_type
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.responses import ResponseStreamEvent
from streamcases import CASES, LOGPROBS, validate_event, without_parsed

from mockserver.openai.chunking import Chunking
from mockserver.openai.event_builder import Role
from mockserver.openai.events import StreamOptions, render_events, snapshot

OPTIONS = {
    "default": StreamOptions(),
    "background": StreamOptions(background=True),
    "plain": StreamOptions(include_obfuscation=False, chunking=Chunking("char")),
    "error-event": StreamOptions(error_event="flat", chunking=Chunking("token")),
}
TERMINALS = {"response.completed", "response.incomplete", "response.failed"}


def stream(case: str, options: StreamOptions | None = None, seed: int = 1) -> list[dict[str, Any]]:
    return list(render_events(CASES[case], random.Random(seed), options or StreamOptions()).events)


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"].removeprefix("response.") for e in events]


def sdk_accumulate(events: list[dict[str, Any]]) -> ResponseStreamState[Any]:
    state: ResponseStreamState[Any] = ResponseStreamState(input_tools=omit, text_format=omit)
    for event in events:
        state.handle_event(construct_type(type_=ResponseStreamEvent, value=event))  # type: ignore[arg-type]
    return state


@pytest.mark.parametrize("opts", OPTIONS)
@pytest.mark.parametrize("case", CASES)
def test_every_event_is_spec_valid_and_numbered(case: str, opts: str) -> None:
    events = stream(case, OPTIONS[opts])
    for event in events:
        validate_event(event)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[0]["type"] == "response.created"
    assert [e["type"] in TERMINALS for e in events].count(True) == 1
    assert events[-1]["type"] in TERMINALS
    assert events[-1]["response"] == CASES[case], "the terminal event carries the final response"


@pytest.mark.parametrize("case", [c for c in CASES if CASES[c]["status"] == "completed"])
@pytest.mark.parametrize("chunk", ["word", "char", "token", "none"])
def test_the_sdk_accumulator_rebuilds_the_response(case: str, chunk: str) -> None:
    events = stream(case, StreamOptions(chunking=Chunking(chunk)))  # type: ignore[arg-type]
    state = sdk_accumulate(events)
    final = state._completed_response
    assert final is not None
    assert without_parsed(final.to_dict()) == CASES[case]
    # What the deltas built up (before the final object replaced it) is the final text too.
    snap = state._ResponseStreamState__current_snapshot  # type: ignore[attr-defined]
    for built, want in zip(snap.output, CASES[case]["output"], strict=True):
        if want["type"] == "message" and want["content"][0]["type"] == "output_text":
            assert built.content[0].text == want["content"][0]["text"]
        if want["type"] == "function_call":
            assert built.arguments == want["arguments"]


@pytest.mark.parametrize("case", ["incomplete", "failed"])
def test_the_sdk_accepts_incomplete_and_failed_streams(case: str) -> None:
    events = stream(case, StreamOptions(error_event="flat"))
    state = sdk_accumulate(events)
    snap = state._ResponseStreamState__current_snapshot  # type: ignore[attr-defined]
    assert snap.id == CASES[case]["id"]
    assert events[-1]["type"] == f"response.{case}"


def test_message_sequence() -> None:
    events = stream("message", StreamOptions(chunking=Chunking("fixed", size=20)))
    assert types(events) == [
        "created",
        "in_progress",
        "output_item.added",
        "content_part.added",
        "output_text.delta",
        "output_text.delta",
        "output_text.done",
        "content_part.done",
        "output_item.done",
        "completed",
    ]
    item = CASES["message"]["output"][0]
    assert events[2]["item"] == {**item, "status": "in_progress", "content": []}
    assert events[3]["part"] == {
        "type": "output_text",
        "annotations": [],
        "logprobs": [],
        "text": "",
    }
    delta = events[4]
    assert list(delta) == [
        "type",
        "sequence_number",
        "item_id",
        "output_index",
        "content_index",
        "delta",
        "logprobs",
        "obfuscation",
    ]
    assert (delta["item_id"], delta["output_index"], delta["content_index"]) == (item["id"], 0, 0)
    assert events[6]["text"] == item["content"][0]["text"]
    assert events[7]["part"] == item["content"][0]
    assert events[8]["item"] == item


def test_snapshots_have_no_output_usage_or_completion() -> None:
    final = CASES["message"]
    created = stream("message")[0]["response"]
    assert created == {
        **final,
        "status": "in_progress",
        "output": [],
        "usage": None,
        "completed_at": None,
    }
    assert snapshot(final, "queued")["status"] == "queued"


def test_background_stream_starts_queued() -> None:
    rendered = render_events(CASES["message"], random.Random(1), StreamOptions(background=True))
    events = list(rendered.events)
    assert types(events)[:4] == ["created", "queued", "in_progress", "output_item.added"]
    assert [e["response"]["status"] for e in events[:3]] == ["queued", "queued", "in_progress"]
    assert rendered.roles[:4] == (Role.START, Role.START, Role.DEQUEUE, Role.OTHER)


def test_refusal_sequence() -> None:
    events = stream("refusal", StreamOptions(chunking=Chunking("none")))
    assert types(events)[2:-1] == [
        "output_item.added",
        "content_part.added",
        "refusal.delta",
        "refusal.done",
        "content_part.done",
        "output_item.done",
    ]
    assert events[3]["part"] == {"type": "refusal", "refusal": ""}
    assert "logprobs" not in events[4]
    assert events[5]["refusal"] == CASES["refusal"]["output"][0]["content"][0]["refusal"]


def test_function_calls_in_order_with_name_on_done() -> None:
    chunking = Chunking("fixed", size=16, arguments="fixed")
    events = stream("function-calls", StreamOptions(chunking=chunking))
    assert types(events)[2:-1] == [
        "output_item.added",
        "function_call_arguments.delta",
        "function_call_arguments.delta",
        "function_call_arguments.delta",
        "function_call_arguments.done",
        "output_item.done",
        "output_item.added",
        "function_call_arguments.delta",
        "function_call_arguments.delta",
        "function_call_arguments.done",
        "output_item.done",
    ]
    first, second = CASES["function-calls"]["output"]
    assert events[2]["item"] == {**first, "status": "in_progress", "arguments": ""}
    assert events[6] == {
        "type": "response.function_call_arguments.done",
        "sequence_number": 6,
        "item_id": first["id"],
        "name": "get_weather",
        "output_index": 0,
        "arguments": first["arguments"],
    }
    assert {e["output_index"] for e in events[8:13]} == {1}
    assert events[12]["item"] == second


def test_reasoning_summaries_stream_when_requested() -> None:
    events = stream("reasoning-then-message", StreamOptions(chunking=Chunking("none")))
    summary = CASES["reasoning-then-message"]["output"][0]["summary"]
    assert types(events)[2:12] == [
        "output_item.added",
        "reasoning_summary_part.added",
        "reasoning_summary_text.delta",
        "reasoning_summary_text.done",
        "reasoning_summary_part.done",
        "reasoning_summary_part.added",
        "reasoning_summary_text.delta",
        "reasoning_summary_text.done",
        "reasoning_summary_part.done",
        "output_item.done",
    ]
    assert events[2]["item"]["summary"] == []
    assert events[3]["part"] == {"type": "summary_text", "text": ""}
    assert [events[5]["text"], events[9]["text"]] == [s["text"] for s in summary]
    assert events[10]["summary_index"] == 1 and events[10]["part"] == summary[1]


def test_reasoning_summaries_are_left_out_when_not_requested() -> None:
    events = stream("reasoning-then-message", StreamOptions(reasoning_summary=False))
    assert not [e for e in events if "summary" in e["type"]]
    assert events[3]["item"] == CASES["reasoning-then-message"]["output"][0]


def test_reasoning_text_streams_as_content_parts() -> None:
    events = stream("reasoning-text", StreamOptions(chunking=Chunking("none")))
    item = CASES["reasoning-text"]["output"][0]
    assert types(events)[2:8] == [
        "output_item.added",
        "content_part.added",
        "reasoning_text.delta",
        "reasoning_text.done",
        "content_part.done",
        "output_item.done",
    ]
    added = events[2]["item"]
    assert added == {**item, "summary": [], "content": []}, "encrypted_content is kept"
    assert events[3]["part"] == {"type": "reasoning_text", "text": ""}
    assert events[5]["text"] == item["content"][0]["text"]


@pytest.mark.parametrize(
    ("case", "middle"),
    [
        (
            "web-search",
            [
                "web_search_call.in_progress",
                "web_search_call.searching",
                "web_search_call.completed",
            ],
        ),
        (
            "file-search",
            [
                "file_search_call.in_progress",
                "file_search_call.searching",
                "file_search_call.completed",
            ],
        ),
        (
            "image-generation",
            [
                "image_generation_call.in_progress",
                "image_generation_call.generating",
                "image_generation_call.completed",
            ],
        ),
        (
            "code-interpreter",
            [
                "code_interpreter_call.in_progress",
                "code_interpreter_call_code.delta",
                "code_interpreter_call_code.done",
                "code_interpreter_call.interpreting",
                "code_interpreter_call.completed",
            ],
        ),
        ("custom-tool", ["custom_tool_call_input.delta", "custom_tool_call_input.done"]),
        ("approval-request", []),
    ],
)
def test_built_in_tool_items_and_their_progress_events(case: str, middle: list[str]) -> None:
    events = stream(case, StreamOptions(chunking=Chunking("none")))
    names = types(events)
    assert names[2] == "output_item.added"
    assert names[3 : 3 + len(middle)] == middle
    assert names[3 + len(middle)] == "output_item.done"
    item = CASES[case]["output"][0]
    for event in events[3 : 3 + len(middle)]:
        assert (event["output_index"], event["item_id"]) == (0, item["id"])
    assert events[3 + len(middle)]["item"] == item
    if "status" in item:
        assert events[2]["item"]["status"] == "in_progress"


def test_mcp_sequence() -> None:
    events = stream("mcp", StreamOptions(chunking=Chunking("none")))
    assert types(events)[2:-1] == [
        "output_item.added",
        "mcp_list_tools.in_progress",
        "mcp_list_tools.completed",
        "output_item.done",
        "output_item.added",
        "mcp_call.in_progress",
        "mcp_call_arguments.delta",
        "mcp_call_arguments.done",
        "mcp_call.completed",
        "output_item.done",
    ]
    assert events[2]["item"]["tools"] == []
    assert events[6]["item"]["arguments"] == "" and events[6]["item"]["output"] is None


def test_a_failed_mcp_call_ends_with_mcp_call_failed() -> None:
    case = copy.deepcopy(CASES["mcp"])
    case["output"][1] |= {"status": "failed", "error": {"type": "http_error", "code": 500}}
    events = list(
        render_events(case, random.Random(0), StreamOptions(chunking=Chunking("none"))).events
    )
    assert "response.mcp_call.failed" in [e["type"] for e in events]
    assert "response.mcp_call.completed" not in [e["type"] for e in events]


def test_annotation_follows_the_delta_that_completes_its_span() -> None:
    events = stream("message-annotated", StreamOptions(chunking=Chunking("word")))
    sent = ""
    for event in events:
        if event["type"] == "response.output_text.delta":
            sent += event["delta"]
        if event["type"] == "response.output_text.annotation.added":
            break
    assert sent == "Berlin Art Week opens today. More at wallpaper.com."  # end_index 51
    assert event["annotation_index"] == 0
    assert (
        event["annotation"]
        == CASES["message-annotated"]["output"][0]["content"][0]["annotations"][0]
    )


def test_logprobs_ride_on_the_delta_of_their_token() -> None:
    events = stream("message-logprobs", StreamOptions(chunking=Chunking("word")))
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert [d["delta"] for d in deltas] == ["Hello,", " world!"]
    want = [{"token": lp["token"], "logprob": lp["logprob"], "top_logprobs": []} for lp in LOGPROBS]
    assert [d["logprobs"] for d in deltas] == [want[:2], want[2:]]
    done = next(e for e in events if e["type"] == "response.output_text.done")
    assert done["logprobs"] == want


def test_deltas_carry_logprobs_empty_by_default() -> None:
    deltas = [e for e in stream("message") if e["type"] == "response.output_text.delta"]
    assert deltas and all(d["logprobs"] == [] for d in deltas)


@pytest.mark.parametrize("case", CASES)
def test_obfuscation_pads_every_delta_to_16_characters(case: str) -> None:
    for event in stream(case, StreamOptions(chunking=Chunking("token"))):
        if event["type"].endswith(".delta"):
            pad = event["obfuscation"]
            assert (len(event["delta"]) + len(pad)) % 16 == 0
            assert set(pad) <= set(string.ascii_letters + string.digits)
        else:
            assert "obfuscation" not in event


def test_pads_are_cut_in_order_from_one_pool_whatever_the_delta_length() -> None:
    """The pads of a part are unpacked from the pool in one step (a field per delta length
    from a table; longer deltas computed): the same cut as one slice per delta."""
    from mockserver.openai.event_builder import EventList

    texts = ["a", "", "b" * 16, "é👋", "c" * 2047, "d" * 2048, "e" * 5000, "f" * 17]
    got, sizes = EventList(rng=random.Random(5), chunking=Chunking())._pads(texts)
    assert sizes == tuple(map(len, got))
    b = EventList(rng=random.Random(5), chunking=Chunking())
    b._pads(["x" * 2] * 1000)  # a pool at least as long, drawn the same way
    pool, pos = b._pool, 0
    want = []
    for text in texts:
        size = -len(text) % 16
        want.append(pool[pos : pos + size])
        pos += size
    assert list(got) == want


@pytest.mark.parametrize("lengths", [[700], [1, 2, 3], [15, 16, 17], [5] * 100, [3] * 2000])
def test_pads_are_the_characters_of_whole_draws_and_leave_the_generator_where_they_do(
    lengths: list[int],
) -> None:
    """The pool is defined by 768-byte draws (1024 characters); it is drawn only as far as
    the parts need, in steps of whole 32-bit words and whole base64 groups: the same
    characters, and once settled, the generator where the whole draws one by one leave it."""
    import base64

    from mockserver.openai.event_builder import EventList

    parts = [["ab"] * n + ["c"] * (n // 2) for n in lengths]
    b = EventList(rng=random.Random(9), chunking=Chunking())
    got = b"".join(pad for texts in parts for pad in b._pads(texts)[0])
    b.settle()
    rng, pool = random.Random(9), b""
    while len(pool) < len(got):
        pool += base64.b64encode(rng.randbytes(768)).translate(bytes.maketrans(b"+/", b"xQ"))
    assert got == pool[: len(got)]
    assert b.rng.getstate() == rng.getstate()


def test_obfuscation_can_be_turned_off() -> None:
    events = stream("reasoning-then-message", StreamOptions(include_obfuscation=False))
    assert not [e for e in events if "obfuscation" in e]


def test_same_seed_same_events_and_other_seed_other_padding() -> None:
    assert stream("function-calls", seed=7) == stream("function-calls", seed=7)
    assert stream("function-calls", seed=7) != stream("function-calls", seed=8)


def test_deltas_and_roles_line_up() -> None:
    rendered = render_events(CASES["web-search"], random.Random(0), StreamOptions())
    deltas = [e["delta"] for e in rendered.events if e["type"].endswith(".delta")]
    assert list(rendered.delta_texts) == deltas
    assert rendered.deltas == tuple(e["type"].endswith(".delta") for e in rendered.events)
    assert len(rendered) == len(rendered.roles)


@pytest.mark.parametrize("shape", ["flat", "nested"])
def test_failed_stream_with_an_error_event(shape: str) -> None:
    events = stream("failed", StreamOptions(error_event=shape))  # type: ignore[arg-type]
    assert types(events) == ["created", "in_progress", "error", "failed"]
    error = CASES["failed"]["error"]
    if shape == "flat":
        assert events[2] == {
            "type": "error",
            "sequence_number": 2,
            "code": error["code"],
            "message": error["message"],
            "param": None,
        }
        validate_event(events[2])
    else:  # as recorded from the real API
        assert events[2]["error"] == {
            "type": "server_error",
            "code": error["code"],
            "message": error["message"],
            "param": None,
        }


@pytest.mark.parametrize(
    ("code", "error_type"),
    [
        ("server_error", "server_error"),
        ("invalid_prompt", "invalid_request_error"),
        ("invalid_image_url", "invalid_request_error"),
        ("rate_limit_exceeded", "requests"),
    ],
)
def test_nested_error_event_has_the_type_in_type_and_the_code_in_code(
    code: str, error_type: str
) -> None:
    # Real traffic: {"error": {"type": "invalid_request_error", "code": "invalid_prompt", ...}};
    # the type is never the code repeated.
    failed = {**CASES["failed"], "error": {"code": code, "message": "No."}}
    options = StreamOptions(error_event="nested")
    (event,) = [
        e for e in render_events(failed, random.Random(0), options).events if e["type"] == "error"
    ]
    assert event["error"] == {"type": error_type, "code": code, "message": "No.", "param": None}


def test_incomplete_stream_ends_with_response_incomplete() -> None:
    events = stream("incomplete")
    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert events[-2]["item"]["status"] == "incomplete"


@pytest.mark.parametrize("status", ["in_progress", "queued", "cancelled"])
def test_only_finished_responses_can_be_streamed(status: str) -> None:
    with pytest.raises(ValueError, match=f"cannot stream a '{status}' response"):
        render_events({**CASES["message"], "status": status}, random.Random(0))


def test_the_input_is_left_alone_and_events_do_not_share_it() -> None:
    final = copy.deepcopy(CASES["message"])
    events = list(render_events(final, random.Random(0)).events)
    assert final == CASES["message"]
    events[-1]["response"]["output"].clear()
    events[0]["response"]["tools"].append({"type": "function"})
    assert final == CASES["message"]
