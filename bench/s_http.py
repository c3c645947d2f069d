"""Section 1: non-streaming POST /v1/responses under wrk, against the bare ceiling.

For each concurrency, the mock and the reference run in turn (round robin, `rounds` times),
so that a burst of noise from elsewhere on the machine hits both alike; the best round of
each is kept (the least disturbed estimate of what the server can do).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import scenarios as sc
from . import wrk
from .ctx import ZERO_BODY, Ctx
from .procs import Server
from .report import Row, fmt, pct, unavailable, verdict
from .wrk import WrkResult

CONCURRENCY = (1, 32, 256)
TARGET = 0.60
SECTION = "1 POST"


def _threads(connections: int) -> int:
    return 2 if connections >= 256 else 1


def best_of(rounds: int, runs: dict[str, Callable[[], WrkResult]]) -> dict[str, WrkResult]:
    """Each run `rounds` times, interleaved; the round with the most requests/s of each."""
    best: dict[str, WrkResult] = {}
    for _ in range(rounds):
        for name, go in runs.items():
            result = go()
            if name not in best or result.rps > best[name].rps:
                best[name] = result
    return best


def run(ctx: Ctx) -> list[Row]:
    if not wrk.available():
        return [unavailable(SECTION, "requests/s", "wrk is not installed (apt-get install wrk)")]
    assert ctx.mock is not None and ctx.bare is not None
    body = ctx.body_file("zero", ZERO_BODY)
    cases = {"zero-config": ""}
    rows: list[Row] = []
    if ctx.captures["scripted"].scripted_by(sc.SCRIPTED):
        cases["scripted"] = sc.SCRIPTED
    else:
        why = "scenarios not served yet: " + ctx.captures["scripted"].why_not()
        rows.append(unavailable(SECTION, "scripted", why, pct(TARGET)))
    _warm(ctx, body, cases)
    for case, scenario in cases.items():
        for conns in CONCURRENCY:
            rows += _cell(ctx, body, case, scenario, conns)
    rows.append(_load_generator_check(ctx, body))
    return rows


def _warm(ctx: Ctx, body: Any, cases: dict[str, str]) -> None:
    for scenario in cases.values():
        for server in (ctx.mock, ctx.bare):
            assert server is not None
            wrk.run(server, body, connections=32, seconds=1, scenario=scenario)


def _cell(ctx: Ctx, body: Any, case: str, scenario: str, conns: int) -> list[Row]:
    mock, bare = ctx.mock, ctx.bare
    assert mock is not None and bare is not None

    def go(server: Server) -> Callable[[], WrkResult]:
        return lambda: wrk.run(
            server,
            body,
            connections=conns,
            seconds=ctx.settings.seconds,
            threads=_threads(conns),
            scenario=scenario,
        )

    best = best_of(ctx.settings.rounds, {"mock": go(mock), "bare": go(bare)})
    m, b = best["mock"], best["bare"]
    ctx.details.setdefault("http", {})[f"{case}/c{conns}"] = {"mock": m, "bare": b}
    ratio = m.rps / b.rps if b.rps else 0.0
    metric = f"{case}, {conns} conn"
    note = (
        f"p50/p99 mock {m.p50_ms:.2f}/{m.p99_ms:.2f} ms, bare {b.p50_ms:.2f}/{b.p99_ms:.2f} ms; "
        f"CPU mock {pct(m.server_cpu)} wrk {pct(m.client_cpu)}, "
        f"bare {pct(b.server_cpu)} wrk {pct(b.client_cpu)}; server CPU per request "
        f"mock {m.cpu_us:.0f} us, bare {b.cpu_us:.0f} us (ratio {_cpu_ratio(m, b)})"
    )
    if m.errors or b.errors:
        note += f"; ERRORS mock {m.errors} bare {b.errors}"
    return [
        Row(
            SECTION,
            metric,
            fmt(m.rps, unit="rps"),
            fmt(b.rps, unit="rps"),
            pct(ratio),
            f">= {pct(TARGET)}",
            verdict(ratio >= TARGET and not m.errors),
            note,
        )
    ]


def _cpu_ratio(mock: WrkResult, bare: WrkResult) -> str:
    """bare/mock CPU per request: the throughput ratio the mock would reach on a quiet core."""
    return pct(bare.cpu_us / mock.cpu_us) if mock.cpu_us else "-"


def _load_generator_check(ctx: Ctx, body: Any) -> Row:
    """The bare server with 1 and 2 wrk threads, and wrk's CPU: is wrk the limit?"""
    assert ctx.bare is not None
    bare = ctx.bare
    one = wrk.run(bare, body, connections=32, seconds=ctx.settings.seconds, threads=1)
    two = wrk.run(bare, body, connections=32, seconds=ctx.settings.seconds, threads=2)
    # wrk far from a full core is the direct proof; -t2 ~ -t1 the indirect one (noisy here).
    ok = max(one.client_cpu, two.client_cpu) < 0.5
    note = (
        f"bare, 32 conn: wrk -t1 {one.rps:,.0f} rps (wrk CPU {pct(one.client_cpu)}, "
        f"server {pct(one.server_cpu)}); -t2 {two.rps:,.0f} rps (wrk CPU "
        f"{pct(two.client_cpu)}, server {pct(two.server_cpu)})"
    )
    return Row(
        SECTION,
        "load generator check",
        fmt(two.rps / max(one.rps, 1), 2, "x"),
        "",
        "",
        "wrk CPU < 50%",
        verdict(ok),
        note,
    )
