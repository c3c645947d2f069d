"""The WebSocket mode's `error` events (the spec's ResponseWsError) and its own refusals.

An error that HTTP would answer with a status (a bad request, a 429, a scripted error) is,
over the socket, one event: `{"type": "error", "status", "error": {type, code, message,
param[, headers]}[, "stream_id"]}`. The socket stays open: the API refuses a request, not
the connection.
"""

from __future__ import annotations

from typing import Any

from mockserver.errors import InvalidRequest, MockError


def error_event(exc: MockError, stream_id: str | None) -> dict[str, Any]:
    """The ResponseWsError of a refused client event (its lane echoed when it named one)."""
    error: dict[str, Any] = {
        "type": exc.type,
        "code": exc.code,
        "message": exc.message,
        "param": exc.param,
    }
    if exc.headers:
        error["headers"] = dict(exc.headers)  # a 429's retry-after and x-ratelimit-*
    event: dict[str, Any] = {"type": "error", "status": exc.status, "error": error}
    if stream_id is not None:
        event["stream_id"] = stream_id
    return event


def stream_limit(limit: int) -> InvalidRequest:
    """A new lane while `limit` lanes already run on this socket (the spec's example)."""
    return InvalidRequest(
        f"This WebSocket connection has reached its stream limit ({limit} concurrent streams).",
        code="websocket_stream_limit_reached",
        param="stream_id",
    )


def lane_queue_full(limit: int) -> InvalidRequest:
    """More requests queued on one lane than it holds (a bound on what a client can pile up)."""
    return InvalidRequest(
        f"Too many requests queued on this stream: at most {limit} wait behind the running one.",
        code="websocket_stream_queue_full",
        param="stream_id",
    )
