"""Section 5: startup time with 500 scenario files, and the cost of matching 1,000 rules.

Startup is wall time from spawning `python -m mockserver serve` to its first good answer
(a POST scripted by the 500th file once scenarios are served, else GET /v1/responses),
the median of a few launches; the same server with no files is the reference.
Matching: the 1,000-rule scenario asked for its first rule and for its last (every rule is
tried before it), over HTTP under wrk, and in-process on the matcher alone.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from . import scenarios as sc
from . import wrk
from .ctx import ZERO_BODY, Ctx, post
from .procs import Server, check_alive, free_port, launch, mock_cmd, wait_ready
from .report import Row, fmt, unavailable, verdict
from .s_http import best_of

STARTUP_TARGET_S = 1.0
S5 = "5 scenarios"
LAST = f"startup-{sc.STARTUP_FILES - 1:03d}"


def run_startup(ctx: Ctx) -> list[Row]:
    scripted = ctx.captures["scripted"].scripted_by(sc.SCRIPTED)
    repeats = ctx.settings.startup_repeats
    runs = [_startup(ctx, True, scripted) for _ in range(repeats)]
    refs = [_startup(ctx, False, False) for _ in range(repeats)]
    with_files = statistics.median(wall for wall, _ in runs)
    without = statistics.median(wall for wall, _ in refs)
    cpu = statistics.median(c for _, c in runs), statistics.median(c for _, c in refs)
    ctx.details["startup"] = {"files": with_files, "none": without, "cpu": cpu}
    note = (
        f"median of {repeats}; reference: the same server with no scenario file; "
        f"server CPU time to ready {cpu[0]:.3f} s vs {cpu[1]:.3f} s (wall includes waiting "
        f"for a busy core, CPU does not); load avg {_loadavg()}"
    )
    if not scripted:
        note += "; scenarios not served yet: ready = first GET, loading not verified"
    return [
        Row(
            S5,
            f"startup with {sc.STARTUP_FILES} scenario files",
            fmt(with_files, 3, "s"),
            fmt(without, 3, "s"),
            f"+{with_files - without:.3f} s",
            f"< {STARTUP_TARGET_S:g} s",
            verdict(with_files < STARTUP_TARGET_S),
            note,
        )
    ]


def _startup(ctx: Ctx, files: bool, verify: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the server) from spawn to the first good answer."""
    port = free_port()
    folder = ctx.startup if files else None
    server = launch("mock-startup", mock_cmd(port, folder), port, ctx.logdir)
    try:
        wall = _wait_scripted(server) if verify else wait_ready(server, "/v1/responses")
        return wall, server.cpu_seconds()
    finally:
        server.stop()


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _wait_scripted(server: Server, timeout: float = 30.0) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        check_alive(server)
        try:
            if post(server.url, ZERO_BODY, LAST, timeout=5).scripted_by(LAST):
                return time.perf_counter() - server.started
        except OSError:
            pass
        time.sleep(0.002)
    raise RuntimeError(f"{server.name}: scenario {LAST} not served after {timeout}s")


def run_matching(ctx: Ctx) -> list[Row]:
    if not ctx.captures["scripted"].scripted_by(sc.SCRIPTED):
        why = "scenarios not served yet: " + ctx.captures["scripted"].why_not()
        return [unavailable(S5, f"matching {sc.RULE_COUNT} rules", why), _in_process(ctx)]
    assert ctx.mock is not None
    mock = ctx.mock
    first = ctx.body_file("rule-first", {**ZERO_BODY, "input": f"go {sc.rule_marker(0)}"})
    last_marker = sc.rule_marker(sc.RULE_COUNT - 1)
    last = ctx.body_file("rule-last", {**ZERO_BODY, "input": f"go {last_marker}"})

    def go(body: Any) -> Any:
        seconds = ctx.settings.seconds
        return lambda: wrk.run(mock, body, connections=32, seconds=seconds, scenario=sc.RULES)

    best = best_of(ctx.settings.rounds, {"first": go(first), "last": go(last)})
    f, la = best["first"], best["last"]
    cost_us = (1 / la.rps - 1 / f.rps) * 1e6 if la.rps and f.rps else float("nan")
    ctx.details["matching_http"] = {"first": f, "last": la}
    return [
        Row(
            S5,
            f"matching {sc.RULE_COUNT} rules over HTTP (last vs first rule)",
            fmt(cost_us, 0, "us/request"),
            "",
            f"{la.rps / f.rps:.0%}" if f.rps else "",
            "",
            "",
            f"32 conn: first rule {f.rps:,.0f} rps, last rule {la.rps:,.0f} rps"
            + (f"; ERRORS {f.errors + la.errors}" if f.errors or la.errors else ""),
        ),
        _in_process(ctx),
    ]


def _in_process(ctx: Ctx) -> Row:
    """The matcher alone: first_match over the 1,000 rules, last rule matching."""
    metric = f"matching {sc.RULE_COUNT} rules in-process (last rule)"
    try:
        from mockserver.openai.request import parse_request
        from mockserver.scenario.context import build_context
        from mockserver.scenario.engine import Counters
        from mockserver.scenario.load import load_paths
        from mockserver.scenario.match import first_match
    except ImportError as exc:
        return unavailable(S5, metric, f"matcher API not importable: {exc}")
    scenario = next(s for s in load_paths([ctx.scenarios]) if s.name == sc.RULES)
    body = {**ZERO_BODY, "input": f"go {sc.rule_marker(sc.RULE_COUNT - 1)}"}
    items = parse_request(body, strict=False).input_items
    counters = Counters()
    ctx_ = build_context(body, items, {}, 1, 7)
    if first_match(scenario, ctx_, counters) is not scenario.rules[-1]:
        return unavailable(S5, metric, "the last rule did not match its marker")
    n = 200
    t0 = time.perf_counter()
    for _ in range(n):
        first_match(scenario, ctx_, counters)
    per = (time.perf_counter() - t0) / n
    ctx.details["matching_in_process_s"] = per
    note = f"{per / sc.RULE_COUNT * 1e9:,.0f} ns per rule tried"
    return Row(S5, metric, fmt(per * 1e6, 0, "us/match"), "", "", "", "", note)
