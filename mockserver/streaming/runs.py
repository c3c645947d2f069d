"""A Run: the timeline of one streamed or background response, shared by everyone watching it.

The events and their offsets are fixed when the response is created. One producer moves a
Run along its timeline -- the writer of a foreground stream, or a background task -- by
publishing how many events are out; the stored Response follows (queued, in_progress with
the items finished so far, then final), and followers (a background stream, GET
?stream=true) are woken to write what was published. A Run outlives its stream: its frames
stay for replay once it is finished.

A Run keeps each event once, as its SSE frame, all of them joined in one bytes
(http/sse.Frames: compact, not tracked by the garbage collector, what its stream writes),
plus where the few events that move the stored Response are (lifecycle, items done,
terminal). The Response it stands at is kept as JSON bytes, what the store
keeps: the first and the final one are cut out of their events' frames (no parse, no
encoding); an item done is read back from its frame, and the Response made a dict, only when
a move needs it. A batch that reaches the terminal event skips the moves it overtakes.
Publishing a delta is then a counter update: a stream of hundreds of deltas under load does
no per-delta work here beyond that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from struct import pack
from typing import TYPE_CHECKING, Any, Literal

from mockserver.http import sse
from mockserver.jsonbytes import dumps_to_keep
from mockserver.openai.events import snapshot
from mockserver.streaming.writer import DiscardSink, write_paced

if TYPE_CHECKING:  # a Run updates the stored response it belongs to (pipeline/ makes both)
    from mockserver.pipeline.store import StoredResponse

Event = dict[str, Any]
State = Literal["running", "finished", "cancelled"]
TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})
LIFECYCLE = frozenset({"response.created", "response.queued", "response.in_progress"})
_MOVES = TERMINAL | LIFECYCLE | {"response.output_item.done"}


class Run:
    def __init__(
        self,
        frames: sse.Frames,
        offsets: Sequence[float],
        shown: Iterable[tuple[int, Event]],
        stored: StoredResponse | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`frames`: every event's SSE frame (with obfuscation); `shown`: (index, event) of
        the events other than deltas, in order (the Run reads the response, the items and
        the lifecycle from them; deltas only move the count)."""
        self.frames = frames
        self.offsets = _doubles(offsets)  # 8 bytes an offset, not a float object each
        self.stored = stored
        self.clock = clock
        self.t0 = clock()  # offsets count from here
        self.published = 0
        self.state: State = "running"
        self.task: asyncio.Task[None] | None = None  # the background producer, if any
        # (index, type, status) of the events that move the stored Response and are not out
        # yet, dropped once applied: an open stream keeps its events once, as bytes.
        shown = list(shown)
        self._moves = deque(
            (i, kind, e["response"]["status"] if kind in LIFECYCLE else "")
            for i, e in shown
            if (kind := e.get("type")) in _MOVES
        )
        # The Response as it stands: its JSON bytes (what the store keeps), and the same as a
        # dict only once something needs it (`response()`, an item joining its output).
        i, kind, first = _first_response(shown)
        self._status = str(first.get("status"))
        self._body = _response_json(frames, i, kind) or dumps_to_keep(first)
        self._response: dict[str, Any] | None = None
        self._items: list[dict[str, Any]] = []
        self._changed: asyncio.Event | None = None  # made when someone waits
        self._save()

    @classmethod
    def of_events(
        cls,
        events: Sequence[Event],
        offsets: Sequence[float],
        stored: StoredResponse | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> Run:
        """The Run of a list of events (a stream reshaped by its faults)."""
        return cls(sse.Frames.of(sse.frames(events)), offsets, enumerate(events), stored, clock)

    def __len__(self) -> int:
        return self.frames.n

    @property
    def events(self) -> list[Event]:
        """The events, parsed back from their frames (for replay tools and tests)."""
        return [sse.parse_frame(f) for f in self.frames]

    @property
    def running(self) -> bool:
        return self.state == "running"

    def response(self) -> dict[str, Any]:
        """The Response as it stands now (what GET returns)."""
        if self._response is None:
            self._response = json.loads(self._body)
        return self._response

    def publish(self, n: int) -> None:
        """Events [0, n) are out: move the Response along and wake the followers."""
        if self.state == "cancelled":
            return
        moves, changed = self._moves, False
        if moves and moves[-1][0] < n and moves[-1][1] in TERMINAL:
            # The end is out: the moves before it are overtaken by the final Response.
            i, kind, _ = moves[-1]
            moves.clear()
            self._final(i, kind)
            changed = True
        while moves and moves[0][0] < n:
            changed = self._apply(*moves.popleft()) or changed
        if n > self.published:
            self.published = n
        if self.published >= self.frames.n and self.running:
            self.state = "finished"
        if self._changed is not None:  # `_wake`, inline: most publishes have no follower
            self._changed.set()
            self._changed = None
        if changed:
            self._save()

    def _apply(self, i: int, kind: str, status: str) -> bool:
        """Apply the move of event i; whether the Response changed."""
        if kind in LIFECYCLE:
            if status == self._status:  # response.in_progress after created: no change
                return False
            self._set({**self.response(), "status": status})
        elif kind == "response.output_item.done":
            self._items.append(sse.parse_frame(self.frames[i])["item"])
            self._set({**self.response(), "output": list(self._items)})
        else:
            self._final(i, kind)
        return True

    def _set(self, response: dict[str, Any]) -> None:
        self._response, self._status = response, str(response.get("status"))
        self._body = b""  # written when saved

    def _final(self, i: int, kind: str) -> None:
        """The Response of terminal event i, its JSON cut out of the event's frame."""
        body = _response_json(self.frames, i, kind)
        if body is None:
            self._set(sse.parse_frame(self.frames[i])["response"])
        else:  # its status is read from the dict if a later move needs it
            self._body, self._response, self._status = body, None, ""

    def cancel(self) -> None:
        """Stop producing; the Response ends `cancelled` (as the API shows it: no output)."""
        if not self.running:
            return
        self.state = "cancelled"
        if self.task is not None:
            self.task.cancel()
        self._set(snapshot(self.response(), "cancelled"))
        self._save()
        self._wake()

    async def wait(self, seen: int, timeout: float) -> None:
        """Until more than `seen` events are out, the Run ends, or `timeout` seconds pass."""
        if self.published > seen or not self.running:
            return
        if self._changed is None:
            self._changed = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    def outlive_reader(self, tasks: set[asyncio.Task[None]]) -> None:
        """Its reader left: a stored response still running goes on to its final status on
        its own timeline (the model does not notice a client leaving)."""
        if self.running and self.stored is not None:
            self.start_producer(tasks)

    def start_producer(self, tasks: set[asyncio.Task[None]]) -> asyncio.Task[None]:
        """Publish the rest of the timeline on time from a background task (tracked in tasks)."""
        self.task = asyncio.get_running_loop().create_task(self._produce())
        tasks.add(self.task)
        self.task.add_done_callback(tasks.discard)
        return self.task

    async def _produce(self) -> None:
        # Progress only: the timer moves the Run along; this task wakes once, at the end.
        await write_paced(
            self.frames,
            self.offsets,
            DiscardSink(),
            clock=self.clock,
            start=self.t0,
            first=self.published,
            on_written=self.publish,
        )

    def _wake(self) -> None:
        # Only followers wait on the Event: with none (a plain stream), nothing to make.
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def _save(self) -> None:
        if not self._body:
            self._body = dumps_to_keep(self.response())
        if self.stored is not None:
            self.stored.update(self._body, self._response)


def _doubles(offsets: Sequence[float]) -> array[float]:
    """The offsets as an array of doubles. `array("d", a list)` converts each float through
    PyArg_Parse (~250 instructions an offset: 50k for a 200-delta stream); a zero-delay
    stream's are all zero bytes, and `struct` packs the others in C at about half the cost.
    Offsets never decrease from a first one >= 0 (the writer bisects them): they are all zero
    when the last one is, which `any` would find only after a step per offset."""
    if not offsets or offsets[-1] == 0:
        return array("d", bytes(8 * len(offsets)))
    return array("d", pack(f"{len(offsets)}d", *offsets))


def _first_response(shown: Iterable[tuple[int, Event]]) -> tuple[int, str, dict[str, Any]]:
    for i, event in shown:
        if isinstance(event.get("response"), dict):
            response: dict[str, Any] = event["response"]
            return i, str(event.get("type")), response
    raise ValueError("a stream starts with response.created")


def _response_json(frames: sse.Frames, i: int, kind: str) -> bytes | None:
    """The JSON of the Response in frame i, an event of type `kind`, cut straight out of the
    frames' bytes (`sse.frame` writes it last, as it is written alone); None for a frame of
    another shape."""
    head = b'event: %b\ndata: {"type":"%b","sequence_number":%d,"response":' % (
        kind.encode(),
        kind.encode(),
        i,
    )
    data, start, end = frames.data, frames.end(i - 1), frames.end(i)
    if data.startswith(head, start, end) and data.endswith(b"}\n\n", start, end):
        return data[start + len(head) : end - 3]
    return None
