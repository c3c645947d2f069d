"""A bounded soak of `mockserver serve` with hostile traffic (issue 13's figures).

    python -m bench.soak                 # about 7 minutes on 2 cores; prints a Markdown table
    python -m bench.soak --requests 2000 # a shorter memory run
    python -m bench.soak --json out.json

Three parts, each against a fresh server process (pinned like the rest of bench/):

1. Memory: RSS after a warm-up, after N requests with 1 MB bodies (stored responses, journal
   entries), and after `POST /_mock/reset`. The warm-up RSS is the reference.
2. The slowest hostile request: each body of `HOSTILE` sent alone to an idle server, timed at
   the client. The reference is a plain create request, timed in the same run.
3. Health under hostile load: `GET /_mock/health` every 50 ms while two clients send the
   hostile bodies over and over. The reference is the same probe against the idle server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from .procs import API_KEY, Server, pin_self_to_client_cpu, start_mock

MB = 1 << 20
AUTH = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
PLAIN = {"model": "gpt-4o-mini", "input": "What is the weather in Paris?"}


@dataclass(frozen=True)
class Hostile:
    name: str
    method: str
    path: str
    body: bytes
    content_type: str = "application/json"


def _create(**fields: Any) -> bytes:
    return json.dumps({"model": "gpt-4o-mini", "input": "hi", **fields}).encode()


def _bloating_schema() -> dict[str, Any]:
    # 256 properties (25 KB of JSON) asking for 256 x 7 strings of 65,536 characters (109 MB).
    item = {"type": "array", "items": {"type": "string", "minLength": 65536}, "minItems": 7}
    props = {f"p{i}": item for i in range(256)}
    return {"type": "object", "properties": props, "required": list(props)}


def hostile_requests() -> list[Hostile]:
    """The bodies that hung, bloated or stalled the server before issue 13."""
    regex_tool = {
        "type": "function",
        "name": "f",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "string", "pattern": "^(a+)+$(?<!a)", "minLength": 30}},
            "required": ["a"],
        },
    }
    bloat = {"format": {"type": "json_schema", "name": "big", "schema": _bloating_schema()}}
    bomb = (
        "name: bomb\nrules:\n  - reply:\n      - message: hi\nx0: &a0 [x, x, x, x, x, x, x, x, x]\n"
    )
    for i in range(1, 9):
        bomb += f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n"
    unclosed = json.dumps(
        {"name": "unclosed", "rules": [{"reply": [{"message": "{{" * 20_000}]}]}
    ).encode()
    items = json.dumps(
        {"model": "gpt-4o-mini", "input": [{"role": "user", "content": "hi"}] * 100_000}
    )
    shallow = b'{"model":"gpt-4o-mini","input":[' + b",".join([b"[[[[1]]]]"] * 500_000) + b"]}"
    brackets = b"[" * (5 * MB // 2) + b"]" * (5 * MB // 2)
    return [
        _api("5 MB of nested brackets", brackets),
        _api("5 MB of shallow arrays", shallow),
        _api("100,000 input items", items.encode()),
        _api("1e999 in a body", b'{"model":"gpt-4o-mini","input":"hi","temperature":1e999}'),
        _api("catastrophic tool pattern", _create(tools=[regex_tool], tool_choice="required")),
        _api("256-property schema asking 109 MB", _create(text=bloat)),
        _api("the same, streamed", _create(text=bloat, stream=True)),
        _api("45 MB body", _create(padding="a" * (45 * MB))),
        Hostile("20,000 unclosed {{ in a scenario", "POST", "/_mock/scenarios", unclosed),
        Hostile("YAML alias bomb", "POST", "/_mock/scenarios", bomb.encode(), "application/yaml"),
        Hostile("GET /_mock/requests after all that", "GET", "/_mock/requests", b""),
    ]


def _api(name: str, body: bytes) -> Hostile:
    return Hostile(name, "POST", "/v1/responses", body)


async def send(http: aiohttp.ClientSession, h: Hostile) -> tuple[int, float]:
    """(status, seconds) of one hostile request, its answer read to the end."""
    start = time.perf_counter()
    headers = {**AUTH, "Content-Type": h.content_type}
    async with http.request(h.method, h.path, data=h.body or None, headers=headers) as resp:
        await resp.read()
    return resp.status, time.perf_counter() - start


async def _plain_seconds(http: aiohttp.ClientSession, n: int = 20) -> float:
    body = json.dumps(PLAIN).encode()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        async with http.post("/v1/responses", data=body, headers=AUTH) as resp:
            await resp.read()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---- 1. memory ---------------------------------------------------------------------------------


async def memory(server: Server, requests: int) -> dict[str, Any]:
    body = _create(padding="m" * MB)  # 1 MB, processed in full (an unknown field is kept)
    async with aiohttp.ClientSession(server.url, connector=aiohttp.TCPConnector(limit=4)) as http:

        async def post(_: int) -> None:
            async with http.post("/v1/responses", data=body, headers=AUTH) as resp:
                if resp.status != 200:
                    raise RuntimeError(f"{resp.status}: {(await resp.read())[:200]!r}")
                await resp.read()

        await _gather(post, 50)
        time.sleep(0.5)
        warm = server.rss_bytes()
        start = time.perf_counter()
        await _gather(post, requests)
        elapsed = time.perf_counter() - start
        time.sleep(0.5)
        loaded = server.rss_bytes()
        async with http.post("/_mock/reset") as resp:
            await resp.read()
        time.sleep(0.5)
        after_reset = server.rss_bytes()
    return {
        "requests": requests,
        "seconds": elapsed,
        "rss_warm": warm,
        "rss_loaded": loaded,
        "rss_after_reset": after_reset,
    }


async def _gather(post: Callable[[int], Awaitable[None]], n: int, width: int = 4) -> None:
    queue = iter(range(n))

    async def worker() -> None:
        for i in queue:
            await post(i)

    await asyncio.gather(*(worker() for _ in range(width)))


# ---- 2. the slowest hostile request ------------------------------------------------------------


async def slowest(server: Server) -> dict[str, Any]:
    async with aiohttp.ClientSession(server.url) as http:
        plain = await _plain_seconds(http)
        timed = []
        for h in hostile_requests():
            status, seconds = await send(http, h)
            timed.append(
                {"name": h.name, "bytes": len(h.body), "status": status, "seconds": seconds}
            )
        plain_after = await _plain_seconds(http)
    return {"plain_seconds": plain, "plain_after_seconds": plain_after, "hostile": timed}


# ---- 3. health under hostile load --------------------------------------------------------------


async def _probe(http: aiohttp.ClientSession, seconds: float) -> list[float]:
    latencies = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        async with http.get("/_mock/health") as resp:
            await resp.read()
        latencies.append(time.perf_counter() - start)
        await asyncio.sleep(0.05)
    return latencies


async def health(server: Server, seconds: float) -> dict[str, Any]:
    hostile = hostile_requests()
    async with (
        aiohttp.ClientSession(server.url) as probe,
        aiohttp.ClientSession(server.url) as load,
    ):
        idle = await _probe(probe, 5.0)
        stop = asyncio.Event()
        sent = 0

        async def attacker(offset: int) -> None:
            nonlocal sent
            i = offset
            while not stop.is_set():
                await send(load, hostile[i % len(hostile)])
                sent += 1
                i += 1

        attackers = [asyncio.create_task(attacker(k * 5)) for k in range(2)]
        busy = await _probe(probe, seconds)
        stop.set()
        await asyncio.gather(*attackers)
    return {"idle": _summary(idle), "loaded": _summary(busy), "hostile_sent": sent}


def _summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "n": len(ordered),
        "p50": ordered[len(ordered) // 2],
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max": ordered[-1],
    }


# ---- the run -----------------------------------------------------------------------------------


def run(requests: int, load_seconds: float) -> dict[str, Any]:
    pin_self_to_client_cpu()
    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with tempfile.TemporaryDirectory() as folder:
        logdir = Path(folder)
        with start_mock(logdir, None, name="soak-memory") as server:
            results["memory"] = asyncio.run(memory(server, requests))
        with start_mock(logdir, None, name="soak-hostile") as server:
            results["slowest"] = asyncio.run(slowest(server))
        with start_mock(logdir, None, name="soak-health") as server:
            results["health"] = asyncio.run(health(server, load_seconds))
    return results


def table(r: dict[str, Any]) -> str:
    mem, slow, hp = r["memory"], r["slowest"], r["health"]
    warm = mem["rss_warm"]
    lines = [
        f"Soak run {r['started']} (each part a fresh `mockserver serve`, pinned to core 1).",
        "",
        "| Figure | Value | Reference (same run) | Ratio |",
        "|---|---|---|---|",
        f"| RSS after {mem['requests']:,} x 1 MB requests ({mem['seconds']:.0f} s) "
        f"| {mem['rss_loaded'] / MB:.0f} MB | {warm / MB:.0f} MB after warm-up "
        f"| {mem['rss_loaded'] / warm:.2f}x |",
        f"| RSS after `POST /_mock/reset` | {mem['rss_after_reset'] / MB:.0f} MB "
        f"| {warm / MB:.0f} MB after warm-up | {mem['rss_after_reset'] / warm:.2f}x |",
    ]
    worst = max(slow["hostile"], key=lambda h: h["seconds"])
    plain = slow["plain_seconds"]
    lines.append(
        f"| Slowest hostile request: {worst['name']} ({worst['status']}) "
        f"| {worst['seconds'] * 1000:.0f} ms | {plain * 1000:.1f} ms a plain create "
        f"| {worst['seconds'] / plain:.0f}x |"
    )
    idle, loaded = hp["idle"], hp["loaded"]
    for key in ("p50", "p99", "max"):
        lines.append(
            f"| `/_mock/health` {key} under hostile load ({hp['hostile_sent']} sent) "
            f"| {loaded[key] * 1000:.1f} ms | {idle[key] * 1000:.1f} ms idle "
            f"| {loaded[key] / idle[key]:.1f}x |"
        )
    lines += ["", "| Hostile request | Bytes | Status | Time |", "|---|---|---|---|"]
    for h in slow["hostile"]:
        lines.append(
            f"| {h['name']} | {h['bytes']:,} | {h['status']} | {h['seconds'] * 1000:.0f} ms |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--requests", type=int, default=10_000, help="1 MB requests (part 1)")
    parser.add_argument("--load-seconds", type=float, default=20.0, help="length of part 3")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    results = run(args.requests, args.load_seconds)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
