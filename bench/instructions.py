"""Server instructions per request, counted by valgrind's callgrind: exact on a busy machine.

    python -m bench.instructions [--requests 200] [--streams 20] [--deltas 200] [--only CASES]

Wall-clock and even CPU-time figures move by 2x on a shared machine; instruction counts do
not. Each server (the mock, then `bench/bare.py` answering with the bytes the mock produced)
runs under callgrind with instrumentation off; after a warm-up the counting is switched on
(`callgrind_control -i on`), exactly N requests are sent over one keep-alive connection by a
client outside valgrind, and the counting is switched off and dumped. The figure is the
server's instructions per request (per stream for streams) and the mock's ratio to the
reference's: the issue-12 targets are <= 2x for JSON answers and <= 1/3 for a zero-delay
stream (3x the one-write-per-frame reference). Needs valgrind (apt-get install valgrind);
takes 1-3 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path

from . import scenarios as sc
from .ctx import STREAM_BODY, ZERO_BODY, post
from .http_client import post_many
from .procs import Server, free_port, launch, mock_cmd, wait_ready
from .sse_client import one_stream

CASES = ("zero-config", "scripted", "stream")
Driver = Callable[[int], Coroutine[None, None, None]]  # sends n requests, one after another


@dataclass(frozen=True)
class Count:
    case: str
    mock: float  # instructions per request (per stream)
    bare: float

    @property
    def ratio(self) -> float:
        return self.mock / self.bare if self.bare else 0.0


def _valgrind(cmd: list[str], out: Path) -> list[str]:
    return [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        *cmd,
    ]


def _control(server: Server, *args: str) -> None:
    subprocess.run(
        ["callgrind_control", *args, str(server.popen.pid)], check=True, capture_output=True
    )


def _totals(out: Path) -> int:
    total = 0
    for path in out.parent.glob(out.name + "*"):
        for line in path.read_text().splitlines():
            if line.startswith(("totals:", "summary:")):
                total = max(total, int(line.split()[1]))
    return total


def _count(server: Server, out: Path, drive: Driver, n: int) -> float:
    # Warm-up, not counted: enough streams too for CPython's quickening to settle (after 3,
    # each stream still cost ~15k instructions more than once warm).
    asyncio.run(drive(30 if n > 30 else 10))
    _control(server, "-z")
    _control(server, "-i", "on")
    asyncio.run(drive(n))
    _control(server, "-i", "off")
    _control(server, "-d")
    time.sleep(0.5)
    return _totals(out) / n


def _json_driver(port: int, body: bytes) -> Driver:
    async def drive(n: int) -> None:
        await post_many(port, body, n, concurrency=1)

    return drive


def _scripted_driver(port: int, body: bytes, scenario: str) -> Driver:
    from .http_client import request_bytes

    request = request_bytes(port, body)
    request = request.replace(
        b"Content-Type:", f"X-Mock-Scenario: {scenario}\r\nContent-Type:".encode(), 1
    )

    async def drive(n: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in range(n):
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                at = head.lower().find(b"content-length:")
                length = int(head[at + 15 : head.index(b"\r\n", at)])
                await reader.readexactly(length)
        finally:
            writer.close()

    return drive


def _stream_driver(port: int, body: bytes, scenario: str) -> Driver:
    async def drive(n: int) -> None:
        for _ in range(n):
            result = await one_stream(port, body, scenario)
            if result.status != 200:
                raise RuntimeError(f"stream answered {result.status}")

    return drive


def _start(name: str, cmd: list[str], port: int, work: Path, ready: str) -> tuple[Server, Path]:
    out = work / f"{name}.callgrind.out"
    server = launch(name, _valgrind(cmd, out), port, work)
    wait_ready(server, ready, timeout=180)
    return server, out


def measure(cases: tuple[str, ...], requests: int, streams: int, deltas: int) -> list[Count]:
    sc.STREAM_DELTAS = deltas
    with tempfile.TemporaryDirectory(prefix="mock-instr-") as tmp:
        work = Path(tmp)
        main, _ = sc.write(work)
        # The bytes each case answers with, taken from a plain (uninstrumented) mock.
        port = free_port()
        plain = launch("capture", mock_cmd(port, main), port, work)
        try:
            wait_ready(plain, "/v1/responses")
            caps = {
                "zero-config": post(plain.url, ZERO_BODY),
                "scripted": post(plain.url, ZERO_BODY, sc.SCRIPTED),
                "stream": post(plain.url, STREAM_BODY, sc.STREAM),
            }
        finally:
            plain.stop()
        bare_args: list[str] = []
        for case, name in (("zero-config", ""), ("scripted", sc.SCRIPTED)):
            path = work / f"{case}.bin"
            path.write_bytes(caps[case].body)
            bare_args += ["--body", f"{name}={path}"]
        stream_path = work / "stream.bin"
        stream_path.write_bytes(caps["stream"].body)
        bare_args += ["--sse", f"{sc.STREAM}={stream_path}"]

        counts: dict[str, dict[str, float]] = {c: {} for c in cases}
        zero, stream = json.dumps(ZERO_BODY).encode(), json.dumps(STREAM_BODY).encode()
        for side in ("mock", "bare"):
            port = free_port()
            if side == "mock":
                cmd, ready = mock_cmd(port, main), "/v1/responses"
            else:
                cmd = [sys.executable, "-m", "bench.bare", "--port", str(port), *bare_args]
                ready = "/ready"
            server, out = _start(side, cmd, port, work, ready)
            try:
                for case in cases:
                    if case == "stream":
                        drive, n = _stream_driver(port, stream, sc.STREAM), streams
                    elif case == "scripted":
                        drive, n = _scripted_driver(port, zero, sc.SCRIPTED), requests
                    else:
                        drive, n = _json_driver(port, zero), requests
                    counts[case][side] = _count(server, out, drive, n)
                    for path in work.glob(out.name + "*"):
                        path.unlink()
            finally:
                server.stop()
        return [Count(c, counts[c]["mock"], counts[c]["bare"]) for c in cases]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--deltas", type=int, default=200)
    parser.add_argument("--only", default=",".join(CASES), help="comma-separated cases")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    cases = tuple(c for c in args.only.split(",") if c)
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s) {sorted(unknown)}; choose from {', '.join(CASES)}")
    print(f"{'case':<14} {'mock':>12} {'bare':>12} {'mock/bare':>10}")
    for count in measure(cases, args.requests, args.streams, args.deltas):
        unit = f" per stream of {args.deltas} deltas" if count.case == "stream" else ""
        print(
            f"{count.case:<14} {count.mock:>12,.0f} {count.bare:>12,.0f} {count.ratio:>9.2f}x{unit}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
