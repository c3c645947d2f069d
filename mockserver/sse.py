"""Server-Sent Events framing of Responses API stream events.

One frame per event: `event: TYPE`, `data: <compact JSON>`, blank line; no `[DONE]`
(the Responses API ends a stream after its terminal event). JSON is compact and keeps
non-ASCII text as UTF-8, as the real API sends it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

CONTENT_TYPE = "text/event-stream; charset=utf-8"

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(obj: Any) -> str:
    """Compact JSON, UTF-8 kept as is."""
    return _encoder.encode(obj)


def frame(event: Mapping[str, Any], *, obfuscation: bool = True) -> bytes:
    """The bytes of one SSE frame; `obfuscation=False` drops the padding field of deltas."""
    if not obfuscation and "obfuscation" in event:
        event = {k: v for k, v in event.items() if k != "obfuscation"}
    return f"event: {event['type']}\ndata: {dumps(event)}\n\n".encode()


def frames(events: Iterable[Mapping[str, Any]], *, obfuscation: bool = True) -> list[bytes]:
    return [frame(e, obfuscation=obfuscation) for e in events]
