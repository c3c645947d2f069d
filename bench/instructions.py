"""Server instructions per request, counted by valgrind's callgrind: exact on a busy machine.

    python -m bench.instructions [--requests 200] [--streams 20] [--deltas 200] [--only CASES]
                                 [--warm N] [--cache [--last-level-kb 1024] [--last-level-ways 8]]

Wall-clock and even CPU-time figures move by 2x on a shared machine; instruction counts do
not. Each server (the mock, then `bench/bare.py` answering with the bytes the mock produced)
runs under callgrind with instrumentation off; after a warm-up the counting is switched on
(`callgrind_control -i on`), exactly N requests are sent over one keep-alive connection by a
client outside valgrind, and the counting is switched off and dumped. The figure is the
server's instructions per request (per stream for streams) and the mock's ratio to the
reference's: the issue-12 targets are <= 2x for JSON answers and <= 1/3 for a zero-delay
stream (3x the one-write-per-frame reference). Needs valgrind (apt-get install valgrind);
takes 1-3 minutes.

Two options show what instruction counts leave out:
- `--warm N`: N zero-config requests to each server before its counts. A server that has
  run a while has a full journal and store, and evicts an entry of each per request:
  `--warm 120000` counts that steady state (~2 more minutes). The N requests use another
  API key (tenant): they outrun the nominal rate-limit bucket (10,000 requests a minute)
  and drain it, and a drained bucket refilling at callgrind's pace would show new levels,
  so new x-ratelimit header texts (~26k instructions), on every counted request, which at
  real load (a bucket that stays at 0) it does not.
- `--cache`: callgrind also simulates the caches (the machine's L1; a last level of
  `--last-level-kb`, default 1024 KB: one core's L2 on this machine, per lscpu, with
  `--last-level-ways`, default 8) and the branch predictor, and prints the L1 and
  last-level misses and the mispredicted branches per request. An L1 miss or a mispredicted
  branch costs several cycles, a miss past L2 tens, where an instruction costs a fraction
  of one: a server whose work is spread over more code and objects is slower per
  instruction. Vary the last level (e.g. `--last-level-kb 1280 --last-level-ways 10`; its
  sets, size / ways / 64, must be a power of two) to see how far a server's work per
  request is from fitting in it.
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
from .procs import API_KEY, Server, free_port, launch, mock_cmd, wait_ready
from .sse_client import one_stream

CASES = ("zero-config", "scripted", "stream")
FILL_KEY = API_KEY + "-fill"  # the tenant of --warm's requests
Driver = Callable[[int], Coroutine[None, None, None]]  # sends n requests, one after another


# callgrind's events, summed per level: misses in L1 (instructions, data read, data written)
# and in the last level (the simulated L2 with --cache); mispredicted branches (conditional,
# indirect).
L1_MISSES = ("I1mr", "D1mr", "D1mw")
LL_MISSES = ("ILmr", "DLmr", "DLmw")
MISPREDICTS = ("Bcm", "Bim")


@dataclass(frozen=True)
class Misses:
    """Simulated misses per request (per stream): lines fetched from past L1 and from past
    the last level, and branches mispredicted."""

    l1: float
    last_level: float
    branches: float = 0.0

    @classmethod
    def of(cls, events: dict[str, float]) -> Misses:
        return cls(
            sum(events[e] for e in L1_MISSES),
            sum(events[e] for e in LL_MISSES),
            sum(events.get(e, 0.0) for e in MISPREDICTS),
        )


@dataclass(frozen=True)
class Count:
    case: str
    mock: float  # instructions per request (per stream)
    bare: float
    mock_misses: Misses | None = None  # with --cache
    bare_misses: Misses | None = None

    @property
    def ratio(self) -> float:
        return self.mock / self.bare if self.bare else 0.0


def _valgrind(cmd: list[str], out: Path, last_level_kb: int = 0, ways: int = 8) -> list[str]:
    """callgrind, counting nothing until switched on; with last_level_kb, simulating the
    caches (`ways`-way, 64-byte lines at the last level) and the branch predictor."""
    cache = (
        ["--cache-sim=yes", "--branch-sim=yes", f"--LL={last_level_kb * 1024},{ways},64"]
        if last_level_kb
        else []
    )
    return [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        *cache,
        f"--callgrind-out-file={out}",
        *cmd,
    ]


def _control(server: Server, *args: str) -> None:
    subprocess.run(
        ["callgrind_control", *args, str(server.popen.pid)], check=True, capture_output=True
    )


def parse_totals(text: str) -> dict[str, int]:
    """A callgrind output's totals by event name ({"Ir": ...} without cache simulation): of
    its `summary:` and `totals:` lines, the one with the most instructions (a dump's header
    may say `summary: 0`)."""
    names: list[str] = []
    best: list[int] = []
    for line in text.splitlines():
        if line.startswith("events:"):
            names = line.split()[1:]
        elif line.startswith(("totals:", "summary:")):
            values = [int(v) for v in line.split()[1:]]
            if not best or values[0] > best[0]:
                best = values
    return dict(zip(names, best, strict=False))


def _totals(out: Path) -> dict[str, int]:
    """The totals of the dump with the most instructions (callgrind may write several)."""
    best: dict[str, int] = {}
    for path in out.parent.glob(out.name + "*"):
        totals = parse_totals(path.read_text())
        if totals.get("Ir", 0) > best.get("Ir", 0):
            best = totals
    return best


def _count_events(server: Server, out: Path, drive: Driver, n: int) -> dict[str, float]:
    """Each event of callgrind's per request (per stream) over n, after an uncounted warm-up
    of 30 (10 for small n such as streams: enough for CPython's quickening to settle; after
    3, each stream still cost ~15k instructions more than once warm)."""
    asyncio.run(drive(30 if n > 30 else 10))
    _control(server, "-z")
    _control(server, "-i", "on")
    asyncio.run(drive(n))
    _control(server, "-i", "off")
    _control(server, "-d")
    time.sleep(0.5)
    return {event: total / n for event, total in _totals(out).items()}


def _json_driver(port: int, body: bytes, api_key: str = API_KEY) -> Driver:
    async def drive(n: int) -> None:
        await post_many(port, body, n, concurrency=1, api_key=api_key)

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


def _start(
    name: str,
    cmd: list[str],
    port: int,
    work: Path,
    ready: str,
    last_level_kb: int = 0,
    ways: int = 8,
) -> tuple[Server, Path]:
    out = work / f"{name}.callgrind.out"
    server = launch(name, _valgrind(cmd, out, last_level_kb, ways), port, work)
    wait_ready(server, ready, timeout=180)
    return server, out


def measure(
    cases: tuple[str, ...],
    requests: int,
    streams: int,
    deltas: int,
    warm: int = 0,
    last_level_kb: int = 0,
    ways: int = 8,
) -> list[Count]:
    """Per case, the mock's and the reference's counts (`warm`: requests of another tenant
    sent to each server first; `last_level_kb`: simulate the caches, with a last level of
    that size and `ways`)."""
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

        counts: dict[str, dict[str, dict[str, float]]] = {c: {} for c in cases}
        zero, stream = json.dumps(ZERO_BODY).encode(), json.dumps(STREAM_BODY).encode()
        for side in ("mock", "bare"):
            port = free_port()
            if side == "mock":
                cmd, ready = mock_cmd(port, main), "/v1/responses"
            else:
                cmd = [sys.executable, "-m", "bench.bare", "--port", str(port), *bare_args]
                ready = "/ready"
            server, out = _start(side, cmd, port, work, ready, last_level_kb, ways)
            try:
                if warm:  # counting is off: the server only fills its journal and store
                    asyncio.run(_json_driver(port, zero, FILL_KEY)(warm))
                for case in cases:
                    if case == "stream":
                        drive, n = _stream_driver(port, stream, sc.STREAM), streams
                    elif case == "scripted":
                        drive, n = _scripted_driver(port, zero, sc.SCRIPTED), requests
                    else:
                        drive, n = _json_driver(port, zero), requests
                    counts[case][side] = _count_events(server, out, drive, n)
                    for path in work.glob(out.name + "*"):
                        path.unlink()
            finally:
                server.stop()
        return [_counted(c, counts[c]["mock"], counts[c]["bare"], last_level_kb) for c in cases]


def _counted(
    case: str, mock: dict[str, float], bare: dict[str, float], last_level_kb: int
) -> Count:
    if not last_level_kb:
        return Count(case, mock["Ir"], bare["Ir"])
    return Count(case, mock["Ir"], bare["Ir"], Misses.of(mock), Misses.of(bare))


def valid_last_level(kb: int, ways: int) -> bool:
    """valgrind's rule: the last level's sets (size / ways / 64-byte lines) are a whole
    power of two."""
    if kb <= 0 or ways <= 0 or kb * 1024 % (ways * 64):
        return False
    sets = kb * 1024 // (ways * 64)
    return sets & (sets - 1) == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--deltas", type=int, default=200)
    parser.add_argument("--only", default=",".join(CASES), help="comma-separated cases")
    parser.add_argument(
        "--warm", type=int, default=0, help="requests of another tenant sent to each server first"
    )
    parser.add_argument("--cache", action="store_true", help="also simulate the caches")
    parser.add_argument(
        "--last-level-kb", type=int, default=1024, help="the simulated last level (--cache)"
    )
    parser.add_argument(
        "--last-level-ways", type=int, default=8, help="its associativity (--cache)"
    )
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    cases = tuple(c for c in args.only.split(",") if c)
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s) {sorted(unknown)}; choose from {', '.join(CASES)}")
    if args.warm < 0:
        parser.error("--warm must be >= 0")
    if not valid_last_level(args.last_level_kb, args.last_level_ways):
        parser.error(
            "--last-level-kb and --last-level-ways must be > 0, and the sets they make "
            "(kb * 1024 / ways / 64) a power of two"
        )
    last_level_kb = args.last_level_kb if args.cache else 0
    counts = measure(
        cases,
        args.requests,
        args.streams,
        args.deltas,
        args.warm,
        last_level_kb,
        args.last_level_ways,
    )
    print(f"{'case':<14} {'mock':>12} {'bare':>12} {'mock/bare':>10}   instructions")
    for count in counts:
        unit = f" per stream of {args.deltas} deltas" if count.case == "stream" else ""
        print(
            f"{count.case:<14} {count.mock:>12,.0f} {count.bare:>12,.0f} {count.ratio:>9.2f}x{unit}"
        )
    if last_level_kb:
        ways = args.last_level_ways
        print(
            f"\nsimulated per request: L1 misses, misses past a {last_level_kb} KB {ways}-way "
            "last level, mispredicted branches"
        )
        for count in counts:
            mock_misses, bare_misses = count.mock_misses, count.bare_misses
            assert mock_misses is not None and bare_misses is not None
            for level, mock, bare in (
                ("L1", mock_misses.l1, bare_misses.l1),
                (f"{last_level_kb} KB", mock_misses.last_level, bare_misses.last_level),
                ("branches", mock_misses.branches, bare_misses.branches),
            ):
                ratio = mock / bare if bare else 0.0
                print(f"{count.case:<14} {mock:>12,.0f} {bare:>12,.0f} {ratio:>9.2f}x   {level}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
