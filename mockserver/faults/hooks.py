"""The create pipeline's calls into failure injection (FAULTS-HOOK in api/responses.py and
streaming.py), and the x-ratelimit-* headers of every answer.

    before_plan(turn)        retry bookkeeping, server and scenario rate limits, outage, chaos
    replayed_plan(turn)      the earlier attempt's Plan, for a retry of an `on_retry: replay` rule
    after_plan(turn)         rule rate limits and chaos, a scripted error, pre-answer faults
    json_answer(turn, body)  the JSON body, through a body fault if one is scripted
    stream_timeline(...)     stream faults reshape the events (then stream_writer_hooks and
                             stream_end act on the wire)
Each returns a response when a fault ended the exchange, or raises the MockError to answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockserver.faults import stream_actions as wire
from mockserver.faults import transport
from mockserver.faults.chaos import Choice, draw, fingerprint, server_chaos
from mockserver.faults.error_catalog import build_error
from mockserver.faults.ratelimit import server_scope
from mockserver.faults.request import (
    REQUEST_FAULTS,
    RequestFaults,
    admit,
    error_context,
    fail,
    name_faults,
    ratelimit_headers,
    record,
)
from mockserver.faults.state import clock_of, tenant_faults
from mockserver.faults.stream_faults import plan_stream
from mockserver.plan import Plan
from mockserver.scenario import hooks as scenario_hooks

if TYPE_CHECKING:
    from mockserver.pipeline.turn import Turn


def install(app: web.Application) -> None:
    app.on_response_prepare.append(ratelimit_headers)


async def before_plan(turn: Turn) -> web.StreamResponse | None:
    rf = _begin(turn, await _body_bytes(turn))
    scenario = scenario_hooks.scenario_for(turn)
    scopes = server_scope(turn.config.requests_per_minute, turn.config.tokens_per_minute)
    if scenario is not None and scenario.rate_limits is not None:
        scopes.append(scenario.rate_limits.scope(("scenario", scenario.name), turn.req.model))
    admit(rf, scopes)
    now = rf.state.limiter.clock.monotonic()
    outage = getattr(scenario, "outage", None)
    if scenario is not None and outage is not None:
        since = rf.state.since_first_ms(scenario.name, now)
        if outage.covers(since):
            return await _inflict(rf, outage.choice, "outage")
    server = server_chaos(turn.config.chaos)
    choice = _draw(rf, server, "server") or _draw(
        rf, getattr(scenario, "chaos", None), _scope(scenario)
    )
    return await _inflict(rf, choice) if choice else None


def replayed_plan(turn: Turn) -> Plan | None:
    """A retry (same body, retry count > 0) of an answer whose rule says `on_retry: replay`."""
    rf = turn.request.get(REQUEST_FAULTS)
    if rf is None or turn.exchange.retry_count < 1:
        return None
    previous = rf.state.retries.previous(rf.fingerprint)
    if previous is None or not isinstance(previous.plan, Plan):
        return None
    rule = _rule(turn, previous.plan)
    if getattr(rule, "on_retry", "advance") != "replay":
        return None
    turn.exchange.notes.append(f"retry replays rule {previous.rule!r} of {previous.request_id}")
    return previous.plan


async def after_plan(turn: Turn) -> web.StreamResponse | None:
    rf = turn.request[REQUEST_FAULTS]
    assert turn.plan is not None
    rule = _rule(turn, turn.plan)
    limits = turn.plan.extra.get("rate_limits") or getattr(rule, "rate_limits", None)
    if limits is not None:
        key = ("rule", turn.plan.scenario or "", turn.plan.rule or "")
        admit(rf, [limits.scope(key, turn.req.model)])
    choice = _draw(rf, getattr(rule, "chaos", None), f"rule:{turn.plan.scenario}/{turn.plan.rule}")
    dropped = await _inflict(rf, choice) if choice is not None else None
    if dropped is not None:
        return dropped
    if turn.plan.error is not None:
        fail(rf, build_error(turn.plan.error, error_context(turn)))
    rf.faults.extend(turn.plan.fault or ())
    if rf.faults:
        name_faults(turn, rf.faults)
    record(rf, turn.exchange.fault or "ok", None, turn.plan)
    if not rf.faults:
        return None  # nothing to run, and rf.rng (a seeded Random, ~10 us) is not needed
    return await transport.before_answer(
        turn.request, rf.faults, rf.rng, clock_of(turn.request.app)
    )


async def json_answer(turn: Turn, body: bytes) -> web.StreamResponse:
    """The non-streamed answer, through the first body fault if one is scripted."""
    rf = turn.request.get(REQUEST_FAULTS)
    for fault in rf.faults if rf else ():
        if transport.is_body_fault(fault):
            clock = clock_of(turn.request.app)
            return await transport.send_body(turn.request, fault, body, clock=clock)
    return web.Response(body=body, content_type="application/json")


def stream_timeline(
    turn: Turn, events: Sequence[dict[str, Any]], offsets: Sequence[float]
) -> tuple[list[dict[str, Any]], list[float]]:
    """The stream's events and offsets with the stream faults applied (kept for the writer)."""
    rf = turn.request.get(REQUEST_FAULTS)
    if rf is None or not rf.faults:
        return list(events), list(offsets)
    rf.stream = plan_stream(events, offsets, rf.faults, error_context(turn))
    return rf.stream.events, rf.stream.offsets


