"""A Run: the timeline of one streamed or background response, shared by everyone watching it.

The events and their offsets are fixed when the response is created. One producer moves a
Run along its timeline -- the writer of a foreground stream, or a background task -- by
publishing how many events are out; the stored Response follows (queued, in_progress with
the items finished so far, then final), and followers (a background stream, GET
?stream=true) are woken to write what was published. A Run outlives its stream: its frames
stay for replay once it is finished.

A Run keeps each event once, as its SSE frame (bytes: compact, and not tracked by the
garbage collector), plus where the few events that move the stored Response are (lifecycle,
items done, terminal): an item or the final Response is read back from its frame when it is
applied. Publishing a delta is then a counter update: a stream of hundreds of deltas under
load does no per-delta work here beyond that.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from mockserver.http import sse
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
        frames: list[bytes],
        offsets: Sequence[float],
        shown: Iterable[tuple[int, Event]],
        stored: StoredResponse | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`frames`: every event's SSE frame (with obfuscation); `shown`: (index, event) of
        the events other than deltas, in order (the Run reads the response, the items and
        the lifecycle from them; deltas only move the count)."""
        self.frames = frames
        self.offsets = array("d", offsets)  # 8 bytes an offset, not a float object each
        self.stored = stored
        self.clock = clock
        self.t0 = clock()  # offsets count from here
        self.published = 0
        self.state: State = "running"
        self.task: asyncio.Task[None] | None = None  # the background producer, if any
        # (index, type, status) of the events that move the stored Response and are not out
        # yet, dropped once applied. An item or a final Response is read back from its frame
        # when applied: an open stream keeps its events once, as bytes.
        shown = list(shown)
        self._moves = deque(
            (i, kind, e["response"]["status"] if kind in LIFECYCLE else "")
            for i, e in shown
            if (kind := e.get("type")) in _MOVES
        )
        self._response: dict[str, Any] = _first_response(e for _, e in shown)
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
        return cls(sse.frames(events), offsets, enumerate(events), stored, clock)

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def events(self) -> list[Event]:
        """The events, parsed back from their frames (for replay tools and tests)."""
        return [sse.parse_frame(f) for f in self.frames]

    @property
    def running(self) -> bool:
        return self.state == "running"

    def response(self) -> dict[str, Any]:
        """The Response as it stands now (what GET returns)."""
        return self._response

    def publish(self, n: int) -> None:
        """Events [0, n) are out: move the Response along and wake the followers."""
        if self.state == "cancelled":
            return
        moves, changed = self._moves, False
        while moves and moves[0][0] < n:
            self._apply(*moves.popleft())
            changed = True
        if n > self.published:
            self.published = n
        if self.published >= len(self.frames) and self.running:
            self.state = "finished"
        if changed:
            self._save()
        self._wake()

    def _apply(self, i: int, kind: str, status: str) -> None:
        if kind in LIFECYCLE:
            self._response = {**self._response, "status": status}
        elif kind == "response.output_item.done":
            self._items.append(sse.parse_frame(self.frames[i])["item"])
            self._response = {**self._response, "output": list(self._items)}
        else:
            self._response = sse.parse_frame(self.frames[i])["response"]

    def cancel(self) -> None:
        """Stop producing; the Response ends `cancelled` (as the API shows it: no output)."""
        if not self.running:
            return
        self.state = "cancelled"
        if self.task is not None:
            self.task.cancel()
        self._response = snapshot(self._response, "cancelled")
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
            [b""] * len(self.frames),
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
        if self.stored is not None:
            self.stored.update(self._response)


def _first_response(events: Iterable[Event]) -> dict[str, Any]:
    for event in events:
        if isinstance(event.get("response"), dict):
            response: dict[str, Any] = event["response"]
            return response
    raise ValueError("a stream starts with response.created")
