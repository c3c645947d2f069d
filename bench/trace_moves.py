"""How many modules of the package one create request walks through, and how often it hops.

    python bench/trace_moves.py                      # the mockserver this interpreter imports
    PYTHONPATH=/path/to/other/checkout python bench/trace_moves.py   # another layout

It starts the app in-process (aiohttp's test server and client on one event loop), sends each
kind of request once untraced (imports, caches and the tokenizer warm up), then traces one more
with `sys.setprofile`, keeping only the Python calls and returns whose frame belongs to the
`mockserver` package. It prints, for a zero-config JSON answer, a scenario JSON answer and a
scenario streamed answer:

- modules: the distinct `mockserver` modules entered;
- moves: consecutive traced calls whose module differs from the previous traced call's module:
  how often the reader of the code has to switch files (the issue's method: its 112/131/166 on
  81367f4 are 112/130/165 here);
- moves+ret: the same over calls and returns together (a return to the caller's module is a
  move too).

Coroutine resumptions count as calls (that is how the profiler reports them). Only
`mockserver.app.create_app` and `mockserver.config.Config(seed=, scenarios=)` are used, so the
script runs on both the flat layout (81367f4) and the packages-by-stage one.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from types import FrameType
from typing import Any

SCENARIO = """\
name: trace
description: One rule with a `when`, answering one message.
rules:
  - name: greet
    when: {input_contains: hello}
    reply:
      - message: "Hello! It is sunny in Paris today."
"""

BODY = {"model": "gpt-4.1-mini", "input": "hello, what is the weather in Paris?"}
HEADERS = {"Authorization": "Bearer sk-trace"}


@dataclass(frozen=True)
class Case:
    label: str
    scenario: bool
    stream: bool


CASES = (
    Case("zero-config, JSON", scenario=False, stream=False),
    Case("scenario, JSON", scenario=True, stream=False),
    Case("scenario, streamed", scenario=True, stream=True),
)


@dataclass(frozen=True)
class Trace:
    modules: frozenset[str]
    moves: int  # between consecutive calls
    moves_with_returns: int  # between consecutive calls and returns
    calls: int


class Tracer:
    """A `sys.setprofile` function recording the module of each mockserver call and return."""

    def __init__(self, package: str = "mockserver") -> None:
        self._package = package
        self._prefix = package + "."
        self.sequence: list[tuple[str, bool]] = []  # (module, is a call)

    def __call__(self, frame: FrameType, event: str, arg: object) -> None:
        if event != "call" and event != "return":
            return  # c_call, c_return, c_exception: builtins, not our modules
        module = frame.f_globals.get("__name__", "")
        if module == self._package or module.startswith(self._prefix):
            self.sequence.append((module, event == "call"))

    def result(self) -> Trace:
        every = [module for module, _ in self.sequence]
        calls = [module for module, is_call in self.sequence if is_call]
        return Trace(frozenset(every), _moves(calls), _moves(every), len(calls))


def _moves(modules: list[str]) -> int:
    return sum(1 for before, after in pairwise(modules) if before != after)


async def _send(client: Any, case: Case) -> bytes:
    headers = dict(HEADERS)
    if case.scenario:
        headers["X-Mock-Scenario"] = "trace"
    body = dict(BODY, stream=True) if case.stream else BODY
    async with client.post("/v1/responses", json=body, headers=headers) as resp:
        payload: bytes = await resp.read()
        if resp.status != 200:
            raise SystemExit(f"{case.label}: HTTP {resp.status}: {payload[:300]!r}")
        return payload


async def _traced(client: Any, case: Case) -> Trace:
    tracer = Tracer()
    previous: Callable[..., object] | None = sys.getprofile()
    sys.setprofile(tracer)
    try:
        await _send(client, case)
    finally:
        sys.setprofile(previous)
    return tracer.result()


async def measure(scenario_dir: Path) -> list[tuple[Case, Trace]]:
    from aiohttp.test_utils import TestClient, TestServer

    from mockserver.app import create_app
    from mockserver.config import Config

    app = create_app(Config(seed=7, scenarios=(scenario_dir,)))
    async with TestClient(TestServer(app)) as client:
        for case in CASES:  # warm-up: lazy imports, caches, the tokenizer
            await _send(client, case)
            await _send(client, case)
        return [(case, await _traced(client, case)) for case in CASES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", action="store_true", help="list the modules of each trace")
    args = parser.parse_args(argv)
    import mockserver

    with tempfile.TemporaryDirectory(prefix="trace-moves-") as tmp:
        (Path(tmp) / "trace.yaml").write_text(SCENARIO, encoding="utf-8")
        rows = asyncio.run(measure(Path(tmp)))
    print(f"mockserver from {Path(mockserver.__file__).parent}")
    print(f"{'create request':<22} {'modules':>7} {'moves':>6} {'moves+ret':>9} {'calls':>6}")
    for case, trace in rows:
        print(
            f"{case.label:<22} {len(trace.modules):>7} {trace.moves:>6}"
            f" {trace.moves_with_returns:>9} {trace.calls:>6}"
        )
        if args.modules:
            for name in sorted(trace.modules):
                print(f"    {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
