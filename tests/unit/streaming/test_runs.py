from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import pytest
from streamcases import CASES

from mockserver.http import sse
from mockserver.openai.event_builder import others
from mockserver.openai.events import StreamOptions, render_events
from mockserver.pipeline.store import Store, StoredResponse
from mockserver.streaming.runs import Run
from mockserver.streaming.schedule import Pacing, schedule


def stored_run(case: str = "web-search", background: bool = False, **pacing: Any) -> Run:
    final = {**CASES[case], "background": background}
    rendered = render_events(final, random.Random(0), StreamOptions(background=background))
    offsets = schedule(Pacing(**pacing), rendered.roles, random.Random(0), rendered.delta_texts)
    store = Store(seed=1, max_stored=10)
    tenant = store.tenant("key")
    stored = StoredResponse(tenant, final, [], None)
    return Run(sse.stream_frames(rendered.parts), offsets, others(rendered.parts), stored)


def body(run: Run) -> dict[str, object]:
    assert run.stored is not None
    value: dict[str, object] = json.loads(run.stored.body)
    return value


def index_of(run: Run, kind: str, nth: int = 1) -> int:
    hits = [i for i, e in enumerate(run.events) if e["type"] == kind]
    return hits[nth - 1]


def test_the_stored_response_follows_what_was_published() -> None:
    run = stored_run()
    assert body(run)["status"] == "in_progress" and body(run)["output"] == []
    first_done = index_of(run, "response.output_item.done")
    run.publish(first_done + 1)
    assert body(run)["status"] == "in_progress"
    assert body(run)["output"] == [CASES["web-search"]["output"][0]]
    run.publish(len(run.events))
    assert body(run) == {**CASES["web-search"], "background": False}
    assert run.state == "finished" and not run.running


def test_a_background_run_starts_queued() -> None:
    run = stored_run(background=True)
    assert body(run)["status"] == "queued"
    run.publish(3)  # created, queued, in_progress
    assert body(run)["status"] == "in_progress"


def test_cancel_ends_the_run_as_the_api_shows_it() -> None:
    run = stored_run(background=True)
    run.publish(index_of(run, "response.output_item.done") + 1)
    run.cancel()
    assert (body(run)["status"], body(run)["output"], body(run)["usage"]) == ("cancelled", [], None)
    run.publish(len(run.events))  # a late producer changes nothing
    assert body(run)["status"] == "cancelled" and run.state == "cancelled"
    run.cancel()
    assert run.state == "cancelled"


async def test_wait_wakes_on_publish_and_times_out() -> None:
    run = stored_run()
    start = time.monotonic()
    await run.wait(0, 0.05)
    assert time.monotonic() - start >= 0.04
    waiter = asyncio.ensure_future(run.wait(0, 5))
    await asyncio.sleep(0)
    run.publish(2)
    await asyncio.wait_for(waiter, 1)
    await run.wait(0, 5)  # already past: returns at once


async def test_the_producer_keeps_to_the_timeline() -> None:
    run = stored_run(ttft_ms=30, interval_ms=5)
    tasks: set[asyncio.Task[None]] = set()
    start = time.monotonic()
    task = run.start_producer(tasks)
    assert task in tasks
    await asyncio.sleep(0.01)
    assert 0 < run.published < len(run.events)  # created and in_progress are out
    await asyncio.wait_for(task, 2)
    assert time.monotonic() - start >= 0.03
    assert run.state == "finished" and not tasks
    assert body(run)["status"] == "completed"


async def test_cancel_stops_the_producer() -> None:
    run = stored_run(background=True, queued_ms=1000)
    tasks: set[asyncio.Task[None]] = set()
    task = run.start_producer(tasks)
    await asyncio.sleep(0.01)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not tasks and body(run)["status"] == "cancelled"


def test_a_run_needs_a_response_event() -> None:
    with pytest.raises(ValueError, match=r"response\.created"):
        Run.of_events([{"type": "error", "sequence_number": 0}], [0.0])


@pytest.mark.parametrize("background", [False, True])
@pytest.mark.parametrize("case", CASES)
def test_the_body_cut_from_frames_is_the_dumped_response(case: str, background: bool) -> None:
    """A Run keeps the Response as JSON bytes cut out of its frames, and a batch that reaches
    the end skips the moves before it: the stored bytes are what dumping each state writes,
    event by event or all at once."""
    from mockserver.jsonbytes import dumps_to_keep

    one_by_one, at_once = stored_run(case, background), stored_run(case, background)
    assert body(one_by_one) == run_events_response(one_by_one, 0)
    for n in range(1, len(one_by_one) + 1):
        one_by_one.publish(n)
        assert one_by_one.stored is not None
        assert one_by_one.stored.body == dumps_to_keep(body(one_by_one))
    at_once.publish(len(at_once))
    assert at_once.stored is not None and one_by_one.stored is not None
    assert at_once.stored.body == one_by_one.stored.body
    assert body(at_once) == {**CASES[case], "background": background}
    assert at_once.response() == body(at_once)


def run_events_response(run: Run, i: int) -> Any:
    return run.events[i]["response"]
