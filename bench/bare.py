"""The reference: a bare aiohttp server that answers with bytes the mock produced earlier.

    python -m bench.bare --port P --body NAME=FILE --sse NAME=FILE[:TTFT_MS:INTERVAL_MS]
                         --hold NAME=FILE

POST /v1/responses picks its answer by the X-Mock-Scenario header (empty: NAME ""):
- body: the pre-serialized JSON, as one response (the ceiling of non-streaming throughput);
- sse: the pre-built SSE frames, one write per frame, at zero delay or paced naively (one
  sleep to an absolute deadline per delta: what a careful hand-written server would do);
- hold: the first frame, then the stream stays open until the client leaves (memory).
It reads the request body, as the mock must, and does nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from aiohttp import web

SSE_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}
DELTA_MARK = b"event: response.output_text.delta\n"


def split_frames(raw: bytes) -> list[bytes]:
    """SSE frames of a captured stream body, each with its blank-line terminator."""
    return [part + b"\n\n" for part in raw.split(b"\n\n") if part.strip()]


def frame_offsets(frames: list[bytes], ttft_ms: float, interval_ms: float) -> list[float]:
    """The k-th delta at ttft + k*interval; other frames ride with the frame before them."""
    offsets, k, at = [], 0, 0.0
    for f in frames:
        if f.startswith(DELTA_MARK):
            at = ttft_ms + k * interval_ms
            k += 1
        offsets.append(at)
    return offsets


class Bare:
    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.streams: dict[str, tuple[list[bytes], list[float]]] = {}
        self.holds: dict[str, bytes] = {}

    async def post(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        name = request.headers.get("X-Mock-Scenario", "")
        if name in self.bodies:
            return web.Response(body=self.bodies[name], content_type="application/json")
        if name in self.streams:
            return await self._stream(request, *self.streams[name])
        return await self._hold(request, self.holds[name])

    async def _stream(
        self, request: web.Request, frames: list[bytes], offsets: list[float]
    ) -> web.StreamResponse:
        resp = web.StreamResponse(headers=SSE_HEADERS)
        await resp.prepare(request)
        t0 = time.monotonic()
        for frame, offset in zip(frames, offsets, strict=True):
            delay = t0 + offset / 1000 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await resp.write(frame)
        await resp.write_eof()
        return resp

    async def _hold(self, request: web.Request, first: bytes) -> web.StreamResponse:
        resp = web.StreamResponse(headers=SSE_HEADERS)
        await resp.prepare(request)
        await resp.write(first)
        await asyncio.sleep(3600)  # cancelled when the client disconnects
        return resp


async def ready(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


def _pair(spec: str) -> tuple[str, str, list[str]]:
    name, _, rest = spec.partition("=")
    path, *params = rest.split(":")
    return name, path, params


def build(args: argparse.Namespace) -> web.Application:
    bare = Bare()
    for spec in args.body:
        name, path, _ = _pair(spec)
        bare.bodies[name] = Path(path).read_bytes()
    for spec in args.sse:
        name, path, params = _pair(spec)
        frames = split_frames(Path(path).read_bytes())
        ttft, interval = (float(p) for p in params) if params else (0.0, 0.0)
        bare.streams[name] = (frames, frame_offsets(frames, ttft, interval))
    for spec in args.hold:
        name, path, _ = _pair(spec)
        bare.holds[name] = split_frames(Path(path).read_bytes())[0]
    app = web.Application(client_max_size=50 * 1024 * 1024)
    app.router.add_post("/v1/responses", bare.post)
    app.router.add_get("/ready", ready)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", action="append", default=[])
    parser.add_argument("--sse", action="append", default=[])
    parser.add_argument("--hold", action="append", default=[])
    args = parser.parse_args()
    web.run_app(build(args), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
