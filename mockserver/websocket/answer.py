"""One response.create on a lane: the create pipeline's steps 2-8, then the events.

run_create(conn, event)
  an exchange record (transport "websocket"), journaled like an HTTP request's
  pipeline.create.create   the same steps as POST /v1/responses (validation, scenario,
                           model rules, rate limits, chaos, the rule's error and faults,
                           render, store); a refusal is one `error` event on the lane
  stream                   the events of streamed.start_run (the SSE timeline: same
                           events, pacing and stream faults), each one text frame with
                           the lane's stream_id, written by the one paced writer;
                           stream-fault actions map to the socket (`_perform`)
  steering                 at each safe boundary a queued steer ends the response
                           `incomplete` (steered); then the automatic successor
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver.errors import MockError, ServerError
from mockserver.faults.admission import RequestFaults
from mockserver.faults.spec import FaultSpec, Trigger
from mockserver.faults.stream_faults import Action, fault_stream
from mockserver.faults.stream_faults import error_event as stream_error_event
from mockserver.faults.transport import DROPPED_STATUS, is_pre_answer
from mockserver.http import sse
from mockserver.http.body import parse_json_object
from mockserver.http.exchange import Exchange
from mockserver.jsonbytes import dumps
from mockserver.openai.event_builder import flatten, others
from mockserver.pipeline import create, streamed
from mockserver.pipeline.middleware import close_exchange, open_exchange
from mockserver.pipeline.store import StoredResponse
from mockserver.pipeline.turn import Created
from mockserver.streaming.runs import TERMINAL, Run
from mockserver.streaming.writer import EventAction, write_paced
from mockserver.websocket import codec
from mockserver.websocket.errors import error_event
from mockserver.websocket.steering import Active, Queued, is_client_owned

if TYPE_CHECKING:
    from mockserver.websocket.session import Connection

log = logging.getLogger("mockserver")

PATH = "/v1/responses"
METHOD = "WS"  # how the journal and access log name a response.create over the socket
INTERNAL_ERROR = 1011  # the close code of a scripted disconnect (the SDKs reconnect on it)
_SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
# A text frame whose payload is not UTF-8: the client fails the connection (1007).
_NOT_UTF8_FRAME = codec.text_frame(b'{"type":"response.output_text.delta","delta":"\xff\xfe"}')


class _SocketGone(Exception):
    """The socket is gone or closed by a fault: nothing more goes out on it."""


class _LaneEnded(Exception):
    """This response's events end here (an `error` event, no terminal); the lane goes on."""


class Steered(Exception):
    """A queued steer: the response yields before event `index`."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


@dataclass(frozen=True)
class Ended:
    """A pre-answer fault ended the exchange (the socket was closed or dropped)."""

    fault: str


async def run_create(conn: Connection, event: codec.Create, steers: Sequence[Queued] = ()) -> None:
    """A response.create (or the automatic successor of `steers`) from request to last event."""
    ex = open_exchange(conn.app, METHOD, PATH, 0)
    ex.transport, ex.tenant = "websocket", conn.tenant.name
    start = time.perf_counter()
    try:
        body = _with_pending(conn, event.body)
        incoming = create.Incoming(body, conn.tenant, conn.api_key, ex, conn.headers, conn.kept)
        created = await create.create(conn.app, incoming, _SocketTransport(conn))
        if isinstance(created, Ended):
            ex.status = DROPPED_STATUS
            return
        ex.status = 200
        await _stream(conn, created, event.stream_id, ex)
    except MockError as exc:
        ex.status, ex.error_code = exc.status, exc.code or exc.type
        _refused(conn, exc, event.stream_id, steers)
    except (ConnectionResetError, _SocketGone):
        ex.stream_completed = False if ex.stream else None
    except Exception:  # a bug in the mock: an error event, never a traceback or a dead lane
        log.exception("unhandled error on a WebSocket response.create")
        ex.status, ex.error_code = 500, "server_error"
        _refused(conn, ServerError(_SERVER_ERROR), event.stream_id, steers)
    finally:
        ex.duration_ms = (time.perf_counter() - start) * 1000
        close_exchange(conn.app, ex)


def _refused(
    conn: Connection, exc: MockError, stream_id: str | None, steers: Sequence[Queued]
) -> None:
    if not conn.alive:
        return
    if not steers:
        conn.send(error_event(exc, stream_id))
        return
    for queued in steers:  # the successor could not be made: the input goes back
        conn.send(conn.steering.failed(queued, "successor_creation_failed", exc.message, stream_id))


def _with_pending(conn: Connection, body: bytes) -> bytes:
    """An explicit continuation of a response that waits with steering input: that input
    first, in submission order (steering.py)."""
    if b'"previous_response_id"' not in body:
        return body
    request = parse_json_object(body)
    given = request.get("input", [])
    if isinstance(given, str):
        given = [{"type": "message", "role": "user", "content": given}]
    if not isinstance(given, list):
        return body  # validation refuses it; the steers stay queued
    queued = conn.steering.take_pending(request.get("previous_response_id"))
    if not queued:
        return body
    request["input"] = [item for q in queued for item in q.items] + given
    return dumps(request)


class _SocketTransport:
    """Pre-answer faults on a socket: a latency or stall waits; the others end the exchange
    as the socket can (reset: dropped; close, garbage, html_error: closed with 1011)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def began(self, rf: RequestFaults) -> None:
        return None  # no headers: a 429's rate-limit headers ride on its error event

    async def before_answer(self, rf: RequestFaults, faults: Sequence[FaultSpec]) -> Ended | None:
        for fault in faults:
            if not is_pre_answer(fault):
                continue
            if fault.kind == "latency":
                assert fault.delay is not None
                await _sleep_ms(self._conn, fault.delay.sample_ms(rf.rng))
            elif fault.kind == "stall":
                await _sleep_ms(self._conn, fault.ms)
            elif fault.kind == "reset":
                self._conn.drop()
                return Ended(fault.kind)
            else:
                await self._conn.close(INTERNAL_ERROR, f"fault: {fault.kind}")
                return Ended(fault.kind)
        return None


