"""Server-Sent Events framing of Responses API stream events.

One frame per event: `event: TYPE`, `data: <compact JSON>`, blank line; no `[DONE]`
(the Responses API ends a stream after its terminal event). JSON is compact and keeps
non-ASCII text as UTF-8, as the real API sends it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from typing import Any

from mockserver.jsonbytes import dumps, dumps_or_refuse

CONTENT_TYPE = "text/event-stream; charset=utf-8"


def frame(event: Mapping[str, Any], *, obfuscation: bool = True) -> bytes:
    """The bytes of one SSE frame; `obfuscation=False` drops the padding field of deltas."""
    if not obfuscation and "obfuscation" in event:
        event = {k: v for k, v in event.items() if k != "obfuscation"}
    name = str(event["type"]).encode()
    return b"event: " + name + b"\ndata: " + dumps(event) + b"\n\n"


def frames(events: Iterable[Mapping[str, Any]], *, obfuscation: bool = True) -> list[bytes]:
    """`frame` of each event; the common case (obfuscation kept) written out: a stream of
    hundreds of deltas is framed here in one pass, each frame one formatting of orjson's
    bytes under its cached `event:` line."""
    if not obfuscation:
        return [frame(e, obfuscation=False) for e in events]
    events = list(events)
    try:
        return [_FRAME % (_event_line(e["type"]), dumps_or_refuse(e)) for e in events]
    except TypeError:  # a value orjson refuses (an integer past 64 bits): jsonbytes decides
        return [frame(e) for e in events]


_FRAME = b"event: %b\ndata: %b\n\n"


@functools.lru_cache(maxsize=256)
def _event_line(event_type: Any) -> bytes:
    return str(event_type).encode()


def parse_frame(data: bytes) -> dict[str, Any]:
    """The event of a frame this module wrote (the JSON after `data: `)."""
    # The standard library's parser: orjson reads integers past 64 bits as floats, which
    # would not write back the same bytes. Only replays and tools read frames back.
    event: dict[str, Any] = json.loads(data[data.index(b"\ndata: ") + 7 : -2])
    return event


def unobfuscated(data: bytes) -> bytes:
    """A frame without its `obfuscation` field (the same bytes `frame` writes without it)."""
    if b'"obfuscation":' not in data:
        return data
    return frame(parse_frame(data), obfuscation=False)
