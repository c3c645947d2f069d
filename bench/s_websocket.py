"""WebSocket mode next to SSE: events per second over one socket and over 100 at once.

    python -m bench.s_websocket [--deltas 500] [--responses 20] [--sockets 100]

Starts one mock server (`mockserver serve`, a process of its own, pinned like the suite's
servers when the machine allows) with a zero-delay scenario of `--deltas` word deltas, then
in the same run measures, with aiohttp's client:
  - one connection: `--responses` responses one after another, over one WebSocket (each
    response.create sent when the previous response completed) and over one keep-alive
    HTTP connection (SSE, one POST each);
  - `--sockets` connections at once, one response each: WebSockets against SSE streams.
Events per second = events received / wall time from the first request to the last terminal
event. The ratio WebSocket / SSE is the figure (both share the machine's load of the moment).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

SCENARIO = """
name: bench-ws
stream: {{ttft_ms: 0, interval_ms: 0, chunk: word}}
rules:
  - name: long
    reply: [{{message: "{text}"}}]
"""
BODY = {"model": "gpt-4o", "input": "go"}
HEADERS = {"Authorization": "Bearer bench"}
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


async def _measure(kind: str, base: str, connections: int, responses: int) -> float:
    ws_url = base.replace("http://", "ws://") + "/v1/responses"
    http_url = base + "/v1/responses"
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        t0 = time.perf_counter()
        if kind == "websocket":
            jobs = [_ws_responses(session, ws_url, responses) for _ in range(connections)]
        else:
            jobs = [_sse_responses(session, http_url, responses) for _ in range(connections)]
        counts = await asyncio.gather(*jobs)
        return sum(counts) / (time.perf_counter() - t0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deltas", type=int, default=500)
    parser.add_argument("--responses", type=int, default=20)
    parser.add_argument("--sockets", type=int, default=100)
    args = parser.parse_args(argv)
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-ws.yaml"
        path.write_text(SCENARIO.format(text=" ".join(["w"] * args.deltas)), encoding="utf-8")
        cmd = [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--seed", "1"]
        cmd += [
            "--scenarios",
            str(path),
            "--default-scenario",
            "bench-ws",
            "--log-level",
            "warning",
        ]
        server = subprocess.Popen(cmd)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base)
            rows = []
            for label, conns, n in (
                ("1 connection", 1, args.responses),
                (f"{args.sockets} connections", args.sockets, 1),
            ):
                # Warm-up once each, then WebSocket and SSE alternately, best of 3.
                asyncio.run(_measure("websocket", base, conns, 1))
                asyncio.run(_measure("sse", base, conns, 1))
                ws = max(asyncio.run(_measure("websocket", base, conns, n)) for _ in range(3))
                sse = max(asyncio.run(_measure("sse", base, conns, n)) for _ in range(3))
                rows.append((label, ws, sse))
        finally:
            server.terminate()
            server.wait(10)
    print(f"{args.deltas} deltas a response; events/s, best of 3")
    for label, ws, sse in rows:
        print(f"{label:<16} websocket {ws:>10,.0f}   sse {sse:>10,.0f}   ratio {ws / sse:.2f}x")
    return 0


def _wait_ready(base: str) -> None:
    import urllib.request

    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(base + "/_mock/health", timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


if __name__ == "__main__":
    raise SystemExit(main())