async def _sleep_ms(conn: Connection, ms: float | None) -> None:
    """Wait `ms` (None: until the socket closes); _SocketGone if it closes first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(conn.closed.wait(), None if ms is None else ms / 1000)
    if not conn.alive:
        raise _SocketGone("the client left during a stall")


class _SocketSink:
    """The paced writer's sink: frames straight onto the socket's transport."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def alive(self) -> bool:
        return self._conn.alive

    def write_now(self, data: bytes) -> bool:
        self._conn.write(data)
        return True

    async def write(self, data: bytes) -> None:
        self._conn.write(data)

    def blocked(self) -> bool:
        return self._conn.blocked()


async def _stream(conn: Connection, created: Created, stream_id: str | None, ex: Exchange) -> None:
    run, parts = streamed.start_run(created)
    steering = created.plan.steering
    active = conn.steering.begin(created.response["id"], stream_id, steering != "refuse")
    ex.stream, ex.stream_completed = True, False
    # The events as the Run encoded them (once), without obfuscation if the request says so.
    sse_frames: Sequence[bytes] = run.frames
    if not created.turn.req.include_obfuscation:
        sse_frames = [sse.unobfuscated(f) for f in sse_frames]
    frames = codec.frames_of(sse_frames, stream_id)
    rf = created.faults
    for i, event in others(parts):  # an SSE-only (flat) error event: the socket's shape
        if event.get("type") == "error" and "error" not in event:
            frames[i] = codec.text_frame(codec.encode(_ws_error(event, rf), stream_id))
    faulted = rf.stream
    fault_actions = faulted.actions if faulted is not None else {}
    boundaries = _boundaries(dict(others(parts)), len(run)) if steering == "item" else set()
    actions: dict[int, EventAction] = {}
    for i in sorted(set(fault_actions) | boundaries):
        if i < len(run):
            at_boundary = active if i in boundaries else None
            actions[i] = _step(conn, stream_id, rf, fault_actions.get(i, []), at_boundary, i)

    def progress(n: int) -> None:
        run.publish(n)
        ex.events_sent = n

    run.t0 = run.clock()
    try:
        await write_paced(
            sse.Frames.of(frames),
            run.offsets,
            _SocketSink(conn),
            clock=run.clock,
            start=run.t0,
            actions=actions,
            on_written=progress,
        )
        for action in fault_actions.get(len(run), []):
            await _perform(conn, stream_id, action, rf)
        ex.stream_completed = True
    except Steered as steered:
        run = _yield(conn, created, run, flatten(parts), steered.index, stream_id, ex)
    except _LaneEnded:
        _not_active(conn, active)  # its events ended without a terminal event
        return
    except (ConnectionResetError, _SocketGone, asyncio.CancelledError):
        run.outlive_reader(conn.app[streamed.TASKS])
        raise
    finally:
        conn.steering.end(active)
        if created.stored is None:  # store: false, kept on this socket (as it stands now)
            turn = created.turn
            conn.keep(
                StoredResponse(
                    turn.tenant, run.response(), turn.req.input_items, turn.req.previous_response_id
                )
            )
    if active.queued:
        await _after_steered(conn, created, run, active)


def _boundaries(shown: Mapping[int, Mapping[str, Any]], n: int) -> set[int]:
    """Where a response may yield to steering: before the event after an output item is
    done, unless that event ends the response (then it completes, and the successor
    follows). Only a response whose events end with its terminal event can yield.
    `shown`: the n events but the deltas, by index (a delta neither ends an item nor the
    response)."""
    last = shown.get(n - 1)
    if last is None or last.get("type") not in TERMINAL:
        return set()
    return {
        i + 1
        for i, event in shown.items()
        if event.get("type") == "response.output_item.done"
        and i + 1 < n
        and (shown.get(i + 1) or {}).get("type") not in TERMINAL
    }


