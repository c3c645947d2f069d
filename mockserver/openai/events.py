"""The stream of a Response: a pure function from the FINAL Response to its events.

Rendering the final object first and deriving the events from it is what guarantees that
the Response inside the terminal event, the non-streamed body and what GET returns are
the same object, and that the deltas a client accumulates join to the final texts.

Sequence (real API order): response.created (in_progress; or queued -> response.queued ->
response.in_progress in background mode) -> per output item its added / progress / delta /
done events -> [error] -> response.completed | response.incomplete | response.failed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mockserver.jsonbytes import clone
from mockserver.openai.chunking import Chunking
from mockserver.openai.event_builder import Event, EventList, Part, Role, flatten
from mockserver.openai.event_items import RENDERERS, emit_plain

ErrorEvent = Literal["none", "flat", "nested"]
TERMINAL_EVENTS: dict[str, str] = {
    "completed": "response.completed",
    "incomplete": "response.incomplete",
    "failed": "response.failed",
}
_NOT_YET = ("usage", "completed_at", "error", "incomplete_details", "moderation")


# StreamOptions and EventStream are made for every stream and only read: slotted, not frozen
# (a frozen dataclass sets each field through object.__setattr__, ~1k instructions a field).
@dataclass(slots=True)
class StreamOptions:
    """How to stream one Response.

    include_obfuscation: pad deltas with `obfuscation` (real traffic; the API's
        `stream_options.include_obfuscation: false` turns it off).
    background: start with response.created (queued) -> response.queued.
    reasoning_summary: stream reasoning summary parts (the request asked for a summary).
    error_event: before response.failed, an `error` event in the spec's flat shape, or
        nested (`{"error": {...}}`) as real traffic has been recorded; "none" for neither.
    service_tier: the tier the snapshots before the end show. Real traffic has the tier as
        requested there (`auto` when unset) and the tier that served it (`default`) only
        once done; None: the final response's.
    """

    chunking: Chunking = field(default_factory=Chunking)
    include_obfuscation: bool = True
    background: bool = False
    reasoning_summary: bool = True
    error_event: ErrorEvent = "none"
    service_tier: str | None = None


_DEFAULT_OPTIONS = StreamOptions()


@dataclass(slots=True)
class EventStream:
    """The events of one stream, with what pacing needs to know about each.

    `parts` holds the events in order, the deltas of each part as one `Deltas` (framed from a
    template, never made into dicts on the way to the wire); they share values with the
    Response they were rendered from, and are only read. `events` makes them all dicts, a
    copy that shares nothing with that Response.
    """

    parts: tuple[Part, ...]
    roles: tuple[Role, ...]
    delta_texts: tuple[str, ...]  # the text of each DELTA event, in order

    def __len__(self) -> int:
        return len(self.roles)

    @property
    def events(self) -> tuple[Event, ...]:
        events: list[Event] = clone(flatten(self.parts))
        return tuple(events)

    @property
    def deltas(self) -> tuple[bool, ...]:
        return tuple(role is Role.DELTA for role in self.roles)


def snapshot(
    response: Mapping[str, Any], status: str, service_tier: str | None = None
) -> dict[str, Any]:
    """The Response as it looks while generating: no output, usage or completion yet.

    A shallow copy: the settings it shares with `response` are never changed in place.
    """
    snap = {**response, "status": status, "output": []}
    for key in _NOT_YET:
        if key in snap:
            snap[key] = None
    if service_tier is not None:
        snap["service_tier"] = service_tier
    return snap


def render_events(
    response: Mapping[str, Any],
    rng: random.Random,
    options: StreamOptions = _DEFAULT_OPTIONS,
    *,
    settle: bool = True,
) -> EventStream:
    """All events of the stream of `response` (status completed, incomplete or failed).

    `settle`: leave `rng` where the padding's whole draws leave it, for a caller that draws
    from it next (a paced stream's jitter); False when nothing does (moving it there costs
    ~10k instructions)."""
    terminal = TERMINAL_EVENTS.get(str(response.get("status")))
    if terminal is None:
        allowed = ", ".join(TERMINAL_EVENTS)
        raise ValueError(f"cannot stream a {response.get('status')!r} response; need {allowed}")
    # The parts share values with `response` and with each other: they are framed as they
    # are, and `EventStream.events` copies them for whoever wants dicts to change. Events
    # with the same snapshot share it.
    final: dict[str, Any] = dict(response)
    tier = options.service_tier
    in_progress = snapshot(final, "in_progress", tier)
    queued = snapshot(final, "queued", tier) if options.background else None
    b = EventList(
        rng=rng,
        chunking=options.chunking,
        obfuscation=options.include_obfuscation,
        reasoning_summary=options.reasoning_summary,
        partial_images=partial_images(response.get("tools")),
    )
    if queued is None:
        b.emit("response.created", {"response": in_progress}, Role.START)
        b.emit("response.in_progress", {"response": in_progress}, Role.START)
    else:
        b.emit("response.created", {"response": queued}, Role.START)
        b.emit("response.queued", {"response": queued}, Role.START)
        b.emit("response.in_progress", {"response": in_progress}, Role.DEQUEUE)
    for index, item in enumerate(final.get("output") or []):
        RENDERERS.get(str(item.get("type")), emit_plain)(b, index, item)
    if terminal == "response.failed" and options.error_event != "none":
        _error(b, final, options.error_event)
    b.emit(terminal, {"response": final})
    if settle:
        b.settle()
    return EventStream(tuple(b.parts), tuple(b.roles), tuple(b.delta_texts))


def partial_images(tools: Any) -> int:
    """`partial_images` of the request's image_generation tool (0-3; 0 without one)."""
    for tool in tools if isinstance(tools, list) else ():
        if isinstance(tool, dict) and tool.get("type") == "image_generation":
            count = tool.get("partial_images")
            return count if isinstance(count, int) and 0 <= count <= 3 else 0
    return 0


def _error(b: EventList, response: Mapping[str, Any], shape: ErrorEvent) -> None:
    error = response.get("error") or {}
    code = error.get("code") or "server_error"
    message = error.get("message") or "The server had an error while processing your request."
    if shape == "nested":
        # As recorded from the real API; the Python SDK raises APIError on this shape.
        body = {"type": error_type(code), "code": code, "message": message, "param": None}
        b.emit("error", {"error": body})
    else:
        b.emit("error", {"code": code, "message": message, "param": None})


# A Response's `error` holds only a code; the nested error event also names the error's type,
# as the API's error bodies do: the server's own failures are `server_error`, a rate limit is
# typed by its bucket (as the 429 bodies are), the rest are the request's fault.
_ERROR_TYPES = {
    "server_error": "server_error",
    "vector_store_timeout": "server_error",
    "rate_limit_exceeded": "requests",
}


def error_type(code: str) -> str:
    """The error `type` that goes with a Response error `code` (invalid_prompt, image errors...)."""
    return _ERROR_TYPES.get(code, "invalid_request_error")
