"""What the recorder saw of one create request: the body sent, the upstream's final answer,
and when each stream event arrived. Plain values; the proxy fills them in, the writer reads.

The SSE reader takes the upstream's bytes as they come (any chunking), keeps the events'
arrival times and the final Response of the terminal event, within a byte budget.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


@dataclass(frozen=True)
class Timing:
    """Milliseconds from sending the request: to the first delta, between deltas, to the end."""

    first_delta_ms: float | None
    gaps_ms: tuple[float, ...]
    total_ms: float


@dataclass(frozen=True)
class Observed:
    """One create request and the upstream's answer to it."""

    body: Mapping[str, Any]  # the request body as sent (redacted)
    conversation: tuple[Mapping[str, Any], ...]  # earlier turns, then this request's input
    status: int
    response: Mapping[str, Any] | None  # the final Response (JSON body or terminal event)
    error: Mapping[str, Any] | None  # the `error` object of a non-2xx answer
    error_headers: Mapping[str, str]  # retry-after and x-should-retry of an error answer
    timing: Timing
    streamed: bool
    message_deltas: tuple[str, ...] = ()  # the output_text deltas, in order
    continues_unknown: bool = False  # previous_response_id named a response not seen here
    error_event: Mapping[str, Any] | None = None  # a stream's `error` event (flat or nested)


class StreamTooLarge(Exception):
    """The stream passed the recorder's byte budget: it is forwarded but not recorded."""


@dataclass
class SseReader:
    """Feed it the upstream's bytes with their arrival time; it keeps what the writer needs."""

    max_bytes: int
    events: list[tuple[float, str]] = field(default_factory=list)  # (ms, type)
    final: dict[str, Any] | None = None
    error: dict[str, Any] | None = None  # an `error` event's body
    message_deltas: list[str] = field(default_factory=list)
    _buffer: bytes = b""
    _seen: int = 0

    def feed(self, chunk: bytes, at_ms: float) -> None:
        self._seen += len(chunk)
        if self._seen > self.max_bytes:
            raise StreamTooLarge(f"the stream passed {self.max_bytes} bytes")
        self._buffer += chunk.replace(b"\r\n", b"\n")
        while (end := self._buffer.find(b"\n\n")) >= 0:
            frame, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
            self._frame(frame, at_ms)

    def _frame(self, frame: bytes, at_ms: float) -> None:
        data = b"\n".join(
            line[5:].lstrip(b" ") for line in frame.split(b"\n") if line.startswith(b"data:")
        )
        if not data or data == b"[DONE]":
            return
        try:
            event = json.loads(data)
        except ValueError:
            return  # not JSON: forwarded as is, nothing to record from it
        if not isinstance(event, dict):
            return
        kind = str(event.get("type", ""))
        self.events.append((at_ms, kind))
        if kind == "response.output_text.delta" and isinstance(event.get("delta"), str):
            self.message_deltas.append(event["delta"])
        if kind in TERMINAL_EVENTS and isinstance(event.get("response"), dict):
            self.final = event["response"]
        if kind == "error":
            self.error = event

    def timing(self, total_ms: float) -> Timing:
        deltas = [at for at, kind in self.events if kind.endswith(".delta")]
        gaps = tuple(b - a for a, b in itertools.pairwise(deltas))
        return Timing(deltas[0] if deltas else None, gaps, total_ms)
