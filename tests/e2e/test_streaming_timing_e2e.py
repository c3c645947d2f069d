"""Stream timing on the wire, measured by a client: time to first delta, gaps, no drift.

Tolerances follow the issue: first delta within +-20 ms of ttft, each gap within
+-(jitter + 15) ms of the interval, and the 100th gap no later than one tolerance: the
deadlines are absolute, so sleep overshoot does not pile up over a long stream.
"""

from __future__ import annotations

import gc
import itertools
import json
import time
from pathlib import Path

from aiohttp import ClientSession
from conftest import StartServer
from streamcases import PACED_TEXT, SCENARIO, request_for

from mockserver.openai import tokens
from mockserver.zeroconfig import generate

TTFT_TOLERANCE_MS = 20.0
GAP_TOLERANCE_MS = 15.0


async def arrivals(
    start_server: StartServer, tmp_path: Path, word: str
) -> tuple[float, list[float]]:
    """(ms from response.created to the first delta, ms between consecutive deltas)."""
    # The app loads the tokenizer and faker in a thread at startup; load them now, so that
    # thread has nothing to do while we measure (it would compete for the GIL).
    tokens.warm()
    generate.warm()
    # The test process holds the whole OpenAPI spec: a full collection over it can pause the
    # loop for tens of ms, a cost of this process, not of the server being measured.
    gc.collect()
    gc.freeze()
    path = tmp_path / "streams.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    server = await start_server(seed=7, scenarios=(path,), default_scenario="streams")
    headers = {"Authorization": "Bearer test-key"}
    created_at: float | None = None
    deltas: list[float] = []
    async with (
        ClientSession(base_url=server.root, headers=headers) as http,
        http.post("/v1/responses", json={**request_for(word), "stream": True}) as resp,
    ):
        while block := await resp.content.readuntil(b"\n\n"):
            now = time.monotonic()
            kind = json.loads(block.decode().split("\n")[1][6:])["type"]
            if kind == "response.created":
                created_at = now
            elif kind == "response.output_text.delta":
                deltas.append(now)
    gc.unfreeze()
    assert created_at is not None and len(deltas) == len(PACED_TEXT)
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(deltas)]
    return (deltas[0] - created_at) * 1000, gaps


def problems(ttft: float, gaps: list[float], want_ttft: float, jitter: float) -> list[str]:
    """What is off in one measured stream (empty: within every tolerance)."""
    found = []
    if abs(ttft - want_ttft) > TTFT_TOLERANCE_MS + jitter / 2:
        found.append(f"first delta after {ttft:.1f} ms, want {want_ttft} ms")
    late = [round(g, 1) for g in gaps if abs(g - 20) > jitter + GAP_TOLERANCE_MS]
    if late:
        found.append(f"gaps off by more than {jitter} + {GAP_TOLERANCE_MS} ms: {late}")
    # No cumulative drift: the 100th delta is where the grid puts it.
    end, want_end = ttft + sum(gaps), want_ttft + 100 * 20
    if abs(end - want_end) > TTFT_TOLERANCE_MS + jitter / 2:
        found.append(f"last delta after {end:.1f} ms, want {want_end} ms")
    return found


async def measure(
    start_server: StartServer, tmp_path: Path, word: str, want_ttft: float, jitter: float
) -> list[float]:
    """The gaps of a stream that met every tolerance. A machine shared with other jobs can
    deschedule this process for a timeslice (~20 ms): one retry tells that from a bug."""
    found: list[str] = []
    for _ in range(2):
        ttft, gaps = await arrivals(start_server, tmp_path, word)
        assert len(gaps) == 100
        found = problems(ttft, gaps, want_ttft, jitter)
        if not found:
            return gaps
    raise AssertionError("; ".join(found))


async def test_ttft_interval_and_no_drift(start_server: StartServer, tmp_path: Path) -> None:
    await measure(start_server, tmp_path, "paced", want_ttft=150, jitter=0)


async def test_jitter_stays_within_bounds(start_server: StartServer, tmp_path: Path) -> None:
    gaps = await measure(start_server, tmp_path, "jitter", want_ttft=100, jitter=6)
    assert max(gaps) - min(gaps) > 2, "the gaps do vary"
