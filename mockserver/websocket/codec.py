"""The wire of the WebSocket mode: client frames in, server frames out.

In: a text (or binary) message holding one JSON object with a `type`. `decode` returns a
typed client event or raises a MockError carrying the API's status, code and param (the
session answers it as a ResponseWsError and keeps the socket open).
Out: `text_frame` frames a server event as one unmasked, final text frame (RFC 6455 5.2).
Frames are built here once per event (the socket never negotiates compression), so a lane
writes many due events in one transport write, as the SSE writer does.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mockserver.errors import InvalidRequest, invalid_type, missing_parameter, unsupported_value
from mockserver.http.body import parse_json_object
from mockserver.jsonbytes import dumps

STREAM_ID_MAX = 256
_STREAM_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
CLIENT_EVENTS = ("response.create", "response.steer")


@dataclass(frozen=True)
class Create:
    """response.create: the CreateResponse body (as bytes the create pipeline reads, with
    `stream: true` implied) and its lane (None: the socket's default lane)."""

    body: bytes
    stream_id: str | None


@dataclass(frozen=True)
class Steer:
    """response.steer: queue `input` for a continuation of a running response."""

    previous_response_id: str
    input: Any


ClientEvent = Create | Steer


def decode(data: str | bytes) -> ClientEvent:
    """One client message -> its event; MockError (400) for what the API refuses. The JSON
    is read as an HTTP body is (http/body.py: nesting bound, NaN refused, an object)."""
    event = parse_json_object(data.encode() if isinstance(data, str) else data)
    kind = event.get("type")
    if kind == "response.create":
        return _create(event)
    if kind == "response.steer":
        return _steer(event)
    if kind is None:
        raise missing_parameter("type")
    raise unsupported_value("type", str(kind)[:64], CLIENT_EVENTS)


def stream_id_of(event: object) -> str | None:
    """The `stream_id` a refused event named, if it is a valid one (echoed on its error)."""
    if isinstance(event, dict):
        sid = event.get("stream_id")
        if isinstance(sid, str) and _valid_stream_id(sid):
            return sid
    return None


def _create(event: dict[str, Any]) -> Create:
    body = {k: v for k, v in event.items() if k not in ("type", "stream_id")}
    stream_id = event.get("stream_id")
    if stream_id is not None:
        check_stream_id(stream_id)
    if body.get("background") is True:
        raise InvalidRequest(
            "background is not supported over WebSocket: send the request over HTTP.",
            code="unsupported_parameter",
            param="background",
        )
    if body.get("stream") is False:
        raise InvalidRequest(
            "stream is implicit over WebSocket and cannot be false.",
            code="unsupported_value",
            param="stream",
        )
    body["stream"] = True
    return Create(dumps(body), stream_id)


def check_stream_id(value: object) -> str:
    if not isinstance(value, str):
        raise invalid_type("stream_id", "a string", value)
    if not 1 <= len(value) <= STREAM_ID_MAX:
        raise InvalidRequest(
            f"Invalid 'stream_id': string length must be between 1 and {STREAM_ID_MAX}, "
            f"got {len(value)}.",
            code="string_above_max_length" if value else "empty_string",
            param="stream_id",
        )
    if not _STREAM_ID.match(value):
        raise InvalidRequest(
            f"Invalid 'stream_id': '{value[:64]}'. Expected a string that matches the pattern "
            "'^[A-Za-z0-9_.-]+$'.",
            code="invalid_value",
            param="stream_id",
        )
    return value


def _valid_stream_id(value: str) -> bool:
    return 1 <= len(value) <= STREAM_ID_MAX and _STREAM_ID.match(value) is not None


def _steer(event: dict[str, Any]) -> Steer:
    unknown = sorted(set(event) - {"type", "previous_response_id", "input"})
    if unknown:
        raise InvalidRequest(
            f"Unknown parameter: '{unknown[0]}'. response.steer accepts only "
            "'type', 'previous_response_id' and 'input'.",
            code="unknown_parameter",
            param=unknown[0],
        )
    target = event.get("previous_response_id")
    if not isinstance(target, str) or not target:
        raise missing_parameter("previous_response_id")
    if "input" not in event:
        raise missing_parameter("input")
    return Steer(target, event["input"])


def encode(event: dict[str, Any], stream_id: str | None) -> bytes:
    """A server event's JSON, with its lane (`stream_id`) when the create named one."""
    if stream_id is not None:
        event = {**event, "stream_id": stream_id}
    return dumps(event)


def frames_of(sse_frames: Sequence[bytes], stream_id: str | None) -> list[bytes]:
    """A Run's SSE frames as WebSocket text frames, without encoding the events again: the
    JSON after `data: `, with `"stream_id"` appended (the bytes `encode` writes)."""
    if stream_id is None:
        return [text_frame(f[f.index(b"\ndata: ") + 7 : -2]) for f in sse_frames]
    lane = b',"stream_id":' + dumps(stream_id) + b"}"
    return [text_frame(f[f.index(b"\ndata: ") + 7 : -3] + lane) for f in sse_frames]


def text_frame(payload: bytes) -> bytes:
    """One final, unmasked text frame (a server never masks; RFC 6455 5.1)."""
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", 0x81, n) + payload
    if n < 0x10000:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload
