"""Streamed and background answers of /v1/responses: SSE writers, resume, cancel, shutdown.

POST stream=true writes the paced events of the final Response (openai/events.py) itself;
background=true hands the same timeline to a task and answers `queued` at once (or, with
stream=true, follows the task's events). Every stored stream keeps its Run (runs.py), so
GET ?stream=true replays it and follows it live while it still runs.

A foreground stream whose client leaves stops writing at once. The response itself goes on
as if the model kept generating (the real API does not document this case; only `cancel`
stops a response): it reaches its final status on its own timeline, and GET shows it then.
That holds too when the client left before the headers went out: the exchange is then
recorded as 499 (nginx's "client closed request"; nothing was sent), not as a server error.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Mapping, Sequence

from aiohttp import web

from mockserver.appkeys import clock_of
from mockserver.errors import InvalidRequest, invalid_type
from mockserver.faults import admission, stream_actions
from mockserver.http import sse
from mockserver.http.exchange import Exchange
from mockserver.jsonbytes import dumps
from mockserver.openai.event_builder import Part, others
from mockserver.openai.events import StreamOptions, render_events
from mockserver.pipeline.middleware import exchange_of
from mockserver.pipeline.store import StoredResponse
from mockserver.pipeline.turn import Created
from mockserver.streaming.runs import Run
from mockserver.streaming.schedule import Pacing, schedule
from mockserver.streaming.writer import EventAction, ResponseSink, write_paced

TASKS = web.AppKey("stream_tasks", set[asyncio.Task[None]])
_POLL_S = 0.05  # how soon a wait notices that the client left
CLIENT_CLOSED = 499  # the status recorded when the client left before any answer went out
_HEADERS = {"Content-Type": sse.CONTENT_TYPE, "Cache-Control": "no-cache"}
_NO_PACING = Pacing()  # a plan without `stream:` settings
_CANCEL_REFUSED = {
    "completed": "Cannot cancel a completed response.",
    "failed": "Cannot cancel a failed response.",
    "incomplete": "Cannot cancel a response in terminal state.",
}


async def track_background_tasks(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the set of background producers, all cancelled when the app stops."""
    running: set[asyncio.Task[None]] = set()
    app[TASKS] = running
    yield
    tasks = list(running)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def answer(request: web.Request, created: Created) -> web.StreamResponse:
    """The answer to a create request with stream and/or background set."""
    run, frames = _start_run(created)
    req = created.turn.req
    if req.background:
        run.start_producer(request.app[TASKS])
        if not req.stream:
            return web.Response(body=dumps(run.response()), content_type="application/json")
        return await _follow(request, run, 0, req.include_obfuscation)
    return await _write_foreground(request, created, run, frames)


def _start_run(created: Created) -> tuple[Run, sse.Frames]:
    """The Run of the response, and the frames its own stream writes (framed once, here)."""
    run, parts = start_run(created)
    req = created.turn.req
    if req.include_obfuscation or req.background:
        return run, run.frames
    return run, sse.stream_frames(parts, obfuscation=False)


def start_run(created: Created) -> tuple[Run, Sequence[Part]]:
    """The Run of a streamed response and its events, paced and with its stream faults
    applied: what SSE and the WebSocket mode write (each framed its own way). Without
    stream faults the deltas stay `Deltas`, framed from a template: no dict per delta."""
    turn, req, stored = created.turn, created.turn.req, created.stored
    pacing = created.plan.stream if created.plan.stream is not None else _NO_PACING
    # Its own random stream, drawn from the request's: same seed + request, same bytes.
    rng = random.Random(turn.content_rng().getrandbits(64))
    options = StreamOptions(
        chunking=pacing.chunking,
        background=req.background,
        service_tier=req.raw.get("service_tier") or "auto",  # as requested, until done
    )
    rendered = render_events(created.response, rng, options, settle=pacing.draws)
    offsets = schedule(pacing, rendered.roles, rng, rendered.delta_texts)
    # Stream faults reshape the timeline (cut short, failed, incomplete): on the events as
    # dicts, which only a request with faults pays for.
    rf = created.faults
    faulted = admission.shape_stream(rf, rendered.events, offsets) if rf.faults else None
    if faulted is None:
        parts: Sequence[Part] = rendered.parts
        run = Run(sse.stream_frames(parts), offsets, others(parts), stored)
    else:
        parts = faulted.events
        run = Run.of_events(faulted.events, faulted.offsets, stored)
    if stored is not None:
        stored.live = run
    return run, parts


