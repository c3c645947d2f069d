"""Stream faults at a chosen point: a pure transformation of the event list and its timing.

`fault_stream(events, offsets, faults)` returns a FaultedStream: the response's timeline as
it now goes (cut short by `response.failed` or `response.incomplete` where asked), its
offsets, and the actions the writer runs before given events: what only the wire sees
(disconnect, reset, stall, an `error` event, a malformed frame or chunk, an end without the
terminal event).
The timeline is what the store and a later replay follow; stream_actions.py runs the
actions on the wire, before the events they precede.

Where: `after_events: N` (before event N, counting from 0: after N events were sent),
`at_event: TYPE#k` (before the k-th event of that type, k from 1), `after_ms: T` (T ms after
the stream started; the action then fires at exactly T), or right after the opening events
(`Trigger.after_start`: where `stream_time_error` puts an error the API reports once the
stream has started). Without a trigger, a fault that ends the stream early acts half-way;
failed, incomplete and no_terminal act at the terminal event.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from mockserver.faults.error_catalog import ErrorContext, ErrorSpec, render_message
from mockserver.faults.spec import FaultSpec, Trigger
from mockserver.http import sse
from mockserver.openai.usage import output_tokens

Event = dict[str, Any]
ActionKind = Literal["disconnect", "reset", "stall", "raw", "malformed_chunk", "hold", "end"]
_AT_TERMINAL = ("failed", "incomplete", "no_terminal")
_OPENING = ("response.created", "response.queued", "response.in_progress")
# Body faults that, without a point, act on a stream too (half-way, or at its end).
_ALSO_IN_STREAM = ("slow_close", "malformed_chunk")


@dataclass(frozen=True)
class Action:
    """Something the writer does before an event (or, at index len(events), after the last)."""

    kind: ActionKind
    fault: str  # the fault's journal name
    ms: float | None = None  # stall / hold duration; None: until the client leaves
    keepalive_ms: float | None = None
    data: bytes = b""  # raw: the bytes of a malformed frame
    wait_ms: float = 0.0  # after the action: time left until the event was due (after_ms)
    close_code: int = 1011  # disconnect, over a WebSocket: the close frame's code


@dataclass(frozen=True)
class FaultedStream:
    events: list[Event]
    offsets: list[float]
    actions: dict[int, list[Action]] = field(default_factory=dict)
    # The Response as it finally stands (terminal event's; what GET shows afterwards).
    final: dict[str, Any] | None = None
    terminal_changed: bool = False
    applied: list[str] = field(default_factory=list)  # journal names of the faults applied

    @property
    def ends_early(self) -> bool:
        """Whether the client will miss the terminal event (cut, or ended without it)."""
        kinds = {a.kind for acts in self.actions.values() for a in acts}
        return bool(kinds & {"disconnect", "reset", "malformed_chunk", "end"})


def fault_stream(
    events: Sequence[Mapping[str, Any]],
    offsets: Sequence[float],
    faults: Sequence[FaultSpec],
    ctx: ErrorContext | None = None,
) -> FaultedStream:
    """Apply the stream faults (others are ignored) to a stream's events and offsets."""
    evs = [dict(e) for e in events]
    offs = [float(o) for o in offsets]
    stream = FaultedStream(evs, offs, final=_terminal_response(evs))
    for fault in faults:
        if fault.in_stream or fault.kind in _ALSO_IN_STREAM:
            stream = _apply(stream, fault, ctx or ErrorContext())
    return stream


def stream_time_error(error: ErrorSpec) -> FaultSpec:
    """A scripted error as the real API reports it once a stream has started: `200`, then
    response.created -> response.in_progress -> error (nested) -> response.failed."""
    return FaultSpec("failed", Trigger(after_start=True), error=error, error_event="nested")


def _terminal_response(events: Sequence[Event]) -> dict[str, Any] | None:
    last = events[-1] if events else None
    if last and last.get("type") in (
        "response.completed",
        "response.failed",
        "response.incomplete",
    ):
        response: dict[str, Any] = last["response"]
        return response
    return None


def resolve(
    fault: FaultSpec, events: Sequence[Event], offsets: Sequence[float]
) -> tuple[int, float]:
    """(index, time in ms) at which the fault acts: before events[index], at that time."""
    n = len(events)
    t = fault.trigger
    if t is None:
        index = max(0, n - 1) if fault.kind in _AT_TERMINAL else n // 2
    elif t.after_events is not None:
        index = min(t.after_events, n)
    elif t.at_event is not None:
        index = _nth(events, t.at_event, t.occurrence)
    elif t.after_start:
        index = next((i for i, e in enumerate(events) if e.get("type") not in _OPENING), n)
    else:
        at = t.after_ms or 0.0
        index = next((i for i, o in enumerate(offsets) if o >= at), n)
        return index, at
    return index, offsets[index] if index < n else (offsets[-1] if offsets else 0.0)


def _nth(events: Sequence[Event], event_type: str, k: int) -> int:
    seen = 0
    for i, event in enumerate(events):
        if event.get("type") == event_type:
            seen += 1
            if seen == k:
                return i
    return len(events)  # never reached: the fault acts at the end


