"""Sections 2 and 3: one long stream at zero delay, and 500 paced streams at once.

2: events per second of one stream of 2,000 deltas (request sent -> connection closed), the
   mock against the bare handler writing the very frames the mock sent, one write each.
3: every delta's arrival against its schedule. The clock of a stream is the arrival of its
   response.created (due at offset 0), so the request's own processing time is not counted
   as lateness; delta k is due at ttft + k * interval. Drift: how much later the last ten
   deltas of a stream are than its first ten. Streams start spread over RAMP_S (a load that
   builds up: the judged figure) and, shown beside it, all at once: a burst of requests, each
   rendered by the mock before its stream starts (the reference has nothing to render), which
   delays the streams already running.
"""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

from . import scenarios as sc
from .ctx import STREAM_BODY, Ctx
from .procs import CpuMeter, Server
from .report import Row, fmt, pct, unavailable, verdict
from .sse_client import StreamResult, many_streams, one_stream

EVENTS_TARGET = 0.50
ERROR_TARGET_MS = 5.0
DRIFT_TARGET_MS = 1.0
RAMP_S = 1.0  # streams start one after another over this time (a load that builds up)
DELTA = b"response.output_text.delta"
CREATED = b"response.created"
S2, S3 = "2 stream", "3 timing"


def _body() -> bytes:
    import json

    return json.dumps(STREAM_BODY).encode()


def run_events(ctx: Ctx) -> list[Row]:
    if not ctx.captures["stream"].is_stream:
        why = "streaming not served yet: " + ctx.captures["stream"].why_not()
        return [unavailable(S2, "events/s, 1 stream", why, f">= {pct(EVENTS_TARGET)}")]
    assert ctx.mock is not None and ctx.bare is not None
    mock = _events_per_second(ctx.mock, ctx.settings.stream_repeats)
    bare = _events_per_second(ctx.bare, ctx.settings.stream_repeats)
    ctx.details["events"] = {"mock": mock, "bare": bare}
    ratio = mock["events_per_s"] / bare["events_per_s"]
    note = (
        f"{mock['events']} events; best of {ctx.settings.stream_repeats}: mock "
        f"{mock['seconds'] * 1000:.1f} ms, bare {bare['seconds'] * 1000:.1f} ms per stream"
    )
    return [
        Row(
            S2,
            f"events/s, 1 stream of {sc.STREAM_DELTAS} deltas",
            fmt(mock["events_per_s"], unit="ev/s"),
            fmt(bare["events_per_s"], unit="ev/s"),
            pct(ratio),
            f">= {pct(EVENTS_TARGET)}",
            verdict(ratio >= EVENTS_TARGET),
            note,
        )
    ]


def _events_per_second(server: Server, repeats: int) -> dict[str, Any]:
    results = [asyncio.run(one_stream(server.port, _body(), sc.STREAM)) for _ in range(repeats)]
    best = min(results, key=lambda r: r.ended - r.sent)
    seconds = best.ended - best.sent
    deltas = sum(t == DELTA for t in best.types)
    if best.status != 200 or deltas != sc.STREAM_DELTAS:
        raise RuntimeError(f"{server.name}: status {best.status}, {deltas} deltas")
    events = len(best.types)
    return {"events": events, "seconds": seconds, "events_per_s": events / seconds}


def run_timing(ctx: Ctx) -> list[Row]:
    n = ctx.settings.paced_streams
    what = f"{n} streams x {sc.PACED_DELTAS} deltas @ {sc.PACED_INTERVAL_MS:g} ms"
    if not ctx.captures["paced"].is_stream:
        why = "streaming not served yet: " + ctx.captures["paced"].why_not()
        return [unavailable(S3, what, why, f"p99 < {ERROR_TARGET_MS:g} ms")]
    assert ctx.mock is not None and ctx.bare is not None
    spread = {s.name: _paced(s, n, RAMP_S) for s in (ctx.mock, ctx.bare)}
    burst = {s.name: _paced(s, n, 0.0) for s in (ctx.mock, ctx.bare)}
    ctx.details["timing"] = {"spread": spread, "burst": burst}
    mock, bare = spread["mock"], spread["bare"]
    return [
        _error_row(f"error p50 / p99, starts spread over {RAMP_S:g} s", spread, n, True),
        _error_row("error p50 / p99, all started at once", burst, n, False),
        Row(
            S3,
            f"error p50 / p99 once all {n} are open (spread run)",
            f"{mock['steady_p50']:.2f} / {mock['steady_p99']:.2f} ms",
            f"{bare['steady_p50']:.2f} / {bare['steady_p99']:.2f} ms",
            "",
            "",
            "",
            "deltas due after the last stream started: pacing under load, without the ramp",
        ),
        Row(
            S3,
            "drift over a stream (last 10 - first 10 deltas)",
            f"{mock['drift_p50']:+.2f} / {mock['drift_p99']:+.2f} ms",
            f"{bare['drift_p50']:+.2f} / {bare['drift_p99']:+.2f} ms",
            "",
            f"p50 < {DRIFT_TARGET_MS:g} ms",
            verdict(mock["drift_p50"] < DRIFT_TARGET_MS),
            f"{what}, starts spread; p50 / p99 over streams. Negative: a stream late at its "
            "start (during the ramp) catches up; cumulative drift would be positive",
        ),
    ]