async def _write_foreground(
    request: web.Request, created: Created, run: Run, frames: sse.Frames
) -> web.StreamResponse:
    ex, faulted = created.turn.exchange, created.faults.stream
    response = await _open(request, ex)
    if response is None:
        run.outlive_reader(request.app[TASKS])
        return _client_left()
    run.t0 = run.clock()  # the timeline starts with the headers on the wire
    # What the stream faults do on the wire before given events (cut, stall, raw frames).
    actions: dict[int, EventAction] = {}
    if faulted:
        actions = stream_actions.before_events(faulted, request, response, clock_of(request.app))

    def progress(n: int) -> None:
        run.publish(n)
        ex.events_sent = n

    sink = ResponseSink(request, response)
    try:
        await write_paced(
            frames,
            run.offsets,
            sink,
            clock=run.clock,
            start=run.t0,
            actions=actions,
            on_written=progress,
            close=sink.close if faulted is None else None,  # the end rides with the last frames
        )
        if faulted is not None:  # a slow close holds the end back
            await stream_actions.at_end(faulted, request, response, clock_of(request.app))
        await response.write_eof()
        ex.stream_completed = True
    except (ConnectionResetError, asyncio.CancelledError) as exc:
        ex.stream_completed = False
        run.outlive_reader(request.app[TASKS])
        if isinstance(exc, asyncio.CancelledError):
            raise
    return response


async def _follow(
    request: web.Request, run: Run, first: int, obfuscation: bool
) -> web.StreamResponse:
    """Write a Run's events from `first` on: those already out at once, the rest as they come."""
    ex = exchange_of(request)
    response = await _open(request, ex)
    if response is None:
        return _client_left()
    i = first
    try:
        while i < len(run):
            if run.published > i:
                n, frames = run.published, run.frames
                if obfuscation:
                    await response.write(frames.data[frames.end(i - 1) : frames.end(n - 1)])
                else:
                    await response.write(b"".join(map(sse.unobfuscated, frames[i:n])))
                i = n
                ex.events_sent = i - first
            elif not run.running:
                break  # cancelled: the stream ends without a terminal event
            else:
                await run.wait(i, _POLL_S)
                _check_connected(request)
        ex.stream_completed = i >= len(run)
        await response.write_eof()
    except ConnectionResetError:
        ex.stream_completed = False
    return response


async def _open(request: web.Request, ex: Exchange) -> web.StreamResponse | None:
    """The stream's headers sent; None if the client had already left."""
    ex.stream = True
    ex.stream_completed = False
    response = web.StreamResponse(headers=_HEADERS)
    try:
        await response.prepare(request)
    except ConnectionResetError:  # aiohttp's ClientConnectionResetError: a reset, a close
        ex.notes.append("the client left before the stream's headers were sent")
        return None
    return response


def _client_left() -> web.StreamResponse:
    # What the middleware records; aiohttp's attempt to send it meets the closed connection
    # and ends quietly.
    return web.Response(status=CLIENT_CLOSED)


def _check_connected(request: web.Request) -> None:
    transport = request.transport
    if transport is None or transport.is_closing():
        raise ConnectionResetError("the client left")


# --- GET ?stream=true, cancel, delete -----------------------------------------------------


def wants_stream(query: Mapping[str, str]) -> bool:
    return query.get("stream", "").lower() == "true"


async def replay(request: web.Request, stored: StoredResponse) -> web.StreamResponse:
    """GET ?stream=true[&starting_after=N]: the events after N, then live until the end."""
    run = stored.live
    if run is None:
        raise InvalidRequest(
            "This response cannot be streamed: it was created without stream=true or "
            "background=true.",
            code="invalid_request",
            param="stream",
        )
    first = _starting_after(request.query) + 1
    obfuscation = request.query.get("include_obfuscation", "true").lower() != "false"
    return await _follow(request, run, first, obfuscation)


def _starting_after(query: Mapping[str, str]) -> int:
    raw = query.get("starting_after")
    if raw is None:
        return -1
    try:
        value = int(raw)
    except ValueError:
        raise invalid_type("starting_after", "an integer", raw) from None
    if value < -1:
        raise InvalidRequest(
            f"Invalid 'starting_after': integer below minimum value. Expected a value >= -1, "
            f"but got {value} instead.",
            code="integer_below_min_value",
            param="starting_after",
        )
    return value


def cancel(stored: StoredResponse) -> bytes:
    """Cancel a background response: `cancelled` if it still ran, the API's error if done."""
    run = stored.live
    if run is not None and run.running:
        run.cancel()
    status = str(stored.response().get("status"))
    refused = _CANCEL_REFUSED.get(status)
    if refused is not None:
        raise InvalidRequest(refused, param="response_id")
    return stored.body


def stop(stored: StoredResponse) -> None:
    """A deleted response stops running (its followers' streams end)."""
    if stored.live is not None:
        stored.live.cancel()