def _apply(stream: FaultedStream, fault: FaultSpec, ctx: ErrorContext) -> FaultedStream:
    events, offsets = stream.events, stream.offsets
    if fault.kind == "slow_close":
        index, at = len(events), offsets[-1] if offsets else 0.0
    else:
        index, at = resolve(fault, events, offsets)
    wait = max(0.0, (offsets[index] if index < len(events) else at) - at)
    applied = [*stream.applied, fault.name]
    if fault.kind in ("error_event", "failed", "incomplete", "no_terminal"):
        return _replace_tail(stream, fault, index, at, ctx, applied)
    action = _action(fault, wait)
    actions = {k: list(v) for k, v in stream.actions.items()}
    actions.setdefault(index, []).append(action)
    if fault.kind == "stall" and fault.ms is not None:
        # The model paused: everything after the stall comes that much later.
        offsets = [o + fault.ms if i > index else o for i, o in enumerate(offsets)]
    if index < len(events) and at < offsets[index]:
        offsets = [*offsets[:index], at, *offsets[index + 1 :]]  # the action fires at `at`
    return FaultedStream(events, offsets, actions, stream.final, stream.terminal_changed, applied)


def _action(fault: FaultSpec, wait_ms: float) -> Action:
    name = fault.name
    if fault.kind == "stall":
        return Action("stall", name, fault.ms, fault.keepalive_ms, wait_ms=wait_ms)
    if fault.kind == "malformed_frame":
        return Action("raw", name, data=MALFORMED_FRAME, wait_ms=wait_ms)
    if fault.kind == "slow_close":
        return Action("hold", name, fault.ms)
    if fault.kind == "disconnect":
        return Action("disconnect", name, close_code=fault.close_code)
    kind: ActionKind = fault.kind  # type: ignore[assignment]
    return Action(kind, name)


# A delta frame whose JSON stops mid-string: the SDK's json.loads fails on it.
MALFORMED_FRAME = (
    b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
    b'"delta":"unterminated\n\n'
)


def _replace_tail(
    stream: FaultedStream,
    fault: FaultSpec,
    index: int,
    at: float,
    ctx: ErrorContext,
    applied: list[str],
) -> FaultedStream:
    """Events up to `index`, then the fault's own ending.

    The event list stays the response's true timeline (what the store and a replay see);
    what only the wire sees is an action: an `error` event or the end of the stream.
    """
    head = stream.events[:index]
    seq = head[-1]["sequence_number"] + 1 if head else 0
    actions = {k: v for k, v in stream.actions.items() if k <= index}
    if fault.kind == "no_terminal":
        actions.setdefault(index, []).append(Action("end", fault.name))
        return replace(stream, actions=actions, applied=applied)
    base = stream.final or {}
    tail: list[Event] = []
    if fault.kind == "error_event":
        frame = sse.frame(error_event(fault.error, fault.shape, seq, ctx))
        actions.setdefault(index, []).extend(
            [Action("raw", fault.name, data=frame), Action("end", fault.name)]
        )
    elif fault.error_event != "none":
        tail.append(error_event(fault.error, fault.error_event, seq, ctx))
    kind = "incomplete" if fault.kind == "incomplete" else "failed"
    final = partial_response(base, head, kind, fault, ctx)
    tail.append({"type": f"response.{kind}", "sequence_number": seq + len(tail), "response": final})
    offsets = stream.offsets[:index] + [at] * len(tail)
    return FaultedStream([*head, *tail], offsets, actions, final, True, applied)


def error_event(spec: ErrorSpec | None, shape: str, seq: int, ctx: ErrorContext) -> Event:
    """An `error` event: the spec's flat shape, or nested as real traffic has shown it."""
    body = _error_body(spec, ctx)
    if shape == "nested":
        return {"type": "error", "sequence_number": seq, "error": body}
    return {
        "type": "error",
        "code": body["code"],
        "message": body["message"],
        "param": body["param"],
        "sequence_number": seq,
    }


def _error_body(spec: ErrorSpec | None, ctx: ErrorContext) -> dict[str, Any]:
    if spec is None:
        return {"type": "server_error", "code": "server_error", "message": "", "param": None}
    return {
        "type": spec.type,
        "code": spec.code,
        "message": render_message(spec, ctx),
        "param": spec.param,
    }


def partial_response(
    base: Mapping[str, Any], head: Sequence[Event], kind: str, fault: FaultSpec, ctx: ErrorContext
) -> dict[str, Any]:
    """The Response as it ends at the cut: the items finished so far, failed or incomplete."""
    response = copy.deepcopy(dict(base))
    output = [
        copy.deepcopy(e["item"]) for e in head if e.get("type") == "response.output_item.done"
    ]
    response["output"] = output
    response["completed_at"] = None
    if not any(e.get("type") not in _OPENING for e in head):
        # Nothing was generated: real traffic shows `usage: null` (e.g. a quota error).
        response["usage"] = None
    if kind == "failed":
        body = _error_body(fault.error, ctx)
        response.update(
            status="failed",
            error={"code": body["code"] or "server_error", "message": body["message"]},
        )
        response["incomplete_details"] = None
    else:
        response.update(
            status="incomplete", error=None, incomplete_details={"reason": fault.reason}
        )
    _recount(response, output)
    return response


def _recount(response: dict[str, Any], output: list[dict[str, Any]]) -> None:
    usage = response.get("usage")
    if not isinstance(usage, dict):
        return
    usage = copy.deepcopy(usage)
    out = output_tokens(output)
    details = usage.get("output_tokens_details") or {}
    reasoning = min(int(details.get("reasoning_tokens", 0)), out)
    usage["output_tokens"] = out
    usage["output_tokens_details"] = {**details, "reasoning_tokens": reasoning}
    usage["total_tokens"] = int(usage.get("input_tokens", 0)) + out
    response["usage"] = usage
