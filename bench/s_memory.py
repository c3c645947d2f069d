"""Section 4: resident memory per stored response, and per open slow stream.

Each figure comes from a fresh server: RSS after a warm-up (imports, caches, the token
encoding), then again after N more responses are stored (or N streams are open), divided
by N. A second fresh mock does the same with `store: false`: the difference is what storing
costs; what any request leaves behind (the request journal keeps the last 10,000 exchanges)
is shown beside it.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from . import scenarios as sc
from .ctx import STREAM_BODY, ZERO_BODY, Ctx
from .http_client import post_many
from .procs import Server, start_bare, start_mock
from .report import Row, fmt, unavailable, verdict
from .sse_client import hold_streams

STORED_TARGET = 2048  # bytes per stored small response
WARM_REQUESTS = 300
S4 = "4 memory"


def _growth(server: Server, body: dict[str, Any], n: int) -> tuple[float, float]:
    """(RSS growth per request, mean answer size) over n requests after a warm-up."""
    raw = json.dumps(body).encode()
    asyncio.run(post_many(server.port, raw, WARM_REQUESTS))
    time.sleep(0.3)
    before = server.rss_bytes()
    size = asyncio.run(post_many(server.port, raw, n))
    time.sleep(0.3)
    return (server.rss_bytes() - before) / n, size / n


def run_stored(ctx: Ctx) -> list[Row]:
    n = ctx.settings.stored
    with start_mock(ctx.logdir, None, name="mock-mem") as server:
        stored, size = _growth(server, ZERO_BODY, n)
    with start_mock(ctx.logdir, None, name="mock-nostore") as server:
        unstored, _ = _growth(server, {**ZERO_BODY, "store": False}, n)
    ctx.details["memory_stored"] = {"per_stored": stored, "per_unstored": unstored, "size": size}
    storage = stored - unstored
    return [
        Row(
            S4,
            f"RSS per stored response ({n:,} stored)",
            fmt(storage, unit="B"),
            fmt(size, unit="B body"),
            f"{storage / size:.1f}x body" if size else "",
            f"< {STORED_TARGET:,} B",
            verdict(storage < STORED_TARGET),
            f"store:true minus store:false runs; each request also leaves {unstored:,.0f} B "
            f"(journal entry, allocator), so {stored:,.0f} B in all (+{stored * n / 2**20:.1f} MB)",
        )
    ]


def run_streams(ctx: Ctx) -> list[Row]:
    n = ctx.settings.slow_streams
    metric = f"RSS per open slow stream ({n:,} open)"
    if not ctx.captures["stream"].is_stream:
        why = "streaming not served yet: " + ctx.captures["stream"].why_not()
        return [unavailable(S4, metric, why)]
    from .ctx import bare_args

    with start_mock(ctx.logdir, ctx.scenarios, name="mock-slow") as server:
        mock = _per_stream(server, n)
    with start_bare(ctx.logdir, *bare_args(ctx), name="bare-slow") as server:
        bare = _per_stream(server, n)
    ctx.details["memory_streams"] = {"mock": mock, "bare": bare}
    return [
        Row(
            S4,
            metric,
            fmt(mock / 1024, 1, "KB"),
            fmt(bare / 1024, 1, "KB"),
            f"{mock / bare:.1f}x" if bare > 0 else "",
            "",
            "",
            "bare: an aiohttp handler holding the stream open after its first frame",
        )
    ]


def _per_stream(server: Server, n: int) -> float:
    body = json.dumps(STREAM_BODY).encode()

    async def go() -> float:
        warm = await hold_streams(server.port, body, sc.SLOW, 20)
        for p in warm:
            p.close()
        await asyncio.sleep(0.3)
        before = server.rss_bytes()
        protos = await hold_streams(server.port, body, sc.SLOW, n)
        await asyncio.sleep(0.5)
        after = server.rss_bytes()
        for p in protos:
            p.close()
        return (after - before) / n

    return asyncio.run(go())
