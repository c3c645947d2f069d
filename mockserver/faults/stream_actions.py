"""The stream writer's side of stream faults: a FaultedStream's actions, run on the wire.

`before_events(stream, request, response)` maps event index i to the step the writer awaits
once event i is due, before it is written. A step that ends the stream raises `StreamCut`
(a ConnectionResetError, so a writer that already handles a vanished client handles it
too); a stall that outlives the client raises ConnectionResetError as well.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from mockserver.clock import SYSTEM_CLOCK, Clock
from mockserver.faults import transport
from mockserver.faults.stream_faults import Action, FaultedStream

Step = Callable[[], Awaitable[None]]
KEEPALIVE = b": keep-alive\n\n"


class StreamCut(ConnectionResetError):
    """A scripted fault ended the stream (the connection is closed or reset)."""


def before_events(
    stream: FaultedStream,
    request: web.Request,
    response: web.StreamResponse,
    clock: Clock = SYSTEM_CLOCK,
) -> dict[int, Step]:
    """One step per event index that has actions (indexes past the last event excluded)."""
    return {
        index: _step(actions, request, response, clock)
        for index, actions in stream.actions.items()
        if index < len(stream.events)
    }


async def at_end(
    stream: FaultedStream,
    request: web.Request,
    response: web.StreamResponse,
    clock: Clock = SYSTEM_CLOCK,
) -> None:
    """Run the actions after the last event (a slow close, a cut after everything)."""
    actions = stream.actions.get(len(stream.events), [])
    if actions:
        await _step(actions, request, response, clock)()


def _step(
    actions: list[Action], request: web.Request, response: web.StreamResponse, clock: Clock
) -> Step:
    async def run() -> None:
        for action in actions:
            await perform(action, request, response, clock)

    return run


async def perform(
    action: Action, request: web.Request, response: web.StreamResponse, clock: Clock
) -> None:
    if action.kind in ("stall", "hold"):
        await _stall(action, request, response, clock)
    elif action.kind == "raw":
        await response.write(action.data)
    else:
        _cut(action, request)
        # `end` leaves the connection open: the writer's caller ends the body cleanly.
        raise StreamCut(f"stream cut by fault {action.fault}")
    if action.wait_ms:
        await clock.sleep(action.wait_ms / 1000)


def _cut(action: Action, request: web.Request) -> None:
    if action.kind == "reset":
        transport.reset(request)
    elif action.kind == "malformed_chunk":
        transport.write_raw(request, transport.malformed_chunk(b'data: {"type":"response"}\n\n'))
        transport.close(request)
    elif action.kind == "disconnect":
        transport.close(request)


async def _stall(
    action: Action, request: web.Request, response: web.StreamResponse, clock: Clock
) -> None:
    """Pause the stream (with `: keep-alive` comments if asked); ends early if the client goes."""
    every = action.keepalive_ms
    if action.kind == "hold" or not every:
        if not await transport.stall(request, action.ms, clock):
            raise ConnectionResetError("client left during a stall")
        return
    deadline = None if action.ms is None else clock.monotonic() + action.ms / 1000
    while True:
        left = every / 1000 if deadline is None else min(every / 1000, deadline - clock.monotonic())
        if left > 0 and not await transport.stall(request, left * 1000, clock):
            raise ConnectionResetError("client left during a stall")
        if deadline is not None and clock.monotonic() >= deadline:
            return
        await response.write(KEEPALIVE)
