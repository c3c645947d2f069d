"""Failure injection as steps of the create pipeline, each a plain call on typed values.

    begin(...)                       the request's RequestFaults; ties a retry to its attempt
    admit(rf, config, scenario)      server and scenario rate limits, outage, chaos
    replayed(rf, scenario)           the earlier attempt's Plan, for an `on_retry: replay` rule
    admit_rule(rf, plan, rule)       the rule's rate limits and chaos
    arm(rf, plan)                    a scripted error (raised), the rule's faults joined
    body_fault(rf) / shape_stream()  what acts on a JSON body, or reshapes a stream
A refusal raises the MockError to answer. A chaos or outage choice that does not raise is
returned: its pre-answer faults are the transport's to run (transport.before_answer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mockserver.config import Config
from mockserver.faults import transport
from mockserver.faults.chaos import ChaosSpec, Choice, draw, server_chaos
from mockserver.faults.error_catalog import ErrorSpec, build_error
from mockserver.faults.ratelimit import server_scope
from mockserver.faults.request import (
    RequestFaults,
    admit_nominal,
    admit_scopes,
    fail,
    fingerprint,
    name_faults,
    record,
)
from mockserver.faults.spec import FaultSpec
from mockserver.faults.state import TenantFaults
from mockserver.faults.stream_faults import FaultedStream, fault_stream, stream_time_error
from mockserver.http.exchange import Exchange
from mockserver.plan import Plan
from mockserver.scenario.model import Rule, Scenario

__all__ = ["admit", "admit_rule", "arm", "begin", "body_fault", "replayed", "shape_stream"]


def begin(
    state: TenantFaults,
    exchange: Exchange,
    body: bytes,
    *,
    seed: int | None,
    tenant: str,
    model: str,
    api_key: str,
    estimate: Callable[[], int],
    streamed: bool = False,
    stream_error: ErrorSpec | None = None,
) -> RequestFaults:
    """The request's bookkeeping; a retry (same body, retry count > 0) is tied to its attempt."""
    n = state.next_count("requests")
    fp = fingerprint(body)
    # (seed, tenant, n-th request, body): reproducible, and apart from the answer's stream
    # (a latency fault does not change the text).
    rng_seed = None if seed is None else f"faults:{seed}:{tenant}:{n}:{fp}"
    rf = RequestFaults(state, exchange, model, api_key, fp, seed, rng_seed, estimate, streamed)
    if stream_error is not None:  # a refusal found before (the model's window) fails the stream
        _error(rf, stream_error)
    if exchange.retry_count > 0:
        report = state.retries.report(fp, state.limiter.clock.monotonic())
        if report is not None:
            exchange.retry_of = report.retry_of
            exchange.retry_waited_ms = round(report.waited_ms, 1)
            exchange.retry_early = report.early
    return rf


def admit(rf: RequestFaults, config: Config, scenario: Scenario | None) -> Choice | None:
    """Rate limits (a 429 is raised), then an outage window, then chaos: server's, scenario's.

    With nothing configured (the usual case) this is one test and the nominal count."""
    if (
        config.requests_per_minute is None
        and config.tokens_per_minute is None
        and (config.chaos <= 0 and (scenario is None or not scenario.admission_rules))
    ):
        admit_nominal(rf)
        return None
    scopes = server_scope(config.requests_per_minute, config.tokens_per_minute)
    if scenario is not None and scenario.rate_limits is not None:
        scopes.append(scenario.rate_limits.scope(("scenario", scenario.name), rf.model))
    if scopes:
        admit_scopes(rf, scopes)
    else:
        admit_nominal(rf)
    if scenario is not None and scenario.outage is not None:
        now = rf.state.limiter.clock.monotonic()
        if scenario.outage.covers(rf.state.since_first_ms(scenario.name, now)):
            return _strike(rf, scenario.outage.choice, "outage")
    choice = _draw(rf, server_chaos(config.chaos), "server") if config.chaos > 0 else None
    if choice is None and scenario is not None and scenario.chaos is not None:
        choice = _draw(rf, scenario.chaos, f"scenario:{scenario.name}")
    return _strike(rf, choice, "chaos") if choice is not None else None


