from __future__ import annotations

import json
import random
from dataclasses import replace
from itertools import accumulate

from streamcases import CASES

from mockserver import jsonbytes
from mockserver.http import sse
from mockserver.openai.event_builder import Deltas
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


def test_delta_frames_from_a_template_are_frame_of_each_delta() -> None:
    """Deltas are framed from a template cut out of `frame`: the same bytes, whatever the
    text (escaped or not, non-ASCII), the logprobs and the padding."""
    texts = ["Hi", ' "q"', "a\\b", "tab\t", "é 👋", "\u2028", "%d %b", "", "x" * 40]
    logprob = {"token": "Hi", "logprob": -0.5, "top_logprobs": [], "bytes": [72, 105]}
    cases = [
        Deltas("response.output_text.delta", {"item_id": "m%1", "output_index": 0}, 3, texts),
        Deltas("response.refusal.delta", {"item_id": "r"}, 0, texts[:2], pads=[b"ab", b""]),
        Deltas("x.delta", {}, 7, texts[:1], logprobs=[[]], pads=[b"Zz9"]),
        Deltas("x.delta", {}, 7, texts[:3], logprobs=[[logprob], [], [logprob]]),
        Deltas("x.delta", {}, 0, ["plain", "words"], logprobs=[[], []], pads=[b"q", b"w"]),
        Deltas("x.delta", {}, 0, ["a", "b"], logprobs=[[], []], empty_logprobs=True),
        Deltas("x.delta", {"n": "%d"}, 4090, texts, pads=[b"p"] * len(texts)),  # past the table
    ]
    for deltas in cases:
        varied = deltas.logprobs is not None and any(deltas.logprobs)
        assert sse._template(deltas, varied) is not None  # not one by one
        want = [sse.frame(deltas.event(k)) for k in range(len(deltas))]
        assert sse.delta_frames(deltas) == want
    for case in CASES:
        rendered = render_events(CASES[case], random.Random(3))
        for part in rendered.parts:  # what the emitter says of its logprobs, checked
            if isinstance(part, Deltas) and part.empty_logprobs:
                assert part.logprobs is not None and not any(part.logprobs)
        for obfuscation in (True, False):
            want = sse.frames(rendered.events, obfuscation=obfuscation)
            assert list(sse.stream_frames(rendered.parts, obfuscation=obfuscation)) == want


def test_a_cached_template_with_the_item_id_put_in_is_the_template_cut_for_it() -> None:
    """Templates are cut once per shape of part, with a placeholder item id: with the real id
    put in its place, the pieces are those cut for that id (an id holding a placeholder of a
    value has none cut for it: then the frames are still `frame`'s)."""
    ids = ["msg_1", "msg_2", 'q"\\', "é 👋\u2028", "\x00i", "\x00t", "%d"]
    for item_id in ids:
        for where in ({"item_id": item_id, "output_index": 1}, {"n": 2, "item_id": item_id}):
            for pads in (None, [b"ab"]):
                deltas = Deltas("x.delta", where, 5, ["Hi"], pads=pads)
                cut = sse._cut("x.delta", where, False, pads is not None, False)
                assert cut is None or sse._template(deltas, False) == cut
                assert sse.delta_frames(deltas) == [sse.frame(deltas.event(0))]


def test_plain_texts_are_those_json_writes_between_quotes() -> None:
    assert sse._plain(["Hi", " é 👋", "\u2028", "%d"])
    for escaped in ('"', "\\", "\n", "\x00", "\ud800"):
        assert not sse._plain(["ok", f"a{escaped}b"])


def test_a_frame_parses_back_exactly_even_past_64_bit_integers() -> None:
    for event in (
        {"type": "x", "n": 1 << 70, "f": 0.1},
        {"type": "y", "f": 1e-05, "z": -0.0, "s": "é 👋"},
    ):
        parsed = sse.parse_frame(sse.frame(event))
        assert parsed == event and sse.frame(parsed) == sse.frame(event)


def test_cached_texts_frame_as_uncached() -> None:
    """A tuple of texts (Chunking.cut's) has its column of texts (each with the piece after
    it) and its pad layout cached, and the frames' heads are cached by number: the frames
    are those of the same texts as a list, on the first use and the next."""
    texts = ("Hi", " é 👋", "\u2028", "%d", ' "q"')
    where = {"item_id": "m", "output_index": 0}
    listed = sse.delta_frames(Deltas("x.delta", where, 2, list(texts), pads=[b"a"] * 5))
    for _ in range(2):
        assert sse.delta_frames(Deltas("x.delta", where, 2, texts, pads=[b"a"] * 5)) == listed
    assert sse.delta_frames(Deltas("x.delta", where, 2, texts[:3], pads=[b"a"] * 3)) == listed[:3]


def test_stream_frames_are_one_bytes_with_each_frame_where_it_ends() -> None:
    """`Frames`: the frames joined once, each found again by where it ends, whether its
    deltas' pad sizes came with them (cached) or are read from the pads."""
    for case in CASES:
        rendered = render_events(CASES[case], random.Random(5))
        want = sse.frames(rendered.events)
        frames = sse.stream_frames(rendered.parts)
        assert frames.data == b"".join(want) and len(frames) == frames.n == len(want)
        assert [frames.end(i) for i in range(-1, len(want))] == [0, *accumulate(map(len, want))]
        assert frames[-1] == want[-1] and frames[1:3] == want[1:3]
        unsized = [
            replace(p, pad_sizes=None) if isinstance(p, Deltas) else p for p in rendered.parts
        ]
        assert list(sse.stream_frames(unsized)) == want
        of = sse.Frames.of(want)
        assert of.data == frames.data and list(of) == want
    assert len(sse.Frames.of([])) == 0