def _error_row(metric: str, runs: dict[str, dict[str, Any]], n: int, judged: bool) -> Row:
    mock, bare = runs["mock"], runs["bare"]
    ok = mock["p99"] < ERROR_TARGET_MS and mock["complete"] == n
    return Row(
        S3,
        metric,
        f"{mock['p50']:.2f} / {mock['p99']:.2f} ms",
        f"{bare['p50']:.2f} / {bare['p99']:.2f} ms",
        "",
        f"p99 < {ERROR_TARGET_MS:g} ms" if judged else "",
        verdict(ok) if judged else "",
        f"{n} x {sc.PACED_DELTAS} deltas @ {sc.PACED_INTERVAL_MS:g} ms; complete "
        f"{mock['complete']}/{n}; server CPU mock {pct(mock['cpu'])}, bare {pct(bare['cpu'])} "
        f"({mock['cpu_us_per_event']:.0f} / {bare['cpu_us_per_event']:.0f} us per event, "
        f"setup included); max mock {mock['max']:.1f} ms, bare {bare['max']:.1f} ms",
    )


def _paced(server: Server, n: int, ramp_s: float) -> dict[str, Any]:
    meter = CpuMeter(server)
    results = asyncio.run(many_streams(server.port, _body(), sc.PACED, n, ramp_s))
    cpu, cpu_s = meter.share(), meter.seconds()
    events = sum(len(r.types) for r in results)
    # Steady state: deltas due once the last stream had started (all n open at once).
    all_open = max((_created_at(r) for r in results if CREATED in r.types), default=0.0)
    errors: list[float] = []
    steady: list[float] = []
    drifts: list[float] = []
    complete = 0
    for res in results:
        errs = stream_errors(res, sc.PACED_INTERVAL_MS, sc.PACED_INTERVAL_MS)
        if res.status == 200 and len(errs) == sc.PACED_DELTAS:
            complete += 1
        if len(errs) >= 20:
            drifts.append(statistics.fmean(errs[-10:]) - statistics.fmean(errs[:10]))
        errors += [abs(e) for e in errs]
        steady += _due_after(res, errs, all_open)
    if not errors:
        raise RuntimeError(f"{server.name}: no paced delta arrived")
    return {
        "p50": quantile(errors, 0.50),
        "p99": quantile(errors, 0.99),
        "max": max(errors),
        "steady_p50": quantile(steady, 0.50) if steady else float("nan"),
        "steady_p99": quantile(steady, 0.99) if steady else float("nan"),
        "drift_p50": quantile(drifts, 0.50) if drifts else float("nan"),
        "drift_p99": quantile(drifts, 0.99) if drifts else float("nan"),
        "complete": complete,
        "cpu": cpu,
        "cpu_us_per_event": cpu_s / events * 1e6 if events else float("nan"),
    }


def _created_at(res: StreamResult) -> float:
    return res.arrivals[res.types.index(CREATED)]


def _due_after(res: StreamResult, errs: list[float], moment: float) -> list[float]:
    """|error| of the deltas whose scheduled time (on the client's clock) is after moment."""
    if not errs:
        return []
    start, step = _created_at(res), sc.PACED_INTERVAL_MS / 1000  # ttft = interval here
    return [abs(e) for k, e in enumerate(errs) if start + (k + 1) * step > moment]


def stream_errors(res: StreamResult, ttft_ms: float, interval_ms: float) -> list[float]:
    """Observed minus scheduled time (ms) of each delta, against response.created's arrival."""
    if CREATED not in res.types:
        return []
    t0 = res.arrivals[res.types.index(CREATED)]
    times = [t for t, kind in zip(res.arrivals, res.types, strict=True) if kind == DELTA]
    return [(t - t0) * 1000 - (ttft_ms + k * interval_ms) for k, t in enumerate(times)]


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
