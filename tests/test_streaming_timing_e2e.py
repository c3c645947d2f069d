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

import pytest
from aiohttp import ClientSession
from conftest import StartServer
from streamcases import PACED_TEXT, SCENARIO, request_for

from mockserver import tokens
from mockserver.render import generate

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


async def test_ttft_interval_and_no_drift(start_server: StartServer, tmp_path: Path) -> None:
    ttft, gaps = await arrivals(start_server, tmp_path, "paced")  # ttft 150, interval 20
    assert ttft == pytest.approx(150, abs=TTFT_TOLERANCE_MS)
    assert len(gaps) == 100
    late = [round(g, 1) for g in gaps if abs(g - 20) > GAP_TOLERANCE_MS]
    assert not late, f"gaps off by more than {GAP_TOLERANCE_MS} ms: {late}"
    # No cumulative drift: the 100th delta is where the grid puts it.
    assert ttft + sum(gaps) == pytest.approx(150 + 100 * 20, abs=TTFT_TOLERANCE_MS)


async def test_jitter_stays_within_bounds(start_server: StartServer, tmp_path: Path) -> None:
    ttft, gaps = await arrivals(start_server, tmp_path, "jitter")  # ttft 100, 20 +- 6
    assert ttft == pytest.approx(100, abs=TTFT_TOLERANCE_MS + 3)
    late = [round(g, 1) for g in gaps if abs(g - 20) > 6 + GAP_TOLERANCE_MS]
    assert not late, f"gaps off by more than jitter + {GAP_TOLERANCE_MS} ms: {late}"
    assert max(gaps) - min(gaps) > 2, "the gaps do vary"
    assert ttft + sum(gaps) == pytest.approx(100 + 100 * 20, abs=TTFT_TOLERANCE_MS + 3)
