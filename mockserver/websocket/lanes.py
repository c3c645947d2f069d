"""Lanes (`stream_id`): requests on one lane run in order, different lanes concurrently.

A lane exists while it has work: its task runs the queued jobs one after another and ends
when the queue is empty, freeing its slot. At most `limit` lanes are active on a socket (a
new one beyond is refused: `websocket_stream_limit_reached`), and at most `depth` jobs wait
on one lane: what a client can make the server hold is bounded.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from mockserver.websocket.errors import lane_queue_full, stream_limit

Job = Callable[[], Awaitable[None]]
LaneKey = str | None  # None: the lane of creates that name no stream_id


class Lanes:
    def __init__(self, limit: int, depth: int) -> None:
        self.limit, self.depth = limit, depth
        self._queues: dict[LaneKey, deque[Job]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._queues)

    def submit(self, lane: LaneKey, job: Job) -> None:
        """Queue `job` on its lane (starting the lane if idle); MockError if over a bound."""
        queue = self._queues.get(lane)
        if queue is None:
            if len(self._queues) >= self.limit:
                raise stream_limit(self.limit)
            queue = self._queues[lane] = deque([job])
            task = asyncio.create_task(self._run(lane, queue), name=f"ws-lane:{lane}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        if len(queue) > self.depth:  # the running job is queue[0]
            raise lane_queue_full(self.depth)
        queue.append(job)

    async def _run(self, lane: LaneKey, queue: deque[Job]) -> None:
        try:
            while queue:
                await queue[0]()
                queue.popleft()
        finally:
            self._queues.pop(lane, None)

    async def idle(self) -> None:
        """Wait until every lane has finished its work."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel(self) -> None:
        """Stop every lane (the socket closed): running jobs are cancelled, queued ones dropped."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._queues.clear()  # a task cancelled before it ran never cleared its own lane
