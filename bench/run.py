"""The benchmark suite: `python -m bench` from the repository root (see bench/README.md).

Starts the mock and the bare reference itself (loopback only, each server pinned to core 1,
the load generators to core 0), runs the selected sections, and prints one table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import s_http, s_memory, s_startup, s_stream
from . import scenarios as sc
from .ctx import Ctx, Settings, bare_args, capture_all
from .procs import CLIENT_CPU, SERVER_CPU, pin_self_to_client_cpu, start_bare, start_mock
from .report import Row, as_json, table, unavailable

Section = Callable[[Ctx], list[Row]]
SECTIONS: dict[str, list[tuple[str, Section]]] = {
    "1": [("non-streaming POST", s_http.run)],
    "2": [("stream events/s", s_stream.run_events)],
    "3": [("paced timing", s_stream.run_timing)],
    "4": [("memory, stored", s_memory.run_stored), ("memory, streams", s_memory.run_streams)],
    "5": [("startup", s_startup.run_startup), ("matching", s_startup.run_matching)],
}
QUICK = Settings(
    seconds=1.0,
    rounds=1,
    stream_repeats=2,
    paced_streams=100,
    stored=2_000,
    slow_streams=200,
    startup_repeats=1,
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default="1,2,3,4,5", help="sections to run, e.g. 1,3")
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke check)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and logs")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pin_self_to_client_cpu()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="mockbench-"))
    main_dir, startup_dir = sc.write(work)
    ctx = Ctx(QUICK if args.quick else Settings(), work, main_dir, startup_dir)
    print(header(), flush=True)
    rows: list[Row] = []
    try:
        ctx.mock = start_mock(work, main_dir)
        capture_all(ctx)
        ctx.bare = start_bare(work, *bare_args(ctx))
        for key in [k.strip() for k in args.only.split(",") if k.strip()]:
            rows += _run_section(ctx, key)
    finally:
        for server in (ctx.mock, ctx.bare):
            if server is not None:
                server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(rows))
    print(f"\nsuite time: {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(as_json(rows, _plain(ctx.details)), indent=2))
    return 0


def _run_section(ctx: Ctx, key: str) -> list[Row]:
    rows: list[Row] = []
    for name, section in SECTIONS.get(key, []):
        t0 = time.perf_counter()
        print(f"[{key}] {name} ...", file=sys.stderr, flush=True)
        try:
            rows += section(ctx)
        except Exception as exc:  # one broken section must not lose the others' figures
            rows.append(unavailable(key, name, f"failed: {type(exc).__name__}: {exc}"))
        print(f"[{key}] {name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return rows


def header() -> str:
    """When, where and with what the figures were taken."""
    lines = [
        f"mockserver benchmark  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {_cpu_model()}, {os.cpu_count()} cores, load avg {_loadavg()}",
        f"python {platform.python_version()}, aiohttp {_version('aiohttp')}, "
        f"uvloop {_version('uvloop')}, orjson {_version('orjson')}, wrk {_wrk_version()}",
        f"servers pinned to core {SERVER_CPU}, load generators and clients to core {CLIENT_CPU}; "
        "loopback only; one server process",
        f"mockserver {_version('mockserver')} at {_git_rev()}",
    ]
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "-"


def _wrk_version() -> str:
    if not shutil.which("wrk"):
        return "missing"
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (out.stdout + out.stderr).split()[1] if (out.stdout + out.stderr).split() else "?"


def _git_rev() -> str:
    # rev-parse only reads: the checkout is shared, nothing here may touch the index.
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return (out.stdout.strip() or "?") + " (+ working tree)"


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
