"""wrk (the compiled HTTP load generator) driven from Python: POST runs, parsed figures.

Each run also measures how busy each side was: the server's CPU time over the run (from
/proc) and wrk's own (from the rusage of waited-for children). A server at ~100% of its core
while wrk has room left is the sign the figure is the server's, not the load generator's.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path

from .procs import CLIENT_CPU, CpuMeter, Server, pinned

LUA = Path(__file__).with_name("post.lua")


def available() -> bool:
    return shutil.which("wrk") is not None


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    server_cpu: float  # fraction of one core
    client_cpu: float  # wrk's CPU, fraction of one core
    cpu_us: float = 0.0  # server CPU time per request: robust to a busy machine

    @staticmethod
    def failed() -> WrkResult:
        return WrkResult(0.0, 0.0, 0.0, 0, 1, 0.0, 0.0)

    def with_cpu_seconds(self, seconds: float) -> WrkResult:
        per = seconds / self.requests * 1e6 if self.requests else 0.0
        return replace(self, cpu_us=per)


def run(
    server: Server,
    body: Path,
    *,
    connections: int,
    seconds: float,
    threads: int = 1,
    scenario: str = "",
    path: str = "/v1/responses",
) -> WrkResult:
    threads = min(threads, connections)
    duration = max(1, round(seconds))  # wrk takes whole seconds
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s"]
    cmd += ["-s", str(LUA), server.url + path]
    env = {**os.environ, "BENCH_BODY": str(body), "BENCH_SCENARIO": scenario}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    meter = CpuMeter(server)
    t0 = time.perf_counter()
    out = subprocess.run(pinned(cmd, CLIENT_CPU), env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    server_cpu, server_cpu_s = meter.share(), meter.seconds()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / wall
    result = _parse(out.stdout + out.stderr, server_cpu, client)
    return result.with_cpu_seconds(server_cpu_s)


def _parse(output: str, server_cpu: float, client_cpu: float) -> WrkResult:
    line = next((x for x in output.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no figures:\n{output[-2000:]}")
    d = json.loads(line.removeprefix("BENCH_JSON "))
    errors = d["connect"] + d["read"] + d["write"] + d["status"] + d["timeout"]
    return WrkResult(
        rps=d["requests"] / (d["duration_us"] / 1e6),
        p50_ms=d["p50_us"] / 1000,
        p99_ms=d["p99_us"] / 1000,
        requests=d["requests"],
        errors=errors,
        server_cpu=server_cpu,
        client_cpu=client_cpu,
    )
