from __future__ import annotations

import json
import random

from streamcases import CASES

from mockserver import jsonbytes
from mockserver.http import sse
from mockserver.openai.events import render_events


def test_frame_is_byte_exact() -> None:
    event = {
        "type": "response.output_text.delta",
        "sequence_number": 4,
        "delta": "Hi",
        "logprobs": [],
    }
    assert sse.frame(event) == (
        b"event: response.output_text.delta\n"
        b'data: {"type":"response.output_text.delta","sequence_number":4,'
        b'"delta":"Hi","logprobs":[]}\n\n'
    )


def test_non_ascii_is_sent_as_utf8_not_escaped() -> None:
    event = {"type": "response.output_text.delta", "delta": '12 °C 👋 "q"\n'}
    assert (
        sse.frame(event)
        == (
            "event: response.output_text.delta\n"
            'data: {"type":"response.output_text.delta","delta":"12 °C 👋 \\"q\\"\\n"}\n\n'
        ).encode()
    )


def test_obfuscation_can_be_left_out() -> None:
    event = {"type": "response.refusal.delta", "delta": "No", "obfuscation": "abcdefghijklmn"}
    assert sse.frame(event, obfuscation=False) == (
        b'event: response.refusal.delta\ndata: {"type":"response.refusal.delta","delta":"No"}\n\n'
    )
    assert b'"obfuscation":"abcdefghijklmn"' in sse.frame(event)
    assert event["obfuscation"] == "abcdefghijklmn", "the event itself is not changed"


def test_content_type() -> None:
    assert sse.CONTENT_TYPE == "text/event-stream; charset=utf-8"


def test_a_whole_stream_parses_back_frame_by_frame() -> None:
    events = render_events(CASES["web-search"], random.Random(3)).events
    body = b"".join(sse.frames(events)).decode()
    assert body.endswith("\n\n") and "[DONE]" not in body
    blocks = body[:-2].split("\n\n")
    assert len(blocks) == len(events)
    for block, event in zip(blocks, events, strict=True):
        name, data = block.split("\n")
        assert name == f"event: {event['type']}"
        assert json.loads(data.removeprefix("data: ")) == event


def test_dumps_matches_json_and_falls_back_for_what_orjson_refuses() -> None:
    event = {"type": "x", "text": "é 👋\u2028\x00", "n": 3, "f": 0.25, "none": None, "l": [True]}
    assert (
        jsonbytes.dumps(event)
        == json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    )
    huge = {"type": "x", "n": 2**70}
    assert jsonbytes.dumps(huge) == b'{"type":"x","n":1180591620717411303424}'


def test_frames_is_frame_of_each_event() -> None:
    """`frames` inlines `frame` for speed: both must give the same bytes, whatever the event."""
    big = {"type": "x.delta", "n": 1 << 70, "obfuscation": "abc"}  # past orjson's integers
    for case in CASES:
        events = [*render_events(CASES[case], random.Random(3)).events, big]
        for obfuscation in (True, False):
            want = [sse.frame(e, obfuscation=obfuscation) for e in events]
            assert sse.frames(events, obfuscation=obfuscation) == want