def stream_writer_hooks(turn: Turn, response: web.StreamResponse) -> dict[int, wire.Hook]:
    rf = turn.request.get(REQUEST_FAULTS)
    if rf is None or rf.stream is None:
        return {}
    return wire.hooks(rf.stream, turn.request, response, clock_of(turn.request.app))


async def stream_end(turn: Turn, response: web.StreamResponse) -> None:
    """After the last event, before the end of the body: a slow close, or a late cut."""
    rf = turn.request.get(REQUEST_FAULTS)
    if rf is not None and rf.stream is not None:
        await wire.at_end(rf.stream, turn.request, response, clock_of(turn.request.app))


async def _body_bytes(turn: Turn) -> bytes:
    """The request's bytes (cached by aiohttp); re-serialised if it came chunked (consumed)."""
    raw = await turn.request.read()
    return raw or json.dumps(turn.req.raw, sort_keys=True).encode()


def _begin(turn: Turn, body: bytes) -> RequestFaults:
    state = tenant_faults(turn.tenant, clock_of(turn.request.app))
    fp = fingerprint(body)
    rf = RequestFaults(turn, state, fp, _fault_seed(turn, state.next_count("requests"), fp))
    turn.request[REQUEST_FAULTS] = rf
    ex = turn.exchange
    if ex.retry_count > 0:
        report = state.retries.report(rf.fingerprint, state.limiter.clock.monotonic())
        if report is not None:
            ex.retry_of, ex.retry_waited_ms, ex.retry_early = (
                report.retry_of,
                round(report.waited_ms, 1),
                report.early,
            )
    return rf


def _fault_seed(turn: Turn, n: int, fp: str) -> str | None:
    """(seed, tenant, n-th request, body): reproducible, and apart from the answer's stream
    (a latency fault does not change the text)."""
    seed = turn.config.seed
    return None if seed is None else f"faults:{seed}:{turn.tenant.name}:{n}:{fp}"


def _draw(rf: RequestFaults, spec: Any, scope: str) -> Choice | None:
    if spec is None:
        return None
    seed = rf.turn.config.seed
    return draw(spec, seed, scope, rf.state.next_count(scope))


def _scope(scenario: Any) -> str:
    return f"scenario:{scenario.name}" if scenario is not None else "scenario:"


async def _inflict(
    rf: RequestFaults, choice: Choice, why: str = "chaos"
) -> web.StreamResponse | None:
    """Answer with a chaos/outage choice: its error, or its faults (pre-answer ones now)."""
    turn = rf.turn
    turn.exchange.notes.append(f"{why}: {choice.name}")
    if choice.error is not None:
        fail(rf, build_error(choice.error, error_context(turn)))
    # Pre-answer faults act now; the others join the request's faults for later.
    rf.faults.extend(f for f in choice.faults if not transport.is_pre_answer(f))
    name_faults(turn, choice.faults)
    clock = clock_of(turn.request.app)
    dropped = await transport.before_answer(turn.request, choice.faults, rf.rng, clock)
    if dropped is not None:
        record(rf, choice.name, None, None)
    return dropped


def _rule(turn: Turn, plan: Plan) -> Any:
    scenario = scenario_hooks.scenario_for(turn)
    if scenario is None or plan.rule is None:
        return None
    return scenario.rule_named(plan.rule)