def replayed(rf: RequestFaults, scenario: Scenario | None) -> tuple[Plan, Rule] | None:
    """A retry (same body, retry count > 0) of an answer whose rule says `on_retry: replay`:
    that answer's Plan and rule."""
    if rf.exchange.retry_count < 1 or scenario is None:
        return None
    previous = rf.state.retries.previous(rf.fingerprint)
    if previous is None or previous.plan is None or previous.plan.rule is None:
        return None
    rule = scenario.rule_named(previous.plan.rule)
    if rule is None or rule.on_retry != "replay":
        return None
    rf.exchange.notes.append(f"retry replays rule {previous.rule!r} of {previous.request_id}")
    return previous.plan, rule


def admit_rule(rf: RequestFaults, plan: Plan, rule: Rule | None) -> Choice | None:
    """The answering rule's own rate limits (a 429 is raised) and chaos."""
    rf.plan = plan
    if rule is None:
        return None
    if rule.rate_limits is not None:
        key = ("rule", plan.scenario or "", plan.rule or "")
        admit_scopes(rf, [rule.rate_limits.scope(key, rf.model)])
    if rule.chaos is None:
        return None
    choice = _draw(rf, rule.chaos, f"rule:{plan.scenario}/{plan.rule}")
    return _strike(rf, choice, "chaos") if choice is not None else None


def arm(rf: RequestFaults, plan: Plan) -> list[FaultSpec]:
    """A scripted error is raised (or, streamed, fails the response in its stream: _error);
    the rule's faults join chaos's and the attempt is recorded. Returns every fault of the
    answer (the pre-answer ones are the transport's)."""
    if plan.error is not None:
        _error(rf, plan.error)
    if plan.fault:
        rf.faults.extend(plan.fault)
    if rf.faults:
        name_faults(rf, rf.faults)
    record(rf, rf.exchange.fault or "ok", None, plan)
    return rf.faults


def dropped(rf: RequestFaults, choice: Choice) -> None:
    """A chaos or outage choice ended the exchange on the wire: remember the attempt."""
    record(rf, choice.name, None, None)


def body_fault(rf: RequestFaults) -> FaultSpec | None:
    """The first fault on the bytes of a JSON answer, if one is scripted."""
    if not rf.faults:
        return None
    return next((f for f in rf.faults if transport.is_body_fault(f)), None)


def shape_stream(
    rf: RequestFaults, events: Sequence[Mapping[str, Any]], offsets: Sequence[float]
) -> FaultedStream | None:
    """The stream with its faults applied (kept on rf for the writer); None: no faults."""
    if not rf.faults:
        return None
    rf.stream = fault_stream(events, offsets, rf.faults, rf.error_context())
    return rf.stream


def _draw(rf: RequestFaults, spec: ChaosSpec | None, scope: str) -> Choice | None:
    if spec is None:
        return None
    return draw(spec, rf.seed, scope, rf.state.next_count(scope))


def _strike(rf: RequestFaults, choice: Choice, why: str) -> Choice:
    """A chaos/outage choice: its error is raised (or fails the stream: _error); its later
    faults join the request's."""
    rf.exchange.notes.append(f"{why}: {choice.name}")
    if choice.error is not None:
        _error(rf, choice.error)
    rf.faults.extend(f for f in choice.faults if not transport.is_pre_answer(f))
    name_faults(rf, choice.faults)
    return choice


def _error(rf: RequestFaults, spec: ErrorSpec) -> None:
    """Raise the error; or, for a streamed request and an error the API reports once the
    stream has started (spec.fails_in_stream), fail the response in its stream instead."""
    if not (rf.streamed and spec.fails_in_stream()):
        fail(rf, build_error(spec, rf.error_context()))
    rf.faults.append(stream_time_error(spec))
    rf.exchange.error_code = spec.code or spec.type
