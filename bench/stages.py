"""Where a POST /v1/responses spends its CPU: each step of the create pipeline, in-process.

    python -m bench.stages [--scenario bench-scripted] [--requests 3000]

Runs the app in this process (aiohttp's TestServer), sends requests over one keep-alive
connection, and times each pipeline step with the thread's CPU clock (not wall time, so a
busy machine inflates it less). A diagnostic for profiling, not part of the suite's table:
the steps are found by name and a renamed one is simply not shown.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import inspect
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import scenarios as sc

# (module, attribute) of each step, as pipeline/create.py calls them.
STEPS = [
    ("mockserver.http.body", "_read_limited"),
    ("mockserver.pipeline.create", "parse_json_object"),
    ("mockserver.pipeline.create", "parse_request"),
    ("mockserver.zeroconfig.generate", "content_key"),
    ("mockserver.pipeline.create", "select_scenario"),
    ("mockserver.pipeline.create", "check_model"),
    ("mockserver.pipeline.create", "begin_faults"),
    ("mockserver.faults.admission", "admit"),
    ("mockserver.pipeline.create", "choose"),
    ("mockserver.faults.admission", "admit_rule"),
    ("mockserver.faults.admission", "arm"),
    ("mockserver.pipeline.create", "render"),
    ("mockserver.pipeline.create", "store_response"),
    ("mockserver.pipeline.streamed", "answer"),  # the JSON answer is written in create_response
]

spent: dict[str, float] = collections.defaultdict(float)


def _timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            t0 = time.thread_time()
            try:
                return await fn(*args, **kwargs)
            finally:
                spent[label] += time.thread_time() - t0

        return timed_async

    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[label] += time.thread_time() - t0

    return timed


def instrument() -> list[str]:
    import importlib

    found = []
    for module_name, attr in STEPS:
        module = importlib.import_module(module_name)
        if callable(getattr(module, attr, None)):
            setattr(module, attr, _timed(attr, getattr(module, attr)))
            found.append(attr)
    return found


async def measure(scenario: str, requests: int) -> tuple[float, float]:
    """(wall, process CPU) seconds per request; fills `spent`."""
    from aiohttp.test_utils import TestServer

    from mockserver.app import create_app
    from mockserver.config import Config

    folder = Path(tempfile.mkdtemp(prefix="mockbench-stages-"))
    main_dir, _ = sc.write(folder)
    server = TestServer(create_app(Config(seed=7, scenarios=(main_dir,))), port=0)
    await server.start_server()
    body = json.dumps({"model": "gpt-4o", "input": "Say hello to the benchmark."}).encode()
    head = "POST /v1/responses HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer b\r\n"
    head += f"X-Mock-Scenario: {scenario}\r\n" if scenario else ""
    request = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)

    async def one() -> None:
        writer.write(request)
        answer = (await reader.readuntil(b"\r\n\r\n")).lower()
        at = answer.index(b"content-length: ") + 16
        await reader.readexactly(int(answer[at : answer.index(b"\r\n", at)]))

    for _ in range(300):
        await one()
    spent.clear()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(requests):
        await one()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    writer.close()
    await server.close()
    return wall / requests, cpu / requests


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stages", description=__doc__)
    parser.add_argument("--scenario", default=sc.SCRIPTED, help="'' for zero-config")
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    instrument()
    wall, cpu = asyncio.run(measure(args.scenario, args.requests))
    print(f"per request: {wall * 1e6:.0f} us wall, {cpu * 1e6:.0f} us CPU (client included)")
    for label, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {label:20s} {seconds / args.requests * 1e6:7.1f} us")
    print(f"  {'(steps total)':20s} {sum(spent.values()) / args.requests * 1e6:7.1f} us")


if __name__ == "__main__":
    main()
