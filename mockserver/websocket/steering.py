"""response.steer: user input queued for a running response's continuation.

A steer names a response running on this socket. Accepted (`response.steer.accepted`), its
input waits; the running response yields at its next safe boundary (after an output item is
done: `response.incomplete`, reason `steered`) and an automatic successor continues from it
with the queued input (answer.py). The answering rule's `steering:` chooses: `item` (that
default), `end` (no yield: it completes, then the successor) or `refuse`. A response that
ends first completes normally and the successor follows; one that stops for client-owned
tool output keeps the input queued (`response.steer.pending` with `required_input` stubs)
until the client's explicit response.create for it, which gets the input prepended. What
cannot be accepted or committed is returned in `response.steer.failed` with its code.

Steer events count their `sequence_number` per socket (they belong to no response's stream).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockserver.openai.ids import IdFactory
from mockserver.openai.tools import OUTPUT_OF_CALL
from mockserver.websocket.codec import Steer

MAX_PENDING = 8  # queued steers per response (more: too_many_pending_steers)
# Responses remembered per socket: finished (for response_already_completed), and waiting
# for tool output with steering input (the oldest let go beyond).
_REMEMBERED = 1024
_PART_TYPES = ("input_text", "input_image", "input_file")
_MESSAGE_KEYS = frozenset({"type", "role", "content", "id", "status"})
_CLIENT_OWNED = (*OUTPUT_OF_CALL, "mcp_approval_request")  # what the client answers


@dataclass(frozen=True)
class Queued:
    """An accepted steer: its id, the input as sent, and as input items."""

    id: str
    target: str
    input: Any
    items: list[dict[str, Any]]


@dataclass
class Active:
    """A response being written on this socket, and the steers waiting for it."""

    response_id: str
    stream_id: str | None
    steerable: bool = True  # False: the rule says `steering: refuse`
    queued: list[Queued] = field(default_factory=list)


class Steering:
    """The steering state of one socket."""

    def __init__(self, ids: IdFactory) -> None:
        self._ids = ids
        self._seq = 0
        self.active: dict[str, Active] = {}
        self.pending: dict[str, list[Queued]] = {}  # waiting for the client's tool output
        self._finished: dict[str, str | None] = {}  # response id -> its lane (insertion order)

    def begin(self, response_id: str, stream_id: str | None, steerable: bool) -> Active:
        active = self.active[response_id] = Active(response_id, stream_id, steerable)
        return active

    def end(self, active: Active) -> None:
        self.active.pop(active.response_id, None)
        self._finished[active.response_id] = active.stream_id
        while len(self._finished) > _REMEMBERED:
            del self._finished[next(iter(self._finished))]

    def steer(self, event: Steer) -> dict[str, Any]:
        """Accept a steer (queued on its response) or refuse it: the event that says which."""
        target = event.previous_response_id
        active = self.active.get(target)
        if active is None:
            if target in self._finished:
                return self.failed(
                    event,
                    "response_already_completed",
                    f"Response '{target}' has already completed and no longer "
                    "accepts steering input.",
                    self._finished[target],
                )
            return self.failed(
                event,
                "response_not_found",
                f"Response '{target}' is not running on this connection.",
                None,
            )
        if not active.steerable:
            return self.failed(
                event,
                "steering_not_supported",
                "This response does not support steering.",
                active.stream_id,
            )
        try:
            items = steer_items(event.input)
        except ValueError as exc:
            return self.failed(event, "invalid_input", str(exc), active.stream_id)
        if len(active.queued) >= MAX_PENDING:
            return self.failed(
                event,
                "too_many_pending_steers",
                f"At most {MAX_PENDING} steering inputs may be pending for a response.",
                active.stream_id,
            )
        queued = Queued(self._ids.hex_id("steer"), target, event.input, items)
        active.queued.append(queued)
        steer = {"id": queued.id, "previous_response_id": target}
        return self._event("response.steer.accepted", active.stream_id, steer=steer)

    def pend(self, active: Active, output: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The response stopped for client-owned tool output: its steers wait for the
        client's continuation; one `response.steer.pending` each."""
        stubs = required_input(output)
        self.pending.setdefault(active.response_id, []).extend(active.queued)
        while len(self.pending) > _REMEMBERED:  # the oldest waiting input is let go
            del self.pending[next(iter(self.pending))]
        return [
            self._event(
                "response.steer.pending",
                active.stream_id,
                reason="waiting_for_required_input",
                required_input=stubs,
                steer={"id": q.id, "previous_response_id": q.target},
            )
            for q in active.queued
        ]

    def take_pending(self, previous_response_id: object) -> list[Queued]:
        if not isinstance(previous_response_id, str):
            return []
        return self.pending.pop(previous_response_id, [])

    def failed(
        self, event: Steer | Queued, code: str, message: str, stream_id: str | None
    ) -> dict[str, Any]:
        target = event.previous_response_id if isinstance(event, Steer) else event.target
        steer: dict[str, Any] = {"input": event.input, "previous_response_id": target}
        if isinstance(event, Queued):
            steer["id"] = event.id
        error = {"type": "invalid_request_error", "code": code, "message": message}
        return self._event("response.steer.failed", stream_id, error=error, steer=steer)

    def _event(self, kind: str, stream_id: str | None, **fields: Any) -> dict[str, Any]:
        event: dict[str, Any] = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        if stream_id is not None:
            event["stream_id"] = stream_id
        return event


def is_client_owned(output: list[dict[str, Any]]) -> bool:
    """Whether the response stopped for tool output or an approval only the client can give."""
    return any(item.get("type") in _CLIENT_OWNED for item in output)


def required_input(output: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stubs the client fills in: one per client-owned call of the output."""
    stubs: list[dict[str, Any]] = []
    for item in output:
        kind = item.get("type")
        if kind == "mcp_approval_request":
            stubs.append({"type": "mcp_approval_response", "approval_request_id": item["id"]})
        elif kind in OUTPUT_OF_CALL:
            stub = {"type": OUTPUT_OF_CALL[kind], "call_id": item.get("call_id", "")}
            if kind == "function_call":
                stub["name"] = item.get("name", "")
            stubs.append(stub)
    return stubs


def steer_items(value: Any) -> list[dict[str, Any]]:
    """Steering input as input items; ValueError saying what is not allowed. Only user
    messages (text, image and file parts) may steer, as the API documents."""
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise ValueError("Steering input must be a string or a non-empty array of messages.")
    items = []
    for i, item in enumerate(value):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: expected a message object.")
        if item.get("type", "message") != "message" or item.get("role") != "user":
            raise ValueError(f"{where}: steering accepts only messages with the 'user' role.")
        extra = sorted(set(item) - _MESSAGE_KEYS)
        if extra:
            raise ValueError(f"{where}: unknown field '{extra[0]}' on a steering message.")
        content = item.get("content")
        if isinstance(content, list):
            for j, part in enumerate(content):
                if not isinstance(part, dict) or part.get("type") not in _PART_TYPES:
                    raise ValueError(
                        f"{where}.content[{j}]: expected an input_text, input_image or "
                        "input_file part."
                    )
        elif not isinstance(content, str):
            raise ValueError(f"{where}.content: expected a string or an array of parts.")
        items.append({"type": "message", "role": "user", "content": content})
    return items