def _step(
    conn: Connection,
    stream_id: str | None,
    rf: RequestFaults,
    actions: list[Action],
    at_boundary: Active | None,
    i: int,
) -> EventAction:
    """What runs before event i: its fault actions, then (at a boundary) a queued steer."""

    async def run() -> None:
        for action in actions:
            await _perform(conn, stream_id, action, rf)
        if at_boundary is not None and at_boundary.queued:
            raise Steered(i)

    return run


async def _perform(
    conn: Connection, stream_id: str | None, action: Action, rf: RequestFaults
) -> None:
    """A stream fault's action, on the socket (the SSE writer's are faults/stream_actions.py)."""
    kind = action.kind
    if kind in ("stall", "hold"):
        await _sleep_ms(conn, action.ms)
    elif kind == "raw":
        conn.write(_raw_frame(action, stream_id, rf))
    elif kind == "end":
        raise _LaneEnded(action.fault)
    elif kind == "reset":
        conn.drop()
        raise _SocketGone(action.fault)
    elif kind == "malformed_chunk":
        conn.write(_NOT_UTF8_FRAME)
        conn.drop()
        raise _SocketGone(action.fault)
    else:  # disconnect: a close frame with the fault's code (default 1011: SDKs reconnect)
        await conn.close(action.close_code, f"fault: {action.fault}")
        raise _SocketGone(action.fault)
    if action.wait_ms:
        await _sleep_ms(conn, action.wait_ms)


def _raw_frame(action: Action, stream_id: str | None, rf: RequestFaults) -> bytes:
    """A raw SSE frame of a stream fault, as a WebSocket message: its event (an `error` event
    in the socket's shape), or, when its data is not JSON (a malformed frame), that data."""
    data = action.data
    try:
        event = sse.parse_frame(data)
    except ValueError:
        return codec.text_frame(data[data.index(b"data: ") + 6 :].rstrip(b"\n"))
    if event.get("type") == "error":
        event = _ws_error(event, rf)
    return codec.text_frame(codec.encode(event, stream_id))


def _ws_error(event: dict[str, Any], rf: RequestFaults) -> dict[str, Any]:
    """An `error` event of the stream in the spec's ResponseWsError shape: the nested one,
    whatever a fault's `shape:` says (the flat form is SSE's only), built from the fault's
    error (the one whose code it carries) as stream_faults builds every error event."""
    if "error" in event:
        return event
    code = event.get("code")
    spec = next((f.error for f in rf.faults if f.error is not None and f.error.code == code), None)
    return stream_error_event(spec, "nested", event["sequence_number"], rf.error_context())


def _yield(
    conn: Connection,
    created: Created,
    run: Run,
    events: Sequence[dict[str, Any]],
    index: int,
    stream_id: str | None,
    ex: Exchange,
) -> Run:
    """The response ends `incomplete` (reason `steered`) before event `index`: the stream
    faults' own cut (stream_faults.fault_stream), decided late. Its Run is replaced."""
    steered = FaultSpec(kind="incomplete", reason="steered", trigger=Trigger(after_events=index))
    cut = fault_stream(events, run.offsets, [steered])
    after = Run.of_events(cut.events, cut.offsets, created.stored, clock=run.clock)
    after.t0 = run.t0
    if created.stored is not None:
        created.stored.live = after
    conn.write(b"".join(codec.text_frame(codec.encode(e, stream_id)) for e in cut.events[index:]))
    after.publish(len(cut.events))
    ex.events_sent = len(cut.events)
    ex.stream_completed = True
    ex.notes.append(f"steered: yielded before event {index}")
    return after


async def _after_steered(conn: Connection, created: Created, run: Run, active: Active) -> None:
    """Queued steers, once the response ended: pending while it waits for the client's tool
    output, else the automatic successor (it inherits the request's settings)."""
    response = run.response()
    output = response.get("output") or []
    if response.get("status") not in ("completed", "incomplete"):
        _not_active(conn, active)  # a failed response has no continuation
        return
    if response.get("status") == "completed" and is_client_owned(output):
        for event in conn.steering.pend(active, output):
            conn.send(event)
        return
    body = dict(created.turn.req.raw)
    body["input"] = [item for q in active.queued for item in q.items]
    body["previous_response_id"] = active.response_id
    body["stream"] = True
    successor = codec.Create(dumps(body), active.stream_id)
    await run_create(conn, successor, active.queued)


def _not_active(conn: Connection, active: Active) -> None:
    """The response ended in a way no successor can follow: its steers come back."""
    message = f"Response '{active.response_id}' is no longer accepting steering input."
    for queued in active.queued:
        conn.send(conn.steering.failed(queued, "response_not_active", message, active.stream_id))
