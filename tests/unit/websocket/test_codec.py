"""Client frames -> typed events (the API's errors for what is refused); server frames."""

from __future__ import annotations

import json

import pytest

from mockserver.errors import MockError
from mockserver.websocket import codec


def test_create_strips_the_envelope_and_implies_stream() -> None:
    event = codec.decode('{"type":"response.create","stream_id":"a-1.b_2","model":"m","input":"x"}')
    assert isinstance(event, codec.Create)
    assert event.stream_id == "a-1.b_2"
    assert json.loads(event.body) == {"model": "m", "input": "x", "stream": True}


def test_steer_keeps_target_and_input() -> None:
    event = codec.decode(b'{"type":"response.steer","previous_response_id":"resp_1","input":"x"}')
    assert event == codec.Steer("resp_1", "x")


@pytest.mark.parametrize(
    ("frame", "code", "param"),
    [
        ("{", None, None),
        ("[]", "invalid_type", None),
        ('{"type": 3}', "invalid_value", "type"),
        ("{}", "missing_required_parameter", "type"),
        ('{"type":"response.create","stream_id":""}', "empty_string", "stream_id"),
        ('{"type":"response.create","stream_id":7}', "invalid_type", "stream_id"),
        ('{"type":"response.create","stream_id":"a/b"}', "invalid_value", "stream_id"),
        ('{"type":"response.create","background":true}', "unsupported_parameter", "background"),
        ('{"type":"response.create","stream":false}', "unsupported_value", "stream"),
        (
            '{"type":"response.steer","input":"x"}',
            "missing_required_parameter",
            "previous_response_id",
        ),
        (
            '{"type":"response.steer","previous_response_id":"r"}',
            "missing_required_parameter",
            "input",
        ),
        (
            '{"type":"response.steer","previous_response_id":"r","input":"x","stream_id":"a"}',
            "unknown_parameter",
            "stream_id",
        ),
        ("[" * 200 + "]" * 200, "invalid_json", None),
    ],
)
def test_refusals(frame: str, code: str | None, param: str | None) -> None:
    with pytest.raises(MockError) as info:
        codec.decode(frame)
    assert (info.value.status, info.value.code, info.value.param) == (400, code, param)


def test_stream_id_bounds() -> None:
    assert codec.decode(f'{{"type":"response.create","stream_id":"{"x" * 256}"}}')
    with pytest.raises(MockError, match="between 1 and 256"):
        codec.decode(f'{{"type":"response.create","stream_id":"{"x" * 257}"}}')


def test_echoed_stream_id_only_when_valid() -> None:
    assert codec.stream_id_of({"stream_id": "ok"}) == "ok"
    assert codec.stream_id_of({"stream_id": "not ok"}) is None
    assert codec.stream_id_of(["x"]) is None


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_text_frame_lengths(size: int) -> None:
    frame = codec.text_frame(b"a" * size)
    assert frame[0] == 0x81  # FIN + text, never masked by a server
    if size < 126:
        assert frame[1] == size and len(frame) == 2 + size
    elif size < 65536:
        assert frame[1] == 126 and int.from_bytes(frame[2:4]) == size
    else:
        assert frame[1] == 127 and int.from_bytes(frame[2:10]) == size


def test_encode_adds_the_lane() -> None:
    assert json.loads(codec.encode({"type": "x"}, "a")) == {"type": "x", "stream_id": "a"}
    assert json.loads(codec.encode({"type": "x"}, None)) == {"type": "x"}


@pytest.mark.parametrize("stream_id", [None, "lane-1"])
def test_frames_of_a_run_match_encoding_each_event(stream_id: str | None) -> None:
    from mockserver.http import sse

    events = [{"type": "response.output_text.delta", "delta": 'é\n"}', "sequence_number": 3}]
    expected = [codec.text_frame(codec.encode(e, stream_id)) for e in events]
    assert codec.frames_of(sse.frames(events), stream_id) == expected
