"""WebSocket mode next to SSE: events per second over one socket and over 100 at once.

    python -m bench.s_websocket [--deltas 500] [--responses 20] [--sockets 100]

Starts one mock server (`mockserver serve`, a process of its own, pinned to the server core
as the suite's are; this client on the other) with a zero-delay scenario of `--deltas` word
deltas, then in the same run measures, with aiohttp's client:
  - one connection: `--responses` responses one after another, over one WebSocket (each
    response.create sent when the previous response completed) and over one keep-alive
    HTTP connection (SSE, one POST each);
  - `--sockets` connections at once, one response each: WebSockets against SSE streams.
Events per second = events received / wall time from the first request to the last terminal
event; the server's CPU time per event is the figure a busy machine moves least. The ratios
WebSocket / SSE are the figures (both measured alternately, under the same load).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from .procs import CpuMeter, Server, pin_self_to_client_cpu, start_mock

SCENARIO = """
name: bench-ws
stream: {{ttft_ms: 0, interval_ms: 0, chunk: word}}
rules:
  - name: long
    reply: [{{message: "{text}"}}]
"""
BODY = {"model": "gpt-4o", "input": "go"}
HEADERS = {"Authorization": "Bearer bench"}  # bench.procs' servers accept any key
TERMINAL = b'"type":"response.completed"'


async def _ws_responses(session: aiohttp.ClientSession, url: str, n: int) -> int:
    events = 0
    async with session.ws_connect(url, headers=HEADERS, max_msg_size=0) as ws:
        for _ in range(n):
            await ws.send_str(json.dumps({"type": "response.create", **BODY}))
            while True:
                msg = await ws.receive()
                events += 1
                if TERMINAL in msg.data.encode()[:40]:
                    break
    return events


async def _sse_responses(session: aiohttp.ClientSession, url: str, n: int) -> int:
    events = 0
    for _ in range(n):
        async with session.post(url, json={**BODY, "stream": True}, headers=HEADERS) as r:
            async for line in r.content:
                if line.startswith(b"event: "):
                    events += 1
    return events


@dataclass(frozen=True)
class Figure:
    events_per_s: float
    cpu_us_per_event: float  # the server's CPU time (user + system) per event received


async def _run(kind: str, base: str, connections: int, responses: int) -> int:
    ws_url = base.replace("http://", "ws://") + "/v1/responses"
    http_url = base + "/v1/responses"
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        if kind == "websocket":
            jobs = [_ws_responses(session, ws_url, responses) for _ in range(connections)]
        else:
            jobs = [_sse_responses(session, http_url, responses) for _ in range(connections)]
        return sum(await asyncio.gather(*jobs))


def _measure(server: Server, kind: str, connections: int, responses: int) -> Figure:
    meter = CpuMeter(server)
    t0 = time.perf_counter()
    events = asyncio.run(_run(kind, server.url, connections, responses))
    wall = time.perf_counter() - t0
    return Figure(events / wall, meter.seconds() / events * 1e6)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deltas", type=int, default=500)
    parser.add_argument("--responses", type=int, default=20)
    parser.add_argument("--sockets", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    pin_self_to_client_cpu()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-ws.yaml"
        path.write_text(SCENARIO.format(text=" ".join(["w"] * args.deltas)), encoding="utf-8")
        with start_mock(Path(tmp), path, "--default-scenario", "bench-ws") as server:
            for label, conns, n in (
                ("1 connection", 1, args.responses),
                (f"{args.sockets} connections", args.sockets, 1),
            ):
                _measure(server, "websocket", conns, 1)  # warm-up
                _measure(server, "sse", conns, 1)
                ws, sse = [], []
                for _ in range(args.repeats):  # alternately: both see the same load
                    ws.append(_measure(server, "websocket", conns, n))
                    sse.append(_measure(server, "sse", conns, n))
                rows.append((label, _best(ws), _best(sse)))
    print(f"{args.deltas} deltas a response; best of {args.repeats}, server CPU per event")
    for label, w, s in rows:
        print(
            f"{label:<16} websocket {w.events_per_s:>9,.0f} ev/s {w.cpu_us_per_event:5.1f} us"
            f"   sse {s.events_per_s:>9,.0f} ev/s {s.cpu_us_per_event:5.1f} us"
            f"   ratio {w.events_per_s / s.events_per_s:.2f}x events/s,"
            f" {w.cpu_us_per_event / s.cpu_us_per_event:.2f}x CPU/event"
        )
    return 0


def _best(figures: list[Figure]) -> Figure:
    return Figure(max(f.events_per_s for f in figures), min(f.cpu_us_per_event for f in figures))


if __name__ == "__main__":
    raise SystemExit(main())
